#pragma once
/// \file agent.hpp
/// Agent: state behind a process, read and changed by functions that run
/// inside it (Elixir's `Agent`, a thin layer over a GenServer).
///
/// ```cpp
/// using store = otp::agent<std::map<std::string, int>>;
/// store a = store::start_link([] { return std::map<std::string, int>{}; })
///               .pid();
/// a.update([](auto& m) { m["x"] = 1; });
/// int x = a.get([](const auto& m) { return m.at("x"); });
/// ```
///
/// - Every function runs inside the agent process (`self()` there is the
///   agent): an expensive function blocks the agent, not the caller.
/// - `get`, `update` and `get_and_update` are GenServer calls (default
///   timeout 5 s): a timeout exits the caller with
///   `{timeout,{GenServer,call,...}}` while the agent keeps computing; an
///   exception in the function crashes the agent and the caller exits with
///   the wrapped reason. After `stop`, calls exit with `noproc`.
/// - `update` takes `fn(State&)` (changes in place) or `fn(const State&) ->
///   State` (Elixir's style, returns the new state).
/// - `get_and_update` takes `fn(State&) -> R` (changes in place and returns
///   the reply) or `fn(const State&) -> std::pair<R, State>` (Elixir's
///   `{reply, new_state}`: any pair whose second converts to the State). A
///   function returning nothing (or not callable on the State) does not
///   compile, and any other return value is the reply, so Elixir's
///   bad_return_value cannot happen.
/// - `cast` returns at once, whether or not the agent exists.
/// - An agent is a special process: `otp::stop`, `sys::suspend`,
///   `sys::get_status`... work on it, and `sys::get_state(agent)` gives its
///   State (behaviours/sys.hpp).
///
/// An `agent` handle is a value: copy it to other processes freely.

#include "behaviours/gen_server.hpp"

#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

namespace otp {

namespace detail {

template <class F>
struct agent_get {
  F fn;
};
template <class F>
struct agent_update {
  F fn;
};
template <class F>
struct agent_get_and_update {
  F fn;
};
template <class F>
struct agent_cast {
  F fn;
};
struct agent_ok {
  friend bool operator==(agent_ok, agent_ok) { return true; }
};

/// The reply of `get_and_update(fn)` when `fn` returns a `T`: the first of
/// a `std::pair<R, S>` whose `S` converts to the State (Elixir's
/// `{reply, new_state}`), else the `T` itself.
template <class State, class T>
struct reply_and_state : std::false_type {
  using reply = T;
};
template <class State, class R, class S>
  requires std::is_convertible_v<S, State>
struct reply_and_state<State, std::pair<R, S>> : std::true_type {
  using reply = R;
};

template <class State, class F>
using get_and_update_of =
    reply_and_state<State,
                    std::remove_cvref_t<std::invoke_result_t<F&, State&>>>;

/// `fn(const State&)` returns a value.
template <class F, class State>
concept agent_get_fn = std::is_invocable_v<F&, const State&> && !std::is_void_v<
    std::invoke_result_t<F&, const State&>>;
/// `fn(State&)` returns nothing, or `fn(const State&)` returns the State.
template <class F, class State>
concept agent_update_fn =
    (std::is_invocable_v<
         F&, State&> && std::is_void_v<std::invoke_result_t<F&, State&>>)
    || std::is_invocable_r_v<State, F&, const State&>;
/// `fn(State&)` returns a reply (or a reply and the new State). The State is
/// passed mutable even to the pair form, so that a generic `[](auto& s)`
/// in-place function is never instantiated on a const State.
template <class F, class State>
concept agent_get_and_update_fn = std::is_invocable_v<
    F&, State&> && !std::is_void_v<std::invoke_result_t<F&, State&>>;

/// Applies an update function to the state, in either style.
template <class State, class F>
void apply_update(State& s, F& fn) {
  if constexpr (
      std::is_invocable_r_v<
          void, F&,
          State&> && std::is_void_v<std::invoke_result_t<F&, State&>>) {
    fn(s);
  } else {
    static_assert(std::is_invocable_r_v<State, F&, const State&>,
                  "otp::agent::update: fn must be fn(State&) or "
                  "fn(const State&) -> State");
    s = fn(std::as_const(s));
  }
}

/// The GenServer behind an agent.
template <class State>
class agent_server : public gen_server<agent_server<State>> {
  using base = gen_server<agent_server<State>>;

public:
  template <class F>
  init_result init(F& fn) {
    state_.emplace(fn());
    return base::ok();
  }
  template <class F>
  call_result<std::remove_cvref_t<std::invoke_result_t<F&, const State&>>>
  handle_call(agent_get<F>& r) {
    return base::reply(r.fn(std::as_const(*state_)));
  }
  template <class F>
  call_result<agent_ok> handle_call(agent_update<F>& r) {
    apply_update(*state_, r.fn);
    return base::reply(agent_ok{});
  }
  template <class F>
  call_result<typename get_and_update_of<State, F>::reply>
  handle_call(agent_get_and_update<F>& r) {
    if constexpr (get_and_update_of<State, F>::value) {
      auto [reply, next] = r.fn(*state_);
      *state_ = std::move(next);
      return base::reply(std::move(reply));
    } else {
      return base::reply(r.fn(*state_));
    }
  }
  template <class F>
  cast_result handle_cast(agent_cast<F>& r) {
    apply_update(*state_, r.fn);
    return base::noreply();
  }

  /// The state in crash reports and `sys::get_status`: printed with
  /// `operator<<` if it has one, else its type.
  std::string format_status() const {
    if constexpr (printable<State>) {
      std::ostringstream os;
      os << *state_;
      return os.str();
    } else {
      return "#<" + demangle(typeid(State)) + ">";
    }
  }

  /// The State (`sys::get_state(agent)` / `sys::replace_state(agent, fn)`).
  const State& state() const noexcept { return *state_; }
  State& state() noexcept { return *state_; }

private:
  std::optional<State> state_;
};

} // namespace detail

/// A handle on an agent holding a `State`.
template <class State>
class agent {
  using server_t = detail::agent_server<State>;

public:
  agent() = default;
  agent(pid p) : s_(std::move(p)) {}
  agent(std::string name) : s_(std::move(name)) {}
  agent(const char* name) : s_(name) {}

  /// Start an agent linked to the caller with state `init()` (run inside
  /// the agent). An exception in `init` fails the start with its reason.
  template <class F>
  static start_result start_link(F init, server_options o = {}) {
    static_assert(std::is_convertible_v<std::invoke_result_t<F&>, State>,
                  "otp::agent::start_link: init must return the State");
    return server_t::start_link(o, std::move(init));
  }
  /// Like `start_link`, without the link.
  template <class F>
  static start_result start(F init, server_options o = {}) {
    static_assert(std::is_convertible_v<std::invoke_result_t<F&>, State>,
                  "otp::agent::start: init must return the State");
    return server_t::start(o, std::move(init));
  }

  /// `Agent.get`: `fn(const State&)`, run in the agent; returns its result.
  template <class F>
    requires detail::agent_get_fn<F, State>
  auto get(F fn,
           std::chrono::milliseconds timeout = default_call_timeout) const {
    return otp::call(s_, detail::agent_get<F>{std::move(fn)}, timeout);
  }
  /// `Agent.update` (see the file comment for `fn`'s forms).
  template <class F>
    requires detail::agent_update_fn<F, State>
  void update(F fn,
              std::chrono::milliseconds timeout = default_call_timeout) const {
    otp::call(s_, detail::agent_update<F>{std::move(fn)}, timeout);
  }
  /// `Agent.get_and_update` (see the file comment for `fn`'s forms).
  template <class F>
    requires detail::agent_get_and_update_fn<F, State>
  auto get_and_update(
      F fn, std::chrono::milliseconds timeout = default_call_timeout) const {
    return otp::call(s_, detail::agent_get_and_update<F>{std::move(fn)},
                     timeout);
  }
  /// `Agent.cast`: apply an update without waiting; never fails.
  template <class F>
    requires detail::agent_update_fn<F, State>
  void cast(F fn) const { otp::cast(s_, detail::agent_cast<F>{std::move(fn)}); }
  /// `Agent.stop` (`GenServer.stop`: default `normal`, infinity).
  void stop(exit_reason reason = exit_reason::normal(),
            std::chrono::milliseconds timeout =
                std::chrono::milliseconds::max()) const {
    otp::stop(s_.ref(), std::move(reason), timeout);
  }
  /// The pid now behind the handle (null if none).
  pid whereis() const { return s_.whereis(); }
  const server_ref& ref() const noexcept { return s_.ref(); }

private:
  server<server_t> s_;
};

} // namespace otp
