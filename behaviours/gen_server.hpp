#pragma once
/// \file gen_server.hpp
/// GenServer: a process that serves typed calls and casts, keeping its
/// state in a C++ object (Elixir's `GenServer`, OTP's `gen_server`).
///
/// ```cpp
/// struct get {};
/// struct add { int n; };
/// class counter : public otp::gen_server<counter> {
/// public:
///   otp::init_result init(int start) { n_ = start; return ok(); }
///   otp::call_result<int> handle_call(const get&, const otp::from&) {
///     return reply(n_);
///   }
///   otp::cast_result handle_cast(const add& a) { n_ += a.n; return noreply();
///   }
/// private:
///   int n_ = 0;
/// };
/// auto c = otp::server<counter>(counter::start_link(41).pid());
/// otp::cast(c, add{1});
/// int v = otp::call(c, get{});            // 42, typed from handle_call
/// ```
///
/// Callbacks (all public; each optional except those a client uses):
/// - `init(args...) -> init_result`: `ok([action])`, `ignore()`,
///   `stop(reason)` (start returns the error, the process exits with it),
///   `error(reason)` (start returns the error, the process exits `normal`).
///   Without `init`, the server is constructed from the start arguments. An
///   exception fails the start with its reason. `terminate` is not called;
///   a failure with a reason other than normal/shutdown is logged.
/// - `handle_call(const Req&[, const from&]) -> call_result<R>`: one overload
///   per request type; `call(server, Req)` compiles only if one exists, and
///   returns its `R`. `reply(v[, action])`, `noreply([action])` (then answer
///   with `reply(from, v)` from anywhere), `stop(reason)`, `stop(reason, v)`.
/// - `handle_cast(const M&) -> cast_result`: `noreply([action])` or
///   `stop(reason)`; `cast(server, M)` compiles only if it exists.
/// - `handle_info(const T&) -> cast_result`: one such overload needs nothing
///   more (T is deduced). Several overloads need their types listed,
///   `using info_types = otp::types<T...>;` (without the list they do not
///   compile: C++ cannot enumerate overloads, and a message of an unlisted
///   type would be dropped in silence). `handle_info(otp::any_message&)`
///   takes everything else (EXIT, DOWN, timer messages, `server_timeout`).
///   Without a match the message is logged as unexpected and dropped.
/// - `handle_continue(C&) -> cast_result` for `continue_with(C{})`.
/// - `terminate(const exit_reason&)`: on a stop, a crash, `otp::stop` and a
///   trapped exit from the parent (the caller of `start_link`; a server
///   started with `start` has none); not on `kill` or untrapped signals.
/// - `format_status() -> std::string`: the state in reports (else
///   `operator<<`, else the type name).
///
/// A callback the loop could never call does not compile: a static_assert
/// names it and the signature it needs (`void terminate()`, a private or
/// ill-typed `handle_info`, an `init` the start arguments do not fit, which
/// shows their types). See detail/gen_server_checks.hpp; for a `final`
/// server class only the calls themselves are checked.
///
/// An exception in a callback stops the server with its reason (terminate
/// runs); any reason but normal/shutdown logs one crash report with the last
/// message, the state and the client. Between messages an idle server is
/// hibernated: it holds no stack.

#include "behaviours/detail/gen_server_impl.hpp"
#include "framework/result.hpp"
#include "framework/server_ref.hpp"
#include "framework/sys.hpp"

#include <vector>

namespace otp {

namespace detail {
template <class... A>
struct first_is_options : std::false_type {};
template <class A0, class... A>
struct first_is_options<A0, A...>
    : std::is_same<std::remove_cvref_t<A0>, server_options> {};
template <class... A>
concept starts_with_options = first_is_options<A...>::value;
} // namespace detail

/// A typed handle on a GenServer of class `S`: a pid or a registered name.
template <class S>
class server {
public:
  server() = default;
  server(pid p) : ref_(std::move(p)) {}
  server(std::string name) : ref_(std::move(name)) {}
  server(const char* name) : ref_(name) {}
  /// The server a start returned (null if it failed).
  static server of(const start_result& r) { return server(r.pid()); }

  const server_ref& ref() const noexcept { return ref_; }
  /// The pid now behind the handle (null if none).
  pid whereis() const { return ref_.resolve(); }

private:
  server_ref ref_;
};

/// `S` has a `handle_call` for `Req`.
template <class S, class Req>
concept handles_call =
    detail::call_with_from<S, Req> || detail::call_without_from<S, Req>;
/// `S` has a `handle_cast` for `M`.
template <class S, class M>
concept handles_cast = requires(S& s, M& m) {
  { s.handle_cast(m) } -> std::convertible_to<cast_result>;
};
/// The reply type of `S`'s `handle_call` for `Req`.
template <class S, class Req>
using call_reply_t = typename detail::call_result_traits<
    std::remove_cvref_t<decltype(detail::invoke_handle_call(
        std::declval<S&>(), std::declval<Req&>(),
        std::declval<const from&>()))>>::reply_type;

/// The base of a GenServer class `S` (CRTP): start functions, and the
/// helpers that build callback results.
template <class S>
class gen_server {
public:
  /// Start `S` linked to the caller and wait for `init(args...)`.
  template <class... A>
    requires(!detail::starts_with_options<A...>)
  static start_result start_link(A&&... args) {
    return start_link(server_options{}, std::forward<A>(args)...);
  }
  template <class... A>
  static start_result start_link(const server_options& o, A&&... args) {
    return otp::start_link(to_start(o), &entry<true, message_type_t<A>...>,
                           o.hibernate_after, std::forward<A>(args)...);
  }
  /// Like `start_link`, without the link.
  template <class... A>
    requires(!detail::starts_with_options<A...>)
  static start_result start(A&&... args) {
    return start(server_options{}, std::forward<A>(args)...);
  }
  template <class... A>
  static start_result start(const server_options& o, A&&... args) {
    return otp::start(to_start(o), &entry<false, message_type_t<A>...>,
                      o.hibernate_after, std::forward<A>(args)...);
  }

protected:
  // -- results (see server_action.hpp) -----------------------------------
  template <class R>
  static reply_t<message_type_t<R>> reply(R&& v, server_action a = {}) {
    return {std::forward<R>(v), std::move(a)};
  }
  /// `GenServer.reply/2`, for a call answered with `noreply`.
  template <class R>
  static void reply(const from& f, R&& v) {
    otp::reply(f, std::forward<R>(v));
  }
  static noreply_t noreply(server_action a = {}) { return {std::move(a)}; }
  static stop_t stop(exit_reason r) { return {std::move(r)}; }
  template <class R>
  static stop_reply_t<message_type_t<R>> stop(exit_reason r, R&& v) {
    return {std::move(r), std::forward<R>(v)};
  }
  static init_ok_t ok(server_action a = {}) { return {std::move(a)}; }
  static ignore_t ignore() { return {}; }
  static error_t error(exit_reason r) { return {std::move(r)}; }
  // -- actions ------------------------------------------------------------
  /// `{:noreply, s, timeout}`: any duration, saturated (`otp::infinity`,
  /// `hours::max()`, 100 years or more: never; zero or negative: at once
  /// unless a message is already queued). NaN throws
  /// `std::invalid_argument`.
  template <class Rep, class Period>
  static server_action timeout(std::chrono::duration<Rep, Period> d) {
    return server_action::timeout(
        detail::timeout_ms(d, "otp::gen_server: timeout"));
  }
  static server_action hibernate() { return server_action::hibernate(); }
  /// `{:continue, c}`: run `handle_continue(c)` before the next message.
  template <class C>
  static server_action continue_with(C c) {
    static_assert(
        requires(S & s, C & v) {
          { s.handle_continue(v) } -> std::convertible_to<cast_result>;
        },
        "otp::gen_server::continue_with(c): the server needs a public "
        "`otp::cast_result handle_continue(C& c)` for the type of c");
    struct impl final : server_action::continuation {
      explicit impl(C v) : value(std::move(v)) {}
      cast_result run(void* s) override {
        return static_cast<S*>(s)->handle_continue(value);
      }
      C value;
    };
    return server_action::continue_with(std::make_unique<impl>(std::move(c)));
  }

private:
  static start_options to_start(const server_options& o) {
    return {o.name, o.timeout, o.spawn};
  }
  template <bool Linked, class... A>
  static void entry(starter& st, std::chrono::milliseconds hib, A&... args) {
    detail::gen_main<S>(st, hib, Linked, args...);
  }
};

// -- client API -------------------------------------------------------------

/// Call `to` with `request`; failures are returned (see framework/call.hpp):
/// `{noproc|timeout|calling_self|<server's reason>,{GenServer,call,...}}`.
/// `timeout` is any duration and saturates (`otp::infinity`,
/// `hours::max()`, 100 years or more never expire; NaN throws
/// `std::invalid_argument`). If building the request throws (its copy or
/// move constructor), the exception propagates and leaves no alias,
/// monitor or DOWN behind.
template <class S, class Req, class Rep = detail::ms_rep,
          class Period = detail::ms_period>
  requires handles_call<S, std::remove_cvref_t<Req>>
      result<call_reply_t<S, std::remove_cvref_t<Req>>> try_call(
          const server<S>& to, Req&& request,
          std::chrono::duration<Rep, Period> timeout = default_call_timeout) {
    using Q = std::remove_cvref_t<Req>;
    using R = call_reply_t<S, Q>;
    using P = detail::call_protocol<S, Q>;
    const std::chrono::milliseconds ms =
        detail::timeout_ms(timeout, "otp::GenServer.call: timeout");
    detail::call_state st;
    exit_reason err;
    if (detail::call_begin(to.ref(), st, err)) {
      detail::call_guard guard(st);
      detail::push(st.target.get(),
                   detail::make_protocol_envelope<P>(
                       from(st.alias), std::forward<Req>(request)));
      if (detail::envelope* e = detail::call_wait(st, ms, err))
        return detail::take_reply<R>(e);
    }
    return detail::call_failure(std::move(err), {"GenServer", "call"}, to.ref(),
                                typeid(Q), ms);
  }

/// `GenServer.call/3`: like `try_call`, but a failure exits the caller
/// (throws `exit_error`).
template <class S, class Req, class Rep = detail::ms_rep,
          class Period = detail::ms_period>
  requires handles_call<S, std::remove_cvref_t<Req>>
      call_reply_t<S, std::remove_cvref_t<Req>>
      call(const server<S>& to, Req&& request,
           std::chrono::duration<Rep, Period> timeout = default_call_timeout) {
    return try_call(to, std::forward<Req>(request), timeout).value();
  }

/// `GenServer.cast/2`: send and return at once; does nothing if the server
/// is dead or the name unknown.
template <class S, class M>
  requires handles_cast<S, std::remove_cvref_t<M>>
void cast(const server<S>& to, M&& msg) {
  using P = detail::cast_protocol<S, std::remove_cvref_t<M>>;
  pid p = to.ref().resolve();
  if (p)
    detail::push(p.get(),
                 detail::make_protocol_envelope<P>(std::forward<M>(msg)));
}

/// `GenServer.stop/3` on a typed handle (`otp::stop` / `otp::try_stop` on a
/// `server_ref`, for any special process, are in framework/sys.hpp): run
/// `terminate(reason)`, exit with `reason`, and wait (up to `timeout`) until
/// the server has. Failures are `{noproc|timeout|<other reason>,{GenServer,
/// stop,...}}`: `stop` exits the caller with them, `try_stop` returns them.
/// `timeout` is any duration, saturated (infinite by default).
template <class S, class Rep = detail::ms_rep, class Period = detail::ms_period>
void stop(const server<S>& s, exit_reason reason = exit_reason::normal(),
          std::chrono::duration<Rep, Period> timeout =
              std::chrono::milliseconds::max()) {
  otp::stop(s.ref(), std::move(reason),
            detail::timeout_ms(timeout, "otp::GenServer.stop: timeout"));
}
template <class S, class Rep = detail::ms_rep, class Period = detail::ms_period>
result<void> try_stop(const server<S>& s,
                      exit_reason reason = exit_reason::normal(),
                      std::chrono::duration<Rep, Period> timeout =
                          std::chrono::milliseconds::max()) {
  return otp::try_stop(
      s.ref(), std::move(reason),
      detail::timeout_ms(timeout, "otp::GenServer.stop: timeout"));
}

} // namespace otp
