#pragma once
/// \file start.hpp
/// Synchronous start with acknowledgement (OTP's `proc_lib:start_link`), the
/// base of every behaviour's `start`/`start_link` and of supervisors.
///
/// `start_link(opts, fn, args...)` spawns `fn(starter&, args...)` linked to
/// the caller and waits until the new process reports through its
/// `starter`:
/// - `s.ack()`: started; the caller gets `start_result::ok(pid)` and both go
///   on (the child usually enters its loop after acking);
/// - `s.ignore()`: the caller gets `ignore`; the child exits `normal`;
/// - `s.stop(r)`: the caller gets `error(r)` and the child exits with `r`
///   (a linked caller that does not trap exits is then killed by the link,
///   as in OTP 25's `{stop, R}`);
/// - `s.fail(r)`: the caller gets `error(r)` and the child exits `normal`
///   (OTP 26's `{error, R}`), so the link does not hurt the caller;
/// - the child ends before any of these (an exception, an exit signal):
///   the caller gets `error(reason)`; a trapping linked caller also keeps the
///   `exit_message`;
/// - `opts.timeout` passes first: the child is unlinked and killed and the
///   caller gets `error(timeout)`.
///
/// With `opts.name` the child registers itself before `fn` runs; a taken name
/// gives `error({already_started, Holder})` with `pid()` = the holder, and
/// the child exits `normal` without running `fn`. On `stop`/`fail` the name
/// is released *before* the caller hears of it, so a retry cannot see it
/// taken.
///
/// Must be called from a process. `starter` is used by the child only.

#include "framework/exit_reason.hpp"
#include "framework/pid.hpp"
#include "framework/receive.hpp"
#include "framework/signals.hpp"
#include "framework/spawn.hpp"

#include <chrono>
#include <string>

namespace otp {

/// How a synchronous start ended.
class start_result {
public:
  enum class status { ok, ignore, error };

  static start_result ok(otp::pid p) {
    return start_result(status::ok, std::move(p), {});
  }
  static start_result ignore() { return start_result(status::ignore, {}, {}); }
  static start_result error(exit_reason r, otp::pid p = {}) {
    return start_result(status::error, std::move(p), std::move(r));
  }

  /// The process started.
  bool ok() const noexcept { return status_ == status::ok; }
  explicit operator bool() const noexcept { return ok(); }
  /// The start returned `ignore` (no process).
  bool ignored() const noexcept { return status_ == status::ignore; }
  status what() const noexcept { return status_; }
  /// The started process; for `{already_started, P}` the holder of the name;
  /// null otherwise.
  const otp::pid& pid() const noexcept { return pid_; }
  /// Why the start failed (`normal` unless `status::error`).
  const exit_reason& error() const noexcept { return reason_; }
  /// `{ok,<0.7.0>}`, `ignore` or `{error,Reason}`.
  std::string to_string() const;

private:
  start_result(status s, otp::pid p, exit_reason r)
      : status_(s),
        pid_(std::move(p)),
        reason_(std::move(r)) {}
  status status_;
  otp::pid pid_;
  exit_reason reason_;
};

/// Options of `start` / `start_link`.
struct start_options {
  /// Register the new process under this name (empty: no name).
  std::string name;
  /// How long the caller waits for the acknowledgement.
  std::chrono::milliseconds timeout = std::chrono::milliseconds::max();
  /// Options of the new process.
  spawn_options spawn{};
};

class starter;
namespace detail {
/// In the child: register the name (false: taken, reported), then run.
bool starter_begin(starter& s);
} // namespace detail

/// The child's side of a start: report the outcome exactly once.
class starter {
public:
  /// Started: the caller's `start` returns `ok(self())`.
  void ack();
  /// `ignore`: the caller gets `ignore`; this process exits `normal`.
  [[noreturn]] void ignore();
  /// `{stop, R}`: the caller gets `error(r)`; this process exits with `r`.
  [[noreturn]] void stop(exit_reason r);
  /// `{error, R}`: the caller gets `error(r)`; this process exits `normal`.
  [[noreturn]] void fail(exit_reason r);
  /// Whether the outcome was reported.
  bool acked() const noexcept { return done_; }
  /// The process that called start.
  const pid& parent() const noexcept { return reply_.pid; }
  /// The name being registered ("" if none).
  const std::string& name() const noexcept { return name_; }

  /// Internal.
  starter(alias_ref reply, std::string name)
      : reply_(std::move(reply)),
        name_(std::move(name)) {}

private:
  friend bool detail::starter_begin(starter& s);
  void send(int status, exit_reason r, otp::pid holder = {});
  alias_ref reply_;
  std::string name_;
  bool done_ = false;
};

namespace detail {
/// Run the start protocol: `make(starter_alias)` builds the child body.
start_result start_with(const start_options& opts, bool link,
                        unique_task (*make)(void*, alias_ref), void* ctx);
template <class F, class... A>
struct start_body {
  F fn;
  std::tuple<A...> args;
  std::string name;
  static unique_task make(void* self, alias_ref reply) {
    auto* me = static_cast<start_body*>(self);
    return unique_task([fn = std::move(me->fn), args = std::move(me->args),
                        name = std::move(me->name),
                        reply = std::move(reply)]() mutable {
      starter s(std::move(reply), std::move(name));
      if (!starter_begin(s))
        return;
      std::apply([&](auto&... a) { fn(s, a...); }, args);
    });
  }
};
template <class F, class... A>
start_result start_impl(const start_options& opts, bool link, F&& fn,
                        A&&... args) {
  static_assert(
      std::is_invocable_v<std::decay_t<F>&, starter&, message_type_t<A>&...>,
      "otp::start: fn must be callable as fn(starter&, args...)");
  start_body<std::decay_t<F>, message_type_t<A>...> b{
      std::forward<F>(fn), {std::forward<A>(args)...}, opts.name};
  return start_with(opts, link, &decltype(b)::make, &b);
}
} // namespace detail

/// Start `fn(starter&, args...)` linked to the caller and wait for its
/// acknowledgement (see the file comment).
template <class F, class... A>
start_result start_link(const start_options& opts, F&& fn, A&&... args) {
  return detail::start_impl(opts, true, std::forward<F>(fn),
                            std::forward<A>(args)...);
}

/// Like `start_link`, without the link.
template <class F, class... A>
start_result start(const start_options& opts, F&& fn, A&&... args) {
  return detail::start_impl(opts, false, std::forward<F>(fn),
                            std::forward<A>(args)...);
}

} // namespace otp
