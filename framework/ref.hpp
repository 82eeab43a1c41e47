#pragma once
/// \file ref.hpp
/// `otp::ref`: a unique reference (Erlang's `make_ref()`), as a value.
///
/// Monitors, timers and aliases are named by refs. A ref is unique for the
/// whole program run, printable (`#Ref<0.0.0.42>`), comparable and hashable.

#include <compare>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace otp {

/// A unique reference. The default-constructed ref is the null ref.
class ref {
public:
  ref() noexcept = default;
  explicit ref(std::uint64_t id) noexcept : id_(id) {}

  std::uint64_t id() const noexcept { return id_; }
  explicit operator bool() const noexcept { return id_ != 0; }
  std::string to_string() const;

  friend bool operator==(const ref&, const ref&) noexcept = default;
  friend std::strong_ordering operator<=>(const ref&,
                                          const ref&) noexcept = default;
  friend std::ostream& operator<<(std::ostream& os, const ref& r);

private:
  std::uint64_t id_ = 0;
};

/// A new unique ref. Thread-safe.
ref make_ref() noexcept;

} // namespace otp

template <>
struct std::hash<otp::ref> {
  std::size_t operator()(const otp::ref& r) const noexcept {
    return std::hash<std::uint64_t>{}(r.id());
  }
};
