#pragma once
/// \file sys.hpp
/// Erlang's `sys` module for GenServers: inspect and steer a running server
/// through system messages, which it handles even while suspended.
///
/// - `get_state` / `replace_state(fn)`: `fn` runs inside the server.
/// - `suspend` / `resume`: while suspended only system messages are
///   handled; calls wait (and time out), casts and infos stay queued.
/// - `statistics`: messages in and out, callbacks run, uptime.
/// - `get_status`: pid, name, parent, running/suspended and the state as
///   `format_status` shows it.
/// - `change_code(extra)`: runs `code_change(extra)`; if it returns an error
///   or throws, the previous state is kept (needs a copyable server).
///
/// All are synchronous calls (default timeout 5 s) that exit the caller
/// like `call` on failure: `{Reason,{sys,<function>,...}}`. Call them from a
/// process.

#include "behaviours/gen_server.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace otp::sys {

/// `sys:statistics`.
struct statistics_info {
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  /// Callbacks run (the closest thing to reductions).
  std::uint64_t callbacks = 0;
  std::chrono::milliseconds uptime{0};
};

/// `sys:get_status`.
struct status_info {
  otp::pid pid;
  std::string name;
  otp::pid parent;
  /// "running" or "suspended".
  std::string status;
  /// The state, through `format_status`.
  std::string state;
  std::string server_type;
};

namespace detail {

using otp::detail::gen_server_core;
using otp::detail::gen_step;

/// A system request `Op` (`Op::run(core) -> reply`), typed for `S` or for
/// any server (`S = void`).
template <class S, class Op>
struct protocol {
  struct msg {
    otp::from from;
    Op op;
  };
  static gen_step invoke(gen_server_core& c, otp::detail::envelope* e) {
    auto& m = static_cast<otp::detail::typed_envelope<msg>*>(e)->value;
    otp::reply(m.from, m.op.run(c));
    return {};
  }
  static void print(std::ostream& os, const otp::detail::envelope*) {
    os << "{system," << Op::name << '}';
  }
  static const std::type_info* server() {
    if constexpr (std::is_void_v<S>)
      return nullptr;
    else
      return &typeid(S);
  }
  static inline const otp::detail::gen_ops ops{otp::detail::gen_op::system,
                                               server(), &invoke, nullptr};
  static inline const otp::detail::type_desc desc{
      &typeid(msg), &otp::detail::destroy_value<msg>, &print, &ops};
};

template <class S, class Op>
auto call(const server_ref& to, Op op, std::chrono::milliseconds timeout) {
  using R = decltype(op.run(std::declval<gen_server_core&>()));
  using P = protocol<S, Op>;
  otp::detail::call_state st;
  exit_reason err;
  if (otp::detail::call_begin(to, st, err)) {
    otp::detail::push(st.target.get(), otp::detail::make_protocol_envelope<P>(
                                           from(st.alias), std::move(op)));
    if (otp::detail::envelope* e = otp::detail::call_wait(st, timeout, err))
      return otp::detail::take_reply<R>(e).value();
  }
  throw exit_error(otp::detail::call_failure(std::move(err), {"sys", Op::name},
                                             to, typeid(Op), timeout));
}

struct ok_reply {};

struct suspend_op {
  static constexpr const char* name = "suspend";
  ok_reply run(gen_server_core& c) const {
    c.suspended = true;
    return {};
  }
};
struct resume_op {
  static constexpr const char* name = "resume";
  ok_reply run(gen_server_core& c) const {
    c.suspended = false;
    return {};
  }
};
struct statistics_op {
  static constexpr const char* name = "statistics";
  statistics_info run(gen_server_core& c) const;
};
struct status_op {
  static constexpr const char* name = "get_status";
  status_info run(gen_server_core& c) const;
};
template <class S, class F>
struct with_state_op {
  static constexpr const char* name = "get_state";
  F fn;
  auto run(gen_server_core& c) {
    return fn(std::as_const(*static_cast<S*>(c.server())));
  }
};
template <class S, class F>
struct replace_state_op {
  static constexpr const char* name = "replace_state";
  F fn;
  ok_reply run(gen_server_core& c) {
    fn(*static_cast<S*>(c.server()));
    return {};
  }
};

template <class S>
struct change_code_op {
  static constexpr const char* name = "change_code";
  std::string extra;
  std::optional<exit_reason> run(gen_server_core& c) {
    static_assert(std::is_copy_constructible_v<S>,
                  "otp::sys::change_code: the server must be copyable so "
                  "that a failed code_change can restore it");
    S& v = *static_cast<S*>(c.server());
    S saved = v;
    exit_reason why;
    try {
      result<void> r = v.code_change(extra);
      if (r.ok())
        return std::nullopt;
      why = r.error();
    } catch (...) {
      if (!otp::detail::current_exception_reason(why))
        throw;
    }
    v = std::move(saved);
    return why;
  }
};

} // namespace detail

/// Suspend the server (`sys:suspend`).
inline void suspend(const server_ref& s,
                    std::chrono::milliseconds timeout = default_call_timeout) {
  detail::call<void>(s, detail::suspend_op{}, timeout);
}
/// Resume a suspended server (`sys:resume`).
inline void resume(const server_ref& s,
                   std::chrono::milliseconds timeout = default_call_timeout) {
  detail::call<void>(s, detail::resume_op{}, timeout);
}
/// `sys:statistics`.
inline statistics_info
statistics(const server_ref& s,
           std::chrono::milliseconds timeout = default_call_timeout) {
  return detail::call<void>(s, detail::statistics_op{}, timeout);
}
/// `sys:get_status`.
inline status_info
get_status(const server_ref& s,
           std::chrono::milliseconds timeout = default_call_timeout) {
  return detail::call<void>(s, detail::status_op{}, timeout);
}

/// Run `fn(const S&)` inside the server and return its result.
template <class S, class F>
auto get_state(const server<S>& s, F fn,
               std::chrono::milliseconds timeout = default_call_timeout) {
  return detail::call<S>(s.ref(), detail::with_state_op<S, F>{std::move(fn)},
                         timeout);
}
/// `sys:get_state`: a copy of the server object.
template <class S>
S get_state(const server<S>& s,
            std::chrono::milliseconds timeout = default_call_timeout) {
  static_assert(std::is_copy_constructible_v<S>,
                "otp::sys::get_state(server): the server is not copyable; "
                "pass a function reading what you need");
  return get_state(
      s, [](const S& v) { return v; }, timeout);
}
/// `sys:replace_state`: run `fn(S&)` inside the server.
template <class S, class F>
void replace_state(const server<S>& s, F fn,
                   std::chrono::milliseconds timeout = default_call_timeout) {
  detail::call<S>(s.ref(), detail::replace_state_op<S, F>{std::move(fn)},
                  timeout);
}

/// `sys:change_code`: run `S::code_change(extra) -> result<void>` in the
/// server; an error or an exception keeps the previous state and is
/// returned.
template <class S>
result<void>
change_code(const server<S>& s, std::string extra,
            std::chrono::milliseconds timeout = default_call_timeout) {
  std::optional<exit_reason> failed = detail::call<S>(
      s.ref(), detail::change_code_op<S>{std::move(extra)}, timeout);
  if (failed)
    return *failed;
  return {};
}

} // namespace otp::sys
