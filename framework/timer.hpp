#pragma once
/// \file timer.hpp
/// Timers (SEMANTICS.md 18): `send_after`, `start_timer`, `cancel_timer`,
/// `read_timer`. A runtime keeps its pending timers in one ordered map on a
/// timer thread: O(log n) per operation, so a million pending timers work.
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
/// Must be called from a process of the runtime (std::logic_error
/// otherwise).

#include "framework/message.hpp"
#include "framework/pid.hpp"
#include "framework/ref.hpp"

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>

namespace otp {

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

template <class Rep, class Period>
std::chrono::steady_clock::duration
timer_delay(std::chrono::duration<Rep, Period> d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}
} // namespace detail

/// Send `msg` to `to` after `delay`; returns the timer's ref.
template <class M, class Rep, class Period>
ref send_after(const pid& to, std::chrono::duration<Rep, Period> delay,
               M&& msg) {
  return detail::add_timer(&to, nullptr, detail::timer_delay(delay),
                           detail::timer_envelope(std::forward<M>(msg)));
}

/// Send `msg` to the process registered as `name` when the timer fires.
template <class M, class Rep, class Period>
ref send_after(const std::string& name,
               std::chrono::duration<Rep, Period> delay, M&& msg) {
  return detail::add_timer(nullptr, &name, detail::timer_delay(delay),
                           detail::timer_envelope(std::forward<M>(msg)));
}

/// Deliver `timeout_message<T>{ref, msg}` to `to` after `delay`.
template <class M, class Rep, class Period>
ref start_timer(const pid& to, std::chrono::duration<Rep, Period> delay,
                M&& msg) {
  using T = message_type_t<M>;
  static_assert(message<T>, "otp::start_timer: the message type shares "
                            "mutable state; send owning values");
  const ref r = make_ref();
  auto* e = detail::make_envelope<timeout_message<T>>(
      timeout_message<T>{r, T(std::forward<M>(msg))});
  e->tag = r.id();
  detail::add_timer(&to, nullptr, detail::timer_delay(delay), e);
  return r;
}

/// Cancel a timer. Returns the time that was left, or nothing if the timer
/// had already fired, was cancelled, or its target has ended.
std::optional<std::chrono::milliseconds>
cancel_timer(const ref& timer, cancel_timer_options opts = {});

/// The time left on a timer, or nothing (fired, cancelled, target ended).
std::optional<std::chrono::milliseconds> read_timer(const ref& timer);

} // namespace otp
