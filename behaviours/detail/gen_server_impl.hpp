#pragma once
/// \file detail/gen_server_impl.hpp
/// The typed half of a GenServer: the process object holding the user's
/// server, the protocol envelopes of calls and casts typed by server class
/// and message, and the start entry. Used by gen_server.hpp only.

#include "behaviours/detail/gen_server_checks.hpp"
#include "behaviours/gen_server_core.hpp"
#include "framework/log.hpp"
#include "framework/start.hpp"
#include "framework/this_process.hpp"

#include <ostream>
#include <sstream>
#include <type_traits>

namespace otp {

/// Options of `start` / `start_link`.
struct server_options {
  /// Register the server under this name (clash: `{already_started, P}`).
  std::string name;
  /// How long start waits for `init`; then the server is killed and start
  /// returns `timeout`.
  std::chrono::milliseconds timeout = std::chrono::milliseconds::max();
  /// Idle time before the server gives up its stack. 0 (the default):
  /// at once, so an idle server costs no stack (Erlang's default is never).
  std::chrono::milliseconds hibernate_after{0};
  spawn_options spawn{};
};

namespace detail {

// -- callback detection -----------------------------------------------------

template <class S, class Req>
concept call_with_from = requires(S& s, Req& r, const from& f) {
  s.handle_call(r, f);
};
template <class S, class Req>
concept call_without_from = requires(S& s, Req& r) {
  s.handle_call(r);
};

template <class S, class Req>
decltype(auto) invoke_handle_call(S& s, Req& r, const from& f) {
  if constexpr (call_with_from<S, Req>)
    return s.handle_call(r, f);
  else
    return s.handle_call(r);
}

template <class T>
struct call_result_traits {
  static constexpr bool valid = false;
};
template <class R>
struct call_result_traits<call_result<R>> {
  static constexpr bool valid = true;
  using reply_type = R;
};

template <class S, class Info>
struct info_dispatch;
template <class S, class... T>
struct info_dispatch<S, types<T...>> {
  static bool run(S& s, any_message& m, cast_result& out) {
    return ((m.is<T>() ? (out = s.handle_info(m.get<T>()), true) : false)
            || ...);
  }
};

// -- the process object -----------------------------------------------------

template <class S>
class gen_process final : public gen_server_core {
public:
  template <class... A>
  explicit gen_process(A&&... a) : s_(std::forward<A>(a)...) {}

  S& get() noexcept { return s_; }
  void* server() noexcept override { return &s_; }
  const std::type_info& server_type() const noexcept override {
    return typeid(S);
  }

  cast_result handle_info(any_message& m) override {
    cast_result out;
    if (info_dispatch<S, info_list_t<S>>::run(s_, m, out))
      return out;
    if constexpr (info_catch_all<S>) {
      return s_.handle_info(m);
    } else {
      // Erlang logs "undefined handle_info" and goes on.
      log(log_level::warning, self(),
          "GenServer " + self().to_string() + " (" + demangle(typeid(S))
              + ") received an unexpected message in handle_info: "
              + m.to_string()
              + (has_info_types<S> ? " (its type is not in info_types)" : ""));
      return noreply_t{};
    }
  }

  void call_terminate(const exit_reason& r) override {
    if constexpr (requires { s_.terminate(r); })
      s_.terminate(r);
  }

  std::string format_status() override {
    if constexpr (requires { s_.format_status(); }) {
      return s_.format_status();
    } else if constexpr (printable<S>) {
      std::ostringstream os;
      os << s_;
      return os.str();
    } else {
      return "#<" + demangle(typeid(S)) + ">";
    }
  }

private:
  S s_;
};

// -- protocol messages ------------------------------------------------------

template <class S, class Req>
struct gen_call_msg {
  otp::from from;
  Req request;
};
template <class S, class M>
struct gen_cast_msg {
  M msg;
};

template <class T>
void print_or_type(std::ostream& os, const T& v) {
  if constexpr (printable<T>)
    os << v;
  else
    print_unprintable(os, typeid(T));
}

template <class R>
gen_step finish_call(gen_server_core& c, call_result<R>& r, const from& f) {
  gen_step st;
  switch (r.what()) {
  case result_kind::reply:
    otp::reply(f, std::move(r.value()));
    ++c.counters.messages_out;
    st.action = std::move(r.action());
    break;
  case result_kind::noreply:
    st.action = std::move(r.action());
    break;
  case result_kind::stop_reply:
    // OTP: terminate, then the reply (even if terminate raised), then exit.
    st.reason = c.terminate_now(r.reason());
    otp::reply(f, std::move(r.value()));
    ++c.counters.messages_out;
    st.stop = true;
    st.terminated = true;
    break;
  case result_kind::stop:
    st.stop = true;
    st.reason = r.reason();
    break;
  default:
    st.stop = true;
    st.reason = exit_reason::bad_return_value("call_result{}");
    break;
  }
  return st;
}

template <class S, class Req>
struct call_protocol {
  using msg = gen_call_msg<S, Req>;
  static gen_step invoke(gen_server_core& c, envelope* e) {
    auto& m = static_cast<typed_envelope<msg>*>(e)->value;
    auto r = invoke_handle_call(*static_cast<S*>(c.server()), m.request,
                                std::as_const(m.from));
    return finish_call(c, r, m.from);
  }
  static const from* caller(const envelope* e) {
    return &static_cast<const typed_envelope<msg>*>(e)->value.from;
  }
  static void print(std::ostream& os, const envelope* e) {
    os << "{call,";
    print_or_type(os,
                  static_cast<const typed_envelope<msg>*>(e)->value.request);
    os << '}';
  }
  static inline const gen_ops ops{gen_op::call, &typeid(S), &invoke, &caller};
  static inline const type_desc desc{&typeid(msg), &destroy_value<msg>, &print,
                                     &ops};
};

template <class S, class M>
struct cast_protocol {
  using msg = gen_cast_msg<S, M>;
  static gen_step invoke(gen_server_core& c, envelope* e) {
    auto& m = static_cast<typed_envelope<msg>*>(e)->value;
    cast_result r = static_cast<S*>(c.server())->handle_cast(m.msg);
    return gen_server_core::step_of(r);
  }
  static void print(std::ostream& os, const envelope* e) {
    os << "{cast,";
    print_or_type(os, static_cast<const typed_envelope<msg>*>(e)->value.msg);
    os << '}';
  }
  static inline const gen_ops ops{gen_op::cast, &typeid(S), &invoke, nullptr};
  static inline const type_desc desc{&typeid(msg), &destroy_value<msg>, &print,
                                     &ops};
};

/// Build a protocol envelope of `P` (call_protocol/cast_protocol/...).
template <class P, class... A>
envelope* make_protocol_envelope(A&&... a) {
  auto* e = new typed_envelope<typename P::msg>(
      typename P::msg{std::forward<A>(a)...});
  e->type = &P::desc;
  return e;
}

// -- start ------------------------------------------------------------------

template <class S, class... A>
void gen_main(starter& st, std::chrono::milliseconds hibernate_after,
              bool linked, A&... args) {
  static_assert(check_callbacks<S>());
  std::unique_ptr<gen_process<S>> proc;
  init_result r;
  try {
    if constexpr (requires(S & s) { s.init(args...); }) {
      static_assert(
          std::is_convertible_v<decltype(std::declval<S&>().init(args...)),
                                init_result>,
          "otp::gen_server: init must return otp::init_result: ok(), "
          "ignore(), stop(reason) or error(reason)");
      proc = std::make_unique<gen_process<S>>();
      r = proc->get().init(args...);
    } else if constexpr (declares_init<S>) {
      // Fails to compile, showing the types (gen_server_checks.hpp).
      (void)
          init_does_not_take_start_args<S, typename init_type<S>::type, A...>{};
    } else if constexpr (!std::is_constructible_v<S, A&...>) {
      (void)no_init_and_no_constructor_for<S, A...>{};
    } else {
      proc = std::make_unique<gen_process<S>>(args...);
      r = init_ok_t{};
    }
  } catch (...) {
    exit_reason why;
    if (!current_exception_reason(why))
      throw;
    // OTP 25: {error, Reason} to the starter, then exit(Reason); no
    // terminate.
    init_failed(st, typeid(S), std::move(why));
  }
  switch (r.what()) {
  case result_kind::ok:
    break;
  case result_kind::ignore:
    st.ignore();
  case result_kind::stop:
    init_failed(st, typeid(S), r.reason());
  case result_kind::error:
    st.fail(r.reason());
  default:
    init_failed(st, typeid(S), exit_reason::bad_return_value("init_result{}"));
  }
  // OTP: a server started without a link is its own parent, so an EXIT
  // from its starter is an ordinary EXIT (handle_info), not a stop.
  proc->parent = linked ? st.parent() : self();
  proc->name = st.name();
  proc->hibernate_after = hibernate_after;
  proc->started_at = std::chrono::steady_clock::now();
  proc->apply(r.action());
  st.ack();
  gen_server_core::run(std::move(proc));
}

} // namespace detail
} // namespace otp
