#pragma once
/// \file sys.hpp
/// Erlang's `sys` module and `proc_lib:stop/3` for every special process
/// (GenServer, Agent, Supervisor, DynamicSupervisor, Task.Supervisor, or a
/// loop of yours on sys_protocol.hpp): inspect, suspend and stop a running
/// process through system messages, which it handles even while suspended.
///
/// - `suspend` / `resume`: while suspended only system messages are handled;
///   everything else (calls, casts, a supervisor's children's EXITs) stays
///   queued until `resume`.
/// - `statistics`: messages in and out, callbacks, uptime (system messages
///   not counted).
/// - `get_status`: pid, name, parent, running/suspended, the state as the
///   process shows it, and its type.
/// - `get_state<T>(ref[, fn])` / `replace_state<T>(ref, fn)`: `fn` runs
///   inside the process on its state, which must be a `T` (else
///   `{bad_state_type,...}`); if `fn` throws, the process goes on (a
///   copyable state restored as it was before `fn`) and the caller exits
///   with `{callback_failed,{Module,Function},Why}`. A
///   supervisor's state is a snapshot: `replace_state` fails with
///   `{callback_failed,{supervisor,system_replace_state},{error,
///   state_not_replaceable}}`. The typed front ends are
///   `sys::get_state(server<S>)` (behaviours/sys.hpp) and
///   `supervisor::get_state(sup)`.
/// - `otp::stop(ref, reason, timeout)` (`proc_lib:stop/3`): the process runs
///   its terminate logic (a supervisor shuts its children down in order)
///   and exits with `reason`; the caller waits for that exit (its DOWN).
///
/// Every sys function is a synchronous call (default timeout 5 s) that
/// exits the caller on failure (throws `exit_error`), like `call`:
/// `{Reason,{sys,Function,[Ref,Timeout]}}`, Reason being `noproc`,
/// `timeout`, `calling_self` or the process's exit reason. A process that
/// does not speak the protocol (a plain `spawn`) makes them time out. Call
/// them from a process.

#include "framework/call.hpp"
#include "framework/result.hpp"
#include "framework/server_ref.hpp"
#include "framework/spawn.hpp"
#include "framework/sys_protocol.hpp"

#include <chrono>
#include <concepts>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace otp {

namespace detail {

/// Send `op` to `to` and wait for its reply envelope (owned by the
/// caller); a failure throws `exit_error` with
/// `{Reason,{sys,<op>,[To,Timeout]}}`.
envelope* system_call(const server_ref& to, std::unique_ptr<system_op> op,
                      std::chrono::milliseconds timeout);

/// `proc_lib:stop/3`; failures are `{Reason,{Module,Function,[To,Reason,
/// Timeout]}}` with `site` naming the module and function.
result<void> stop_process(const server_ref& to, exit_reason reason,
                          std::chrono::milliseconds timeout, call_site site);

/// A request running `fn` on the process's state, a `T`: `const T&` for
/// get_state, `T&` for replace_state (`Write`). Replies `result<R>`.
template <class T, class F, bool Write>
class state_op final : public system_op {
public:
  using fn_result = std::remove_cvref_t<
      std::invoke_result_t<F&, std::conditional_t<Write, T&, const T&>>>;
  using reply_type = result<fn_result>;
  static_assert(std::is_void_v<fn_result> || message<fn_result>,
                "otp::sys::get_state: the function's result travels back to "
                "the caller as a message and shares mutable state (a "
                "pointer, reference, view or shared_ptr<T>); return an "
                "owning value");

  state_op(const char* name, const char* function, F fn)
      : name_(name),
        function_(function),
        fn_(std::move(fn)) {}
  const char* name() const noexcept override { return name_; }

  std::optional<exit_reason> run(special_process& p,
                                 const from& caller) override {
    otp::reply(caller, apply(p));
    return std::nullopt;
  }

private:
  reply_type apply(special_process& p) {
    const system_state st = p.system_get_state();
    if (st.type == nullptr || *st.type != typeid(T))
      return bad_state_type(typeid(T), st);
    if (Write && !st.replaceable)
      return state_not_replaceable(p);
    T& state = *static_cast<T*>(st.object);
    // OTP's functions return a new state, so one that raises changes
    // nothing; here `fn` changes the state in place, so a copyable one is
    // saved first and put back if `fn` raises.
    constexpr bool restorable =
        Write
        && std::is_copy_constructible_v<T> && std::is_copy_assignable_v<T>;
    std::optional<T> saved;
    if constexpr (restorable)
      saved.emplace(state);
    try {
      if constexpr (std::is_void_v<fn_result>) {
        invoke(state);
        return reply_type();
      } else {
        return reply_type(invoke(state));
      }
    } catch (...) {
      exit_reason why;
      if (!current_exception_reason(why))
        throw; // the runtime's own unwinding (a kill) goes on
      if constexpr (restorable)
        state = std::move(*saved);
      return callback_failed(p, function_, why);
    }
  }
  fn_result invoke(T& state) {
    if constexpr (Write)
      return fn_(state);
    else
      return fn_(std::as_const(state));
  }

  const char* name_;
  const char* function_;
  F fn_;
};

template <class T, bool Write, class F>
auto state_request(const server_ref& to, const char* name, const char* function,
                   F fn, std::chrono::milliseconds timeout) {
  using op = state_op<T, std::decay_t<F>, Write>;
  using R = typename op::reply_type;
  envelope* e = system_call(
      to, std::make_unique<op>(name, function, std::move(fn)), timeout);
  // A failed request exits the caller with the error itself (OTP's
  // `error(Reason)`), a failed call with the wrapped reason.
  return take_reply<R>(e).value().value();
}

/// `Ref` is exactly `server_ref`: the typed front ends (`get_state(server<S>)`)
/// take pids and names, so these never compete with them.
template <class Ref>
concept exact_server_ref = std::same_as<Ref, server_ref>;

} // namespace detail

namespace sys {

/// `sys:suspend`: the process handles only system messages until `resume`.
void suspend(const server_ref& s,
             std::chrono::milliseconds timeout = default_call_timeout);
/// `sys:resume`.
void resume(const server_ref& s,
            std::chrono::milliseconds timeout = default_call_timeout);
/// `sys:statistics`.
statistics_info
statistics(const server_ref& s,
           std::chrono::milliseconds timeout = default_call_timeout);
/// `sys:get_status`.
status_info
get_status(const server_ref& s,
           std::chrono::milliseconds timeout = default_call_timeout);

/// Run `fn(const T&)` on the state of `s` (a `T`) inside it; returns what
/// `fn` returns. Pass a `server_ref`; see the file comment for errors.
template <class T, class F, detail::exact_server_ref Ref>
  requires std::is_invocable_v<F&, const T&>
auto get_state(const Ref& s, F fn,
               std::chrono::milliseconds timeout = default_call_timeout) {
  return detail::state_request<T, false>(s, "get_state", "system_get_state",
                                         std::move(fn), timeout);
}
/// `sys:get_state`: a copy of the state of `s`, a `T`.
template <class T, detail::exact_server_ref Ref>
T get_state(const Ref& s,
            std::chrono::milliseconds timeout = default_call_timeout) {
  static_assert(std::is_copy_constructible_v<T>,
                "otp::sys::get_state<T>: T is not copyable; pass a function "
                "reading what you need");
  return get_state<T>(
      s, [](const T& v) { return v; }, timeout);
}
/// `sys:replace_state`: run `fn(T&)` on the state of `s` inside it.
template <class T, class F, detail::exact_server_ref Ref>
  requires std::is_invocable_v<F&, T&>
void replace_state(const Ref& s, F fn,
                   std::chrono::milliseconds timeout = default_call_timeout) {
  detail::state_request<T, true>(
      s, "replace_state", "system_replace_state",
      [fn = std::move(fn)](T& v) mutable { fn(v); }, timeout);
}

} // namespace sys

/// `GenServer.stop/3` / `proc_lib:stop/3` for any special process: ask `s`
/// to run its terminate logic and exit with `reason`, and wait (up to
/// `timeout`) until it has. Returns `{noproc|calling_self|timeout|<other
/// reason>,{GenServer,stop,[S,Reason,Timeout]}}` on failure (after a timeout
/// the request stays queued: the process still stops when it gets to it).
result<void>
try_stop(const server_ref& s, exit_reason reason = exit_reason::normal(),
         std::chrono::milliseconds timeout = std::chrono::milliseconds::max());
/// Like `try_stop`, but a failure exits the caller (throws `exit_error`).
void stop(const server_ref& s, exit_reason reason = exit_reason::normal(),
          std::chrono::milliseconds timeout = std::chrono::milliseconds::max());

} // namespace otp
