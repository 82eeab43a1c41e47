#pragma once
/// \file result.hpp
/// `result<T>`: a value or the exit reason that prevented it (C++20 has no
/// `std::expected`). Returned by the non-throwing variants of calls
/// (`try_call`, `yield`, ...). Plain value type: no thread-safety of its own.

#include "framework/exit_reason.hpp"

#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace otp {

/// A `T`, or the `exit_reason` saying why there is none.
template <class T>
class result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, exit_reason>,
                "otp::result<exit_reason> is ambiguous");

public:
  /// A value.
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  /// An error.
  result(exit_reason error) : v_(std::in_place_index<1>, std::move(error)) {}

  /// True when a value is held.
  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The value; throws `exit_error(error())` if there is none.
  T& value() & { return check(), std::get<0>(v_); }
  const T& value() const& { return check(), std::get<0>(v_); }
  T&& value() && { return check(), std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; `normal` when a value is held.
  const exit_reason& error() const noexcept {
    static const exit_reason none;
    const exit_reason* e = std::get_if<1>(&v_);
    return e != nullptr ? *e : none;
  }

private:
  void check() const {
    if (!ok())
      throw exit_error(std::get<1>(v_));
  }
  std::variant<T, exit_reason> v_;
};

/// Success without a value, or an error.
template <>
class result<void> {
public:
  result() = default;
  result(exit_reason error) : error_(std::move(error)), ok_(false) {}
  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  /// Throws `exit_error(error())` on error.
  void value() const {
    if (!ok_)
      throw exit_error(error_);
  }
  const exit_reason& error() const noexcept { return error_; }

private:
  exit_reason error_;
  bool ok_ = true;
};

} // namespace otp
