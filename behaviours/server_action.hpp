#pragma once
/// \file server_action.hpp
/// What GenServer callbacks return (Elixir's `{:reply, r, s}`,
/// `{:noreply, s, timeout | :hibernate | {:continue, c}}`, `{:stop, ...}`).
///
/// The state is the server object itself, so results carry only the
/// outcome. Inside a class derived from `otp::gen_server<S>` they are built
/// with the base's helpers: `reply(v)`, `noreply()`, `stop(reason)`,
/// `stop(reason, v)`, `ok()`, `ignore()`, `error(reason)`, and the actions
/// `timeout(d)`, `hibernate()` and `continue_with(c)` as a last argument.
///
/// The types rule out most of OTP's bad returns at compile time: a cast or
/// info callback cannot reply (`reply_t` does not convert to `cast_result`),
/// a reply must convert to the call's reply type, and init cannot reply.
/// The one bad value left is an empty (default-constructed) result, which
/// stops the server with `{bad_return_value, ...}` as OTP does. Plain value
/// types: built and consumed inside the server process.

#include "framework/exit_reason.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace otp {

class cast_result;

/// What the server does after a callback, besides waiting for the next
/// message: arm an idle timeout, hibernate, or run `handle_continue` first.
class server_action {
public:
  enum class kind : std::uint8_t { none, timeout, hibernate, continue_ };

  /// Type-erased `handle_continue(c)` call, made by `continue_with`.
  struct continuation {
    virtual ~continuation() = default;
    virtual cast_result run(void* server) = 0;
  };

  server_action() = default;
  /// `{:noreply, s, ms}`: deliver `server_timeout` to `handle_info` if no
  /// message arrives within `d` (0: only if none is queued now).
  static server_action timeout(std::chrono::milliseconds d) {
    server_action a;
    a.kind_ = kind::timeout;
    a.timeout_ = d;
    return a;
  }
  /// `:hibernate`: give up the stack at once until the next message.
  static server_action hibernate() {
    server_action a;
    a.kind_ = kind::hibernate;
    return a;
  }
  /// `{:continue, c}` (use `gen_server::continue_with`).
  static server_action continue_with(std::unique_ptr<continuation> c) {
    server_action a;
    a.kind_ = kind::continue_;
    a.cont_ = std::move(c);
    return a;
  }

  kind what() const noexcept { return kind_; }
  std::chrono::milliseconds timeout_value() const noexcept { return timeout_; }
  /// Take the continuation (kind `continue_`).
  std::unique_ptr<continuation> take_continuation() noexcept {
    return std::move(cont_);
  }

private:
  kind kind_ = kind::none;
  std::chrono::milliseconds timeout_{0};
  std::unique_ptr<continuation> cont_;
};

/// `{:reply, value, s[, action]}`.
template <class R>
struct reply_t {
  R value;
  server_action action;
};
/// `{:noreply, s[, action]}`.
struct noreply_t {
  server_action action;
};
/// `{:stop, reason, s}`.
struct stop_t {
  exit_reason reason;
};
/// `{:stop, reason, reply, s}`: terminate, then reply, then exit.
template <class R>
struct stop_reply_t {
  exit_reason reason;
  R value;
};
/// `{:ok, s[, action]}` from init.
struct init_ok_t {
  server_action action;
};
/// `:ignore` from init.
struct ignore_t {};
/// `{:error, reason}` from init (OTP 26): start fails, the process exits
/// `normal`.
struct error_t {
  exit_reason reason;
};

/// The outcome kinds shared by all results.
enum class result_kind : std::uint8_t {
  empty,
  reply,
  noreply,
  stop,
  stop_reply,
  ok,
  ignore,
  error
};

/// What `handle_cast`, `handle_info` and `handle_continue` return:
/// `noreply(...)` or `stop(reason)`.
class cast_result {
public:
  /// Empty: a bad return (the server stops with bad_return_value).
  cast_result() = default;
  cast_result(noreply_t n)
      : kind_(result_kind::noreply),
        action_(std::move(n.action)) {}
  cast_result(stop_t s)
      : kind_(result_kind::stop),
        reason_(std::move(s.reason)) {}

  result_kind what() const noexcept { return kind_; }
  server_action& action() noexcept { return action_; }
  const exit_reason& reason() const noexcept { return reason_; }

private:
  result_kind kind_ = result_kind::empty;
  server_action action_;
  exit_reason reason_;
};

/// What `handle_call` returns for a reply of type `R`: `reply(v[, action])`,
/// `noreply([action])` (answer later with `reply(from, v)`), `stop(reason)`
/// (the caller exits `{reason, {GenServer,call,...}}`) or `stop(reason, v)`.
template <class R>
class call_result {
public:
  using reply_type = R;

  /// Empty: a bad return (the server stops with bad_return_value).
  call_result() = default;
  template <class X>
    requires std::is_convertible_v<X, R> call_result(reply_t<X> r)
        : kind_(result_kind::reply),
          action_(std::move(r.action)),
          value_(std::in_place, std::move(r.value)) {}
    call_result(noreply_t n)
        : kind_(result_kind::noreply),
          action_(std::move(n.action)) {}
    call_result(stop_t s)
        : kind_(result_kind::stop),
          reason_(std::move(s.reason)) {}
    template <class X>
      requires std::is_convertible_v<X, R> call_result(stop_reply_t<X> s)
          : kind_(result_kind::stop_reply),
            reason_(std::move(s.reason)),
            value_(std::in_place, std::move(s.value)) {}

      result_kind what() const noexcept {
        return kind_;
      }
      server_action& action() noexcept {
        return action_;
      }
      const exit_reason& reason() const noexcept {
        return reason_;
      }
      /// The reply (kinds reply and stop_reply).
      R& value() {
        return *value_;
      }

    private:
      result_kind kind_ = result_kind::empty;
      server_action action_;
      exit_reason reason_;
      std::optional<R> value_;
};

/// What `init` returns: `ok([action])`, `ignore()`, `stop(reason)` (start
/// returns the error and the process exits with `reason`) or
/// `error(reason)` (start returns the error; the process exits `normal`).
class init_result {
public:
  /// Empty: a bad return (start fails with bad_return_value).
  init_result() = default;
  init_result(init_ok_t o)
      : kind_(result_kind::ok),
        action_(std::move(o.action)) {}
  init_result(ignore_t) : kind_(result_kind::ignore) {}
  init_result(stop_t s)
      : kind_(result_kind::stop),
        reason_(std::move(s.reason)) {}
  init_result(error_t e)
      : kind_(result_kind::error),
        reason_(std::move(e.reason)) {}

  result_kind what() const noexcept { return kind_; }
  server_action& action() noexcept { return action_; }
  const exit_reason& reason() const noexcept { return reason_; }

private:
  result_kind kind_ = result_kind::empty;
  server_action action_;
  exit_reason reason_;
};

/// The message `handle_info` receives when an idle timeout expires (Erlang's
/// `timeout` atom).
struct server_timeout {
  friend bool operator==(server_timeout, server_timeout) { return true; }
};

} // namespace otp
