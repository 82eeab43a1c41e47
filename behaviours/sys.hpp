#pragma once
/// \file sys.hpp
/// Erlang's `sys` module on GenServers and Agents, typed by their handles.
/// The protocol and the untyped functions (`suspend`, `resume`,
/// `statistics`, `get_status`, `otp::stop`) are framework/sys.hpp's, the
/// same for every special process; this adds:
///
/// - `get_state(server<S>[, fn])` / `replace_state(server<S>, fn)`: `fn`
///   runs inside the server on the `S` object; an exception in `fn` leaves
///   the server running with its state as it was, and exits the caller with
///   `{callback_failed,{GenServer,system_get_state|system_replace_state},
///   Why}` (docs/semantics.md item 87);
/// - `get_state(agent<State>)` / `replace_state(agent<State>, fn)`: the
///   agent's State (Elixir's `:sys.get_state(agent)`);
/// - `change_code(server<S>, extra)`: runs `S::code_change(extra)`; if it
///   returns an error or throws, the previous state is kept (needs a
///   copyable server) and the error is returned.
///
/// All are synchronous calls (default timeout 5 s) that exit the caller
/// like `call` on failure: `{Reason,{sys,<function>,...}}`. Call them from a
/// process.

#include "behaviours/agent.hpp"
#include "behaviours/gen_server.hpp"
#include "framework/sys.hpp"

#include <chrono>
#include <string>
#include <utility>

namespace otp::sys {

/// Run `fn(const S&)` inside the server and return its result.
template <class S, class F>
  requires std::is_invocable_v<F&, const S&>
auto get_state(const server<S>& s, F fn,
               std::chrono::milliseconds timeout = default_call_timeout) {
  return get_state<S>(s.ref(), std::move(fn), timeout);
}
/// `sys:get_state`: a copy of the server object.
template <class S>
S get_state(const server<S>& s,
            std::chrono::milliseconds timeout = default_call_timeout) {
  static_assert(std::is_copy_constructible_v<S>,
                "otp::sys::get_state(server): the server is not copyable; "
                "pass a function reading what you need");
  return get_state<S>(s.ref(), timeout);
}
/// `sys:replace_state`: run `fn(S&)` inside the server.
template <class S, class F>
  requires std::is_invocable_v<F&, S&>
void replace_state(const server<S>& s, F fn,
                   std::chrono::milliseconds timeout = default_call_timeout) {
  replace_state<S>(s.ref(), std::move(fn), timeout);
}

/// `:sys.get_state(agent)`: a copy of the agent's State.
template <class State>
State get_state(const agent<State>& a,
                std::chrono::milliseconds timeout = default_call_timeout) {
  using S = otp::detail::agent_server<State>;
  return get_state<S>(
      a.ref(), [](const S& s) { return s.state(); }, timeout);
}
/// `:sys.replace_state(agent, fn)`: run `fn(State&)` inside the agent.
template <class State, class F>
  requires std::is_invocable_v<F&, State&>
void replace_state(const agent<State>& a, F fn,
                   std::chrono::milliseconds timeout = default_call_timeout) {
  using S = otp::detail::agent_server<State>;
  replace_state<S>(
      a.ref(), [fn = std::move(fn)](S& s) mutable { fn(s.state()); }, timeout);
}

/// `sys:change_code`: run `S::code_change(extra) -> result<void>` in the
/// server; an error or an exception keeps the previous state and is
/// returned.
template <class S>
result<void>
change_code(const server<S>& s, std::string extra,
            std::chrono::milliseconds timeout = default_call_timeout) {
  static_assert(std::is_copy_constructible_v<S>,
                "otp::sys::change_code: the server must be copyable so that "
                "a failed code_change can restore it");
  // The request replies the error as a `result<void>` of its own: the
  // request itself succeeds whatever code_change does.
  auto upgrade = [extra = std::move(extra)](S& v) {
    S saved = v;
    exit_reason why;
    try {
      result<void> r = v.code_change(extra);
      if (r.ok())
        return r;
      why = r.error();
    } catch (...) {
      if (!otp::detail::current_exception_reason(why))
        throw; // the runtime's own unwinding (a kill) goes on
    }
    v = std::move(saved);
    return result<void>(std::move(why));
  };
  return otp::detail::state_request<S, true>(s.ref(), "change_code",
                                             "system_code_change",
                                             std::move(upgrade), timeout);
}

} // namespace otp::sys
