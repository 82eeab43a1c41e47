#pragma once
/// \file receive.hpp
/// Selective receive, as Erlang's `receive ... after ... end`.
///
/// ```cpp
/// int n = otp::receive(
///     [](const ping& p) { return p.n; },                    // by type
///     otp::guard([](int x) { return x > 5; },               // with a guard
///                [](int x) { return x; }),
///     otp::after(100ms, [] { return -1; }));                // timeout
/// ```
///
/// - Messages are examined oldest first. The first one that matches any
///   handler (its parameter type, then its guard) is removed and handed to
///   that handler; all other messages stay queued in their order.
/// - Handlers are tried in the order written. A handler taking
///   `otp::any_message` matches everything.
/// - A handler's parameter type is what it matches: a generic lambda
///   (`[](const auto&)`) has none and is rejected by a static_assert.
/// - Without `after`, receive waits forever. `after(0ms, ...)` polls;
///   `after(otp::infinity, ...)` never fires.
/// - The result is the common type of what the handlers (and `after`'s
///   function) return; all `void` gives `void`.
/// - Within one call no message is examined twice, however often the process
///   wakes up: cost is proportional to the messages that arrive.
///
/// Must be called from a process; throws `std::logic_error` otherwise.
/// receive is a suspension point: a pending exit signal terminates the
/// process here.

#include "framework/detail/deadline.hpp"
#include "framework/detail/mailbox_scan.hpp"
#include "framework/message.hpp"

#include <chrono>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace otp {

/// A timeout that never fires, as does any duration of at least 100 years
/// (`hours::max()`...); see detail/deadline.hpp.
inline constexpr auto infinity = std::chrono::milliseconds::max();

// -- handler introspection ----------------------------------------------------

namespace detail {

template <class...>
inline constexpr bool handler_never = false;

/// The message of a handler: the one parameter of its single non-template
/// call operator (a lambda, a function object), or of a function.
template <class F>
struct callable_arg {
  static_assert(handler_never<F>,
                "otp::receive: a handler takes one parameter of a concrete "
                "type, e.g. [](const ping& p) {...}: that type is what it "
                "matches. A generic lambda ([](const auto& x)), a template or "
                "an overloaded operator() has none. To take any message: "
                "[](otp::any_message m) {...}");
  using type = any_message;
  using result = void;
};
template <class F>
  requires std::is_member_function_pointer_v<decltype(&F::operator())>
struct callable_arg<F> : callable_arg<decltype(&F::operator())> {
};
template <class R, class A, bool NE>
struct callable_arg<R (*)(A) noexcept(NE)> {
  using type = A;
  using result = R;
};
template <class R, class A, bool NE>
struct callable_arg<R(A) noexcept(NE)> : callable_arg<R (*)(A)> {};
template <class C, class R, class A, bool NE>
struct callable_arg<R (C::*)(A) noexcept(NE)> : callable_arg<R (*)(A)> {};
template <class C, class R, class A, bool NE>
struct callable_arg<R (C::*)(A) const noexcept(NE)> : callable_arg<R (*)(A)> {};

template <class F>
using handler_arg_t = typename callable_arg<std::remove_cvref_t<F>>::type;
template <class F>
using handler_msg_t = std::remove_cvref_t<handler_arg_t<F>>;
template <class F>
using handler_result_t = typename callable_arg<std::remove_cvref_t<F>>::result;

} // namespace detail

/// A handler with a guard: matches a `T` only when `pred(const T&)` is true.
template <class Pred, class F>
struct guarded {
  Pred pred;
  F fn;
};

/// `guard(pred, handler)`: Erlang's `Pattern when Guard -> Body`.
template <class Pred, class F>
guarded<std::decay_t<Pred>, std::decay_t<F>> guard(Pred&& pred, F&& fn) {
  return {std::forward<Pred>(pred), std::forward<F>(fn)};
}

/// The timeout clause of `receive`.
template <class F>
struct after_clause {
  /// Saturated: `steady_clock::duration::max()` when infinite, never below
  /// zero.
  std::chrono::steady_clock::duration timeout;
  bool infinite;
  F fn;
};

/// `after(timeout, fn)`: run `fn` if nothing matches within `timeout`. Any
/// duration type works; 100 years or more never fires, zero or negative
/// polls, NaN throws `std::invalid_argument`.
template <class Rep, class Period, class F>
after_clause<std::decay_t<F>> after(std::chrono::duration<Rep, Period> d,
                                    F&& fn) {
  const auto t = detail::to_clock_duration(d, "otp::after: the timeout");
  return {t, t == std::chrono::steady_clock::duration::max(),
          std::forward<F>(fn)};
}

/// `after(timeout)`: give up after `timeout`, doing nothing.
template <class Rep, class Period>
auto after(std::chrono::duration<Rep, Period> d) {
  return after(d, [] {});
}

namespace detail {

template <class H>
struct handler_traits {
  using msg = handler_msg_t<H>;
  using result = handler_result_t<H>;
  static bool guard_ok(H&, const envelope*) { return true; }
  static H& fn(H& h) { return h; }
};
template <class P, class F>
struct handler_traits<guarded<P, F>> {
  using msg = handler_msg_t<F>;
  using result = handler_result_t<F>;
  static bool guard_ok(guarded<P, F>& g, const envelope* e) {
    return static_cast<bool>(
        g.pred(static_cast<const typed_envelope<msg>*>(e)->value));
  }
  static F& fn(guarded<P, F>& g) { return g.fn; }
};

template <class T>
struct is_after : std::false_type {};
template <class F>
struct is_after<after_clause<F>> : std::true_type {};

template <class H>
bool handler_matches(H& h, const envelope* e) {
  using tr = handler_traits<H>;
  if constexpr (std::is_same_v<typename tr::msg, any_message>)
    return true;
  else
    return e->type == &type_desc_of<typename tr::msg> && tr::guard_ok(h, e);
}

template <class H>
decltype(auto) call_handler(H& h, envelope* e) {
  using tr = handler_traits<H>;
  using msg = typename tr::msg;
  if constexpr (std::is_same_v<msg, any_message>) {
    return tr::fn(h)(any_message(e));
  } else {
    struct owner {
      envelope* e;
      ~owner() { destroy(e); }
    } guard_{e};
    auto& v = static_cast<typed_envelope<msg>*>(e)->value;
    return tr::fn(h)(std::move(v));
  }
}

template <class... R>
struct common_result {
  using type = std::common_type_t<R...>;
};
template <>
struct common_result<> {
  using type = void;
};

template <class T>
struct after_result {
  using type = std::invoke_result_t<decltype(T::fn)&>;
};

/// Runs the scan loop; `Hs` are handlers only, `A` the after clause or
/// nullptr_t.
template <class R, class A, class... Hs>
R run_receive(process* p, std::uint32_t mark_id, A* after, Hs&... hs) {
  check_signals(p);
  mailbox_scan scan(p, mark_id);
  clock::time_point deadline = clock::time_point::max();
  if constexpr (!std::is_same_v<A, std::nullptr_t>)
    deadline = after->infinite ? deadline : deadline_in(after->timeout);
  for (;;) {
    while (envelope* e = scan.next()) {
      std::size_t which = 0;
      std::size_t i = 0;
      (void)((++i, handler_matches(hs, e) ? (which = i, true) : false) || ...);
      if (which == 0)
        continue;
      scan.take(e);
      std::size_t k = 0;
      if constexpr (std::is_void_v<R>) {
        ((++k == which ? (void)call_handler(hs, e) : void()), ...);
        return;
      } else {
        std::optional<R> out;
        ((++k == which ? (void)out.emplace(call_handler(hs, e)) : void()), ...);
        return std::move(*out);
      }
    }
    if (!scan.wait(deadline)) {
      if constexpr (!std::is_same_v<A, std::nullptr_t>)
        return static_cast<R>(after->fn());
    }
  }
}

template <class... Args>
decltype(auto) receive_dispatch(std::uint32_t mark_id, Args&... args) {
  process* p = require_process("otp::receive");
  constexpr std::size_t n_after =
      (std::size_t{is_after<Args>::value} + ... + 0);
  static_assert(n_after <= 1, "otp::receive: at most one after(...) clause");
  if constexpr (n_after == 0) {
    using R =
        typename common_result<typename handler_traits<Args>::result...>::type;
    return run_receive<R, std::nullptr_t>(p, mark_id, nullptr, args...);
  } else {
    static_assert(is_after<std::tuple_element_t<sizeof...(Args) - 1,
                                                std::tuple<Args...>>>::value,
                  "otp::receive: after(...) must be the last argument");
    auto all = std::tie(args...);
    return [&]<std::size_t... I>(std::index_sequence<I...>)->decltype(auto) {
      auto& a = std::get<sizeof...(Args) - 1>(all);
      using A = std::remove_reference_t<decltype(a)>;
      using R = typename common_result<
          typename handler_traits<std::remove_reference_t<
              std::tuple_element_t<I, std::tuple<Args...>>>>::result...,
          typename after_result<A>::type>::type;
      return run_receive<R, A>(p, mark_id, &a, std::get<I>(all)...);
    }
    (std::make_index_sequence<sizeof...(Args) - 1>{});
  }
}

} // namespace detail

/// Selective receive (see the file comment).
template <class... Args>
decltype(auto) receive(Args&&... args) {
  static_assert(sizeof...(Args) > 0, "otp::receive needs at least one handler");
  return detail::receive_dispatch(0, args...);
}

/// A position in the calling process's mailbox (see `receive_after`).
struct mailbox_mark {
  std::uint32_t id;
};

/// Remember "now" in the mailbox of the calling process. O(1).
inline mailbox_mark mark() {
  return {detail::mailbox_mark(detail::require_process("otp::mark"))};
}

/// Like `receive`, but only messages that arrived after `m` are examined, so
/// waiting for a reply costs the same however long the queue is (OTP's
/// receive marker, used by `call`). Only for what is sent after the mark (a
/// reply to a request sent after it). A stale mark falls back to a full scan.
template <class... Args>
decltype(auto) receive_after(mailbox_mark m, Args&&... args) {
  return detail::receive_dispatch(m.id, args...);
}

/// Receive the oldest `T`, waiting as long as it takes.
template <message T>
T receive_as() {
  return receive([](T&& v) -> T { return std::move(v); });
}

/// Receive the oldest `T`, or nothing after `timeout`.
template <message T, class Rep, class Period>
std::optional<T> receive_as(std::chrono::duration<Rep, Period> timeout) {
  return receive(
      [](T&& v) -> std::optional<T> { return std::optional<T>(std::move(v)); },
      after(timeout, [] { return std::optional<T>(); }));
}

} // namespace otp
