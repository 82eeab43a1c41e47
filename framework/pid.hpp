#pragma once
/// \file pid.hpp
/// `otp::pid`: the identity of a process, as a value.
///
/// A pid is printable (`<0.42.0>`), comparable, hashable and never reused
/// during the life of a runtime: the middle number is a serial that only grows.
/// Copying a pid is cheap and thread-safe (one atomic increment). A pid keeps
/// only a small control block alive, never the process: sending to the pid of
/// a dead process is silently dropped, exactly as in Erlang.

#include <compare>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace otp {

namespace detail {
struct process;
void retain(process* p) noexcept;
void release(process* p) noexcept;
} // namespace detail

/// A process identifier. The default-constructed pid is the null pid, which
/// names no process.
class pid {
public:
  /// The null pid.
  pid() noexcept = default;
  pid(const pid& other) noexcept : p_(other.p_), serial_(other.serial_) {
    if (p_ != nullptr)
      detail::retain(p_);
  }
  pid(pid&& other) noexcept : p_(other.p_), serial_(other.serial_) {
    other.p_ = nullptr;
    other.serial_ = 0;
  }
  pid& operator=(const pid& other) noexcept;
  pid& operator=(pid&& other) noexcept;
  ~pid() {
    if (p_ != nullptr)
      detail::release(p_);
  }

  /// True unless this is the null pid.
  explicit operator bool() const noexcept { return p_ != nullptr; }

  /// The serial number: the `42` in `<0.42.0>`; 0 for the null pid.
  std::uint64_t serial() const noexcept { return serial_; }

  /// `<0.42.0>`, or `<undefined>` for the null pid.
  std::string to_string() const;

  friend bool operator==(const pid& a, const pid& b) noexcept {
    return a.serial_ == b.serial_;
  }
  friend std::strong_ordering operator<=>(const pid& a, const pid& b) noexcept {
    return a.serial_ <=> b.serial_;
  }
  friend std::ostream& operator<<(std::ostream& os, const pid& p);

  /// Internal: adopt a control block reference (no increment).
  static pid adopt(detail::process* p, std::uint64_t serial) noexcept {
    pid r;
    r.p_ = p;
    r.serial_ = serial;
    return r;
  }
  /// Internal: the control block, or nullptr.
  detail::process* get() const noexcept { return p_; }

private:
  detail::process* p_ = nullptr;
  std::uint64_t serial_ = 0;
};

} // namespace otp

template <>
struct std::hash<otp::pid> {
  std::size_t operator()(const otp::pid& p) const noexcept {
    return std::hash<std::uint64_t>{}(p.serial());
  }
};
