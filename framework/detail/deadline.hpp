#pragma once
/// \file detail/deadline.hpp
/// The one place where a timeout becomes a deadline: saturating arithmetic
/// on any `std::chrono::duration`, so no timeout ever overflows into "at
/// once" (`send_after(hours::max())`, `try_call(1000 years)`).
///
/// The rules, used by `receive ... after`, `call`, `start`, `Task`,
/// `sleep` and the timers:
/// - infinite: `otp::infinity` (= `milliseconds::max()`), any duration's
///   `max()`, `+inf`, and anything of at least 100 years. It never expires:
///   its deadline is `time_point::max()`.
/// - zero or negative: already expired (the deadline is now). Timers reject
///   a negative delay instead (Erlang's `badarg`); see `timer.hpp`.
/// - NaN (a floating-point duration): `std::invalid_argument`.
/// - otherwise: rounded *up* to the clock's tick, so nothing expires early.
///
/// Every conversion goes through `long double` or an exact integer path
/// chosen at compile time, never through a multiplication that can
/// overflow, whatever the duration's `Rep` and `Period`. Pure functions:
/// callable from any thread.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ratio>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace otp::detail {

using clock = std::chrono::steady_clock;

/// The default `Rep` and `Period` of a timeout parameter (milliseconds).
using ms_rep = std::chrono::milliseconds::rep;
using ms_period = std::chrono::milliseconds::period;

/// Any timeout of at least this long is infinite.
inline constexpr std::chrono::hours infinite_timeout{24 * 365 * 100};

/// `d` in seconds, computed without overflow.
template <class Rep, class Period>
constexpr long double
seconds_of(std::chrono::duration<Rep, Period> d) noexcept {
  static_assert(std::is_arithmetic_v<Rep>,
                "otp: a timeout's representation must be arithmetic");
  return static_cast<long double>(d.count())
         * static_cast<long double>(Period::num)
         / static_cast<long double>(Period::den);
}

/// Whether `d` never expires (see the file comment).
template <class Rep, class Period>
constexpr bool is_infinite(std::chrono::duration<Rep, Period> d) noexcept {
  // NaN compares false: not infinite (rejected by the conversions).
  return seconds_of(d) >= 3600.0L * infinite_timeout.count();
}

/// Whether `d` is NaN.
template <class Rep, class Period>
bool is_nan(std::chrono::duration<Rep, Period> d) noexcept {
  if constexpr (std::is_floating_point_v<Rep>)
    return std::isnan(d.count());
  else
    return false;
}

/// Whether `d` is below zero.
template <class Rep, class Period>
constexpr bool is_negative(std::chrono::duration<Rep, Period> d) noexcept {
  if constexpr (std::is_signed_v<Rep>)
    return d.count() < Rep(0);
  else
    return false;
}

/// Throw `std::invalid_argument` naming `what` if `d` is NaN.
template <class Rep, class Period>
void check_not_nan(std::chrono::duration<Rep, Period> d, const char* what) {
  if (is_nan(d))
    throw std::invalid_argument(std::string(what) + " is NaN");
}

/// `d` in `To` ticks, rounded up; `d` is finite and in [0, 100 years).
template <class To, class Rep, class Period>
typename To::rep ceil_ticks(std::chrono::duration<Rep, Period> d) noexcept {
  using cf = std::ratio_divide<Period, typename To::period>;
  using out = typename To::rep;
  if constexpr (std::is_integral_v<Rep> && cf::den == 1) {
    // Exact: the product is below 100 years in `To`.
    return static_cast<out>(d.count()) * static_cast<out>(cf::num);
  } else if constexpr (std::is_integral_v<Rep> && cf::num == 1) {
    const auto c = static_cast<std::uintmax_t>(d.count());
    const auto den = static_cast<std::uintmax_t>(cf::den);
    return static_cast<out>(c / den + (c % den != 0 ? 1 : 0));
  } else {
    return static_cast<out>(std::ceil(static_cast<long double>(d.count())
                                      * static_cast<long double>(cf::num)
                                      / static_cast<long double>(cf::den)));
  }
}

/// `d` as the clock's duration: `clock::duration::max()` if infinite, zero
/// if negative, else rounded up. NaN throws, naming `what`.
template <class Rep, class Period>
clock::duration to_clock_duration(std::chrono::duration<Rep, Period> d,
                                  const char* what = "otp: the timeout") {
  check_not_nan(d, what);
  if (is_infinite(d))
    return clock::duration::max();
  if (is_negative(d) || d.count() == Rep(0))
    return clock::duration::zero();
  return clock::duration(ceil_ticks<clock::duration>(d));
}

/// `d` as an Erlang timeout in milliseconds: `milliseconds::max()`
/// (`otp::infinity`) if infinite, zero if negative, else rounded up. NaN
/// throws, naming `what`.
template <class Rep, class Period>
std::chrono::milliseconds timeout_ms(std::chrono::duration<Rep, Period> d,
                                     const char* what = "otp: the timeout") {
  using std::chrono::milliseconds;
  check_not_nan(d, what);
  if (is_infinite(d))
    return milliseconds::max();
  if (is_negative(d) || d.count() == Rep(0))
    return milliseconds::zero();
  return milliseconds(ceil_ticks<milliseconds>(d));
}

/// The deadline `d` from now, saturated: `time_point::max()` if `d` is
/// `clock::duration::max()`.
inline clock::time_point deadline_in(clock::duration d) noexcept {
  if (d <= clock::duration::zero())
    return clock::now();
  const clock::time_point now = clock::now();
  if (d >= clock::time_point::max() - now)
    return clock::time_point::max();
  return now + d;
}

/// The deadline of a timeout `d` that starts now: `time_point::max()`
/// (never) if infinite, now if zero or negative. NaN throws, naming `what`.
template <class Rep, class Period>
clock::time_point deadline_after(std::chrono::duration<Rep, Period> d,
                                 const char* what = "otp: the timeout") {
  return deadline_in(to_clock_duration(d, what));
}

/// Whether `deadline` is "never".
inline bool is_never(clock::time_point deadline) noexcept {
  return deadline == clock::time_point::max();
}

/// What is left until `deadline`, never below zero; `clock::duration::max()`
/// for "never".
inline clock::duration time_left(clock::time_point deadline) noexcept {
  if (is_never(deadline))
    return clock::duration::max();
  const clock::duration left = deadline - clock::now();
  return left < clock::duration::zero() ? clock::duration::zero() : left;
}

/// `time_left(deadline)` in milliseconds, rounded up; `otp::infinity`
/// (`milliseconds::max()`) for "never".
inline std::chrono::milliseconds
time_left_ms(clock::time_point deadline) noexcept {
  const clock::duration left = time_left(deadline);
  if (left == clock::duration::max())
    return std::chrono::milliseconds::max();
  return std::chrono::ceil<std::chrono::milliseconds>(left);
}

/// The one way a timeout is printed in exit reasons and reports, as
/// Erlang prints it: `infinity`, or the (rounded up) millisecond count.
template <class Rep, class Period>
std::string timeout_to_string(std::chrono::duration<Rep, Period> d) {
  if (is_nan(d))
    return "nan";
  const std::chrono::milliseconds ms = timeout_ms(d);
  if (ms == std::chrono::milliseconds::max())
    return "infinity";
  return std::to_string(ms.count());
}

} // namespace otp::detail
