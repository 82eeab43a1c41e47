#pragma once
/// \file timer.hpp
/// Timers (docs/semantics.md items 18): `send_after`, `start_timer`,
/// `send_interval`, `cancel_timer`, `read_timer`. A runtime keeps its pending
/// timers in one ordered map on a timer thread: O(log n) per operation, so a
/// million pending timers work.
///
/// - A timer aimed at a pid is void once that pid has ended: it delivers
///   nothing and `cancel_timer` returns nothing for it.
/// - A timer aimed at a name looks the name up when it fires (nothing is
///   sent if the name is not registered then).
/// - `cancel_timer` never removes a message that was already delivered
///   (Erlang's rule). With `{.flush = true}`, called by the timer's target,
///   it also removes that message from the caller's mailbox, so a cancelled
///   timer can never be seen afterwards (what Akka's timers guarantee).
///
/// - A delay may be any `std::chrono::duration`. It saturates: 100 years or
///   more (`otp::infinity`, `hours::max()`, `nanoseconds::max()`...) never
///   fires, and `read_timer` / `cancel_timer` then return `otp::infinity`.
///   (Erlang rejects times past its end of time and the atom `infinity`
///   with `badarg`; here "never" is a value of every duration type, so
///   forwarding a caller's `infinity` to a timer just works.) A negative
///   or NaN delay throws `std::invalid_argument` naming the delay, as
///   Erlang's `badarg`; zero fires at once.
/// - `read_timer` / `cancel_timer` on a timer that fired, was cancelled or
///   whose target ended return nothing (Erlang's `false`), never a
///   left-over number; otherwise the time left, rounded up to a millisecond.
///
/// `send_interval(to, interval, msg)` is `timer:send_interval/3`: it sends a
/// copy of `msg` every `interval` until `cancel_timer` (which then reports
/// the time left until the next copy) or until the target ends: the pid, or
/// for a name the process registered under it when the interval was
/// created (as OTP's timer monitors it; each tick looks the name up again).
/// With no such process then (an unregistered name, the null pid) the
/// interval ends at once. Ticks keep a fixed rate (tick n is due at start +
/// n * interval, no drift; a late timer thread catches up). The interval is
/// rounded up to a whole millisecond, Erlang's resolution; zero, negative or
/// NaN throws `std::invalid_argument` (Erlang's badarg); 100 years or more
/// never sends. `{.flush = true}` removes every copy already queued in the
/// caller's mailbox.
///
/// Must be called from a process of the runtime (std::logic_error
/// otherwise).

#include "framework/detail/deadline.hpp"
#include "framework/message.hpp"
#include "framework/pid.hpp"
#include "framework/ref.hpp"

#include <chrono>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace otp {

/// A timer's reference, as `send_after`, `start_timer` and `send_interval`
/// return it and `cancel_timer` / `read_timer` take it.
using timer_ref = ref;

/// What `start_timer` delivers: `{timeout, TimerRef, Msg}`.
template <class T>
struct timeout_message {
  ref timer;
  T msg;
};

template <class T>
std::ostream& operator<<(std::ostream& os, const timeout_message<T>& m) {
  os << "{timeout," << m.timer << ",";
  if constexpr (detail::printable<T>)
    os << m.msg;
  else
    detail::print_unprintable(os, typeid(T));
  return os << "}";
}

/// Options of `cancel_timer`.
struct cancel_timer_options {
  /// Also remove the timer's message if it was already delivered to the
  /// caller (only meaningful when the caller is the timer's target).
  bool flush = false;
};

namespace detail {
/// Arm a timer delivering `e` (taken, even if this throws) after `after`,
/// a saturated delay: `steady_clock::duration::max()` never fires.
ref add_timer(const pid* to, const std::string* name,
              std::chrono::steady_clock::duration after, envelope* e);

/// The envelope a timer delivers: `msg`, checked like any message.
template <class M>
envelope* timer_envelope(M&& msg) {
  using T = message_type_t<M>;
  static_assert(message<T>, "otp timers: the message type shares mutable "
                            "state; send owning values");
  return make_envelope<T>(std::forward<M>(msg));
}

/// `d` as a timer's delay (saturated); negative or NaN throws
/// `std::invalid_argument` naming `what`.
template <class Rep, class Period>
std::chrono::steady_clock::duration
timer_delay(std::chrono::duration<Rep, Period> d, const char* what) {
  if (is_negative(d))
    throw std::invalid_argument(std::string(what)
                                + " is negative; a timer needs a delay >= 0");
  return to_clock_duration(d, what);
}

/// Arm an interval timer sending copies (made by `copy`) of the prototype
/// `e` (taken, even if this throws) every `period` (> 0, saturated).
ref add_interval(const pid* to, const std::string* name,
                 std::chrono::steady_clock::duration period, envelope* e,
                 envelope* (*copy)(const envelope*));

/// A copy of the `T` envelope `e`, with its tag.
template <class T>
envelope* copy_envelope(const envelope* e) {
  envelope* c =
      make_envelope<T>(static_cast<const typed_envelope<T>*>(e)->value);
  c->tag = e->tag;
  return c;
}

/// The prototype envelope of `send_interval`: `msg`, checked like any
/// message, and copyable.
template <class M>
envelope* interval_envelope(M&& msg) {
  using T = message_type_t<M>;
  static_assert(std::is_copy_constructible_v<T>,
                "otp::send_interval: the message is copied for every tick; "
                "its type must be copy-constructible");
  return timer_envelope(std::forward<M>(msg));
}

/// `d` as an interval: rounded up to a millisecond (saturated); zero,
/// negative or NaN throws `std::invalid_argument` naming `what`.
template <class Rep, class Period>
std::chrono::steady_clock::duration
interval_period(std::chrono::duration<Rep, Period> d, const char* what) {
  check_not_nan(d, what);
  if (is_negative(d) || d.count() == Rep(0))
    throw std::invalid_argument(std::string(what) + " is "
                                + (is_negative(d) ? "negative" : "zero")
                                + "; an interval must be > 0 (Erlang: badarg)");
  const std::chrono::milliseconds ms = timeout_ms(d, what);
  if (ms == std::chrono::milliseconds::max())
    return std::chrono::steady_clock::duration::max();
  return ms;
}
} // namespace detail

/// Send `msg` to `to` after `delay`; returns the timer's ref.
template <class M, class Rep, class Period>
ref send_after(const pid& to, std::chrono::duration<Rep, Period> delay,
               M&& msg) {
  // The delay is checked before the message is moved into its envelope.
  const auto d = detail::timer_delay(delay, "otp::send_after: delay");
  return detail::add_timer(&to, nullptr, d,
                           detail::timer_envelope(std::forward<M>(msg)));
}

/// Send `msg` to the process registered as `name` when the timer fires.
template <class M, class Rep, class Period>
ref send_after(const std::string& name,
               std::chrono::duration<Rep, Period> delay, M&& msg) {
  const auto d = detail::timer_delay(delay, "otp::send_after: delay");
  return detail::add_timer(nullptr, &name, d,
                           detail::timer_envelope(std::forward<M>(msg)));
}

/// Deliver `timeout_message<T>{ref, msg}` to `to` after `delay`.
template <class M, class Rep, class Period>
ref start_timer(const pid& to, std::chrono::duration<Rep, Period> delay,
                M&& msg) {
  using T = message_type_t<M>;
  static_assert(message<T>, "otp::start_timer: the message type shares "
                            "mutable state; send owning values");
  const auto d = detail::timer_delay(delay, "otp::start_timer: delay");
  const ref r = make_ref();
  auto* e = detail::make_envelope<timeout_message<T>>(
      timeout_message<T>{r, T(std::forward<M>(msg))});
  e->tag = r.id();
  detail::add_timer(&to, nullptr, d, e);
  return r;
}

/// `timer:send_interval/3`: send a copy of `msg` to `to` every `interval`
/// (see the file comment) until `cancel_timer` or `to` ends.
template <class M, class Rep, class Period>
ref send_interval(const pid& to, std::chrono::duration<Rep, Period> interval,
                  M&& msg) {
  const auto d =
      detail::interval_period(interval, "otp::send_interval: interval");
  using T = message_type_t<M>;
  return detail::add_interval(&to, nullptr, d,
                              detail::interval_envelope(std::forward<M>(msg)),
                              &detail::copy_envelope<T>);
}

/// Send a copy of `msg` to the process registered as `name` every
/// `interval`, until `cancel_timer` or the process registered as `name` now
/// ends.
template <class M, class Rep, class Period>
ref send_interval(const std::string& name,
                  std::chrono::duration<Rep, Period> interval, M&& msg) {
  const auto d =
      detail::interval_period(interval, "otp::send_interval: interval");
  using T = message_type_t<M>;
  return detail::add_interval(nullptr, &name, d,
                              detail::interval_envelope(std::forward<M>(msg)),
                              &detail::copy_envelope<T>);
}

/// `timer:send_interval/2`: to the calling process.
template <class M, class Rep, class Period>
ref send_interval(std::chrono::duration<Rep, Period> interval, M&& msg) {
  const auto d =
      detail::interval_period(interval, "otp::send_interval: interval");
  using T = message_type_t<M>;
  return detail::add_interval(nullptr, nullptr, d,
                              detail::interval_envelope(std::forward<M>(msg)),
                              &detail::copy_envelope<T>);
}

/// Cancel a timer. Returns the time that was left (`otp::infinity` for one
/// that never fires), or nothing if the timer had already fired, was
/// cancelled, or its target has ended.
std::optional<std::chrono::milliseconds>
cancel_timer(const ref& timer, cancel_timer_options opts = {});

/// The time left on a timer (`otp::infinity` for one that never fires), or
/// nothing (fired, cancelled, target ended).
std::optional<std::chrono::milliseconds> read_timer(const ref& timer);

} // namespace otp
