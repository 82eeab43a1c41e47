#pragma once
/// \file call.hpp
/// The request/reply protocol under every behaviour (OTP's `gen:call`).
///
/// A call monitors the server, sends `call_request<Req>{from, request}` and
/// waits for the reply sent to a one-shot alias (`from`):
/// - the reply comes back: its value is returned;
/// - the server ends first: the call fails with the server's reason (its
///   DOWN), `noproc` if it was already dead or the name is not registered;
/// - `timeout` passes: the alias is turned off, so a late reply is dropped
///   and never reaches the caller's mailbox; a reply that arrived exactly at
///   expiry is still returned;
/// - a call to the caller itself fails with `calling_self` at once.
///
/// Failures are `{Reason, {Module,function,[Server,Request,Timeout]}}`
/// (`exit_reason::wrap`): `call` throws `exit_error` with it (uncaught, the
/// caller exits with that reason, as in OTP) and `try_call` returns it.
///
/// Waiting uses the mailbox mark, so a caller with a long queue pays only for
/// what arrives during the call. Must be called from a process. `reply` may
/// be called by any process (or thread), any number of times; only the first
/// reply of a call is received.
///
/// Timeouts may be any `std::chrono::duration`; they saturate (100 years or
/// more, `otp::infinity`, `hours::max()`... never expire; zero or negative
/// means "only what already arrived"; NaN throws `std::invalid_argument`)
/// and print as Erlang prints them: `infinity` or milliseconds. An
/// exception thrown while the call is being sent (the request's copy
/// constructor, an allocation) leaves nothing behind: the alias is turned
/// off and the monitor removed before it propagates, and the server never
/// sees a half-built request.

#include "framework/detail/deadline.hpp"
#include "framework/detail/mailbox_scan.hpp"
#include "framework/message.hpp"
#include "framework/result.hpp"
#include "framework/server_ref.hpp"
#include "framework/signals.hpp"

#include <chrono>
#include <cstdint>
#include <typeinfo>
#include <utility>

namespace otp {

/// Who made a call and where its reply goes (Erlang's `From`).
class from {
public:
  from() = default;
  explicit from(alias_ref a) : alias_(std::move(a)) {}
  /// The calling process.
  const pid& caller() const noexcept { return alias_.pid; }
  /// The alias the reply is sent to.
  const alias_ref& reply_to() const noexcept { return alias_; }
  explicit operator bool() const noexcept { return bool(alias_.pid); }

private:
  alias_ref alias_;
};

/// What a call puts in the server's mailbox. A process serving calls by hand
/// receives it and answers with `reply(r.from, value)`.
template <class Req>
struct call_request {
  otp::from from;
  Req request;
};

/// Names the operation in a failed call's reason: `{Module,function,...}`.
struct call_site {
  const char* module = "gen";
  const char* function = "call";
};

/// Default call timeout: 5 s, as in OTP.
inline constexpr std::chrono::milliseconds default_call_timeout{5000};

namespace detail {

/// One call in flight, on the caller's side.
struct call_state {
  alias_ref alias;
  ref monitor;
  pid target;
  std::uint32_t mark = 0;
  /// The alias and the monitor are set up and not yet cleaned up. A move
  /// hands this over: the moved-from state is closed.
  bool open = false;

  call_state() = default;
  call_state(call_state&& o) noexcept
      : alias(std::move(o.alias)),
        monitor(o.monitor),
        target(std::move(o.target)),
        mark(o.mark),
        open(std::exchange(o.open, false)) {}
  call_state& operator=(call_state&& o) noexcept {
    alias = std::move(o.alias);
    monitor = o.monitor;
    target = std::move(o.target);
    mark = o.mark;
    open = std::exchange(o.open, false);
    return *this;
  }
};

/// Resolve `to` and set up alias, mark and monitor (`st.open`); on failure
/// (noproc, calling_self) fill `err` and return false. If it throws, nothing
/// is left set up.
bool call_begin(const server_ref& to, call_state& st, exit_reason& err);
/// Wait until `deadline` for the reply; returns its envelope (owned by the
/// caller) or nullptr with `err` set (the server's reason, or timeout).
/// Always cleans up the alias and the monitor (`st.open` becomes false).
envelope* call_wait_until(call_state& st, clock::time_point deadline,
                          exit_reason& err);
/// `call_wait_until(st, deadline_after(timeout), err)`.
envelope* call_wait(call_state& st, std::chrono::milliseconds timeout,
                    exit_reason& err);
/// Give up an open call without waiting: the alias is turned off, the
/// monitor removed with its DOWN, and a reply that already arrived dropped.
/// Does nothing once the call is closed.
void call_abandon(call_state& st);

/// Abandons an open call when it goes out of scope: put it right after a
/// successful `call_begin`, so that whatever throws before `call_wait`
/// (the request's copy, the envelope's allocation) leaves no alias, monitor
/// or stray DOWN behind. `release()` when the state is handed over.
class call_guard {
public:
  explicit call_guard(call_state& st) noexcept : st_(&st) {}
  call_guard(const call_guard&) = delete;
  call_guard& operator=(const call_guard&) = delete;
  ~call_guard();
  /// Stop guarding (the state was moved elsewhere).
  void release() noexcept { st_ = nullptr; }

private:
  call_state* st_;
};

/// `{reason, {module,function,[server,request,timeout]}}`.
exit_reason call_failure(exit_reason reason, const call_site& site,
                         const server_ref& to, const std::type_info& req,
                         std::chrono::milliseconds timeout);
/// The reply had another type than the caller expects.
exit_reason bad_reply_type(const std::type_info& expected, const envelope* got);

template <class R>
result<R> take_reply(envelope* e) {
  if (e->type != &type_desc_of<R>) {
    exit_reason why = bad_reply_type(typeid(R), e);
    destroy(e);
    return why;
  }
  auto* t = static_cast<typed_envelope<R>*>(e);
  result<R> out(std::move(t->value));
  destroy(e);
  return out;
}

} // namespace detail

/// Call `to` with `request` and wait up to `timeout` for a reply of type `R`;
/// every failure is returned, never thrown (see the file comment).
template <class R, class Req, class Rep = detail::ms_rep,
          class Period = detail::ms_period>
result<R>
try_call(const server_ref& to, Req&& request,
         std::chrono::duration<Rep, Period> timeout = default_call_timeout,
         call_site site = {}) {
  using Q = message_type_t<Req>;
  static_assert(message<Q>, "otp::call: the request type shares mutable "
                            "state; send owning values");
  const auto wait = detail::to_clock_duration(timeout, "otp::call: timeout");
  const std::chrono::milliseconds shown = detail::timeout_ms(timeout);
  detail::call_state st;
  exit_reason err;
  if (detail::call_begin(to, st, err)) {
    detail::call_guard guard(st);
    detail::push(st.target.get(),
                 detail::make_envelope<call_request<Q>>(call_request<Q>{
                     from(st.alias), Q(std::forward<Req>(request))}));
    if (detail::envelope* e =
            detail::call_wait_until(st, detail::deadline_in(wait), err))
      return detail::take_reply<R>(e);
  }
  return detail::call_failure(std::move(err), site, to, typeid(Q), shown);
}

/// Like `try_call`, but a failure throws `exit_error` with the reason, which
/// (uncaught) makes the caller exit with it, as OTP's `call` does.
template <class R, class Req, class Rep = detail::ms_rep,
          class Period = detail::ms_period>
R call(const server_ref& to, Req&& request,
       std::chrono::duration<Rep, Period> timeout = default_call_timeout,
       call_site site = {}) {
  return try_call<R>(to, std::forward<Req>(request), timeout, site).value();
}

/// Answer the call `f` with `value` (`GenServer.reply/2`). Works from any
/// process; a reply to a caller that gave up is dropped.
template <class R>
void reply(const from& f, R&& value) {
  using T = message_type_t<R>;
  static_assert(message<T>, "otp::reply: the reply type shares mutable "
                            "state; send owning values");
  detail::send_alias(f.reply_to(),
                     detail::make_envelope<T>(std::forward<R>(value)));
}

} // namespace otp
