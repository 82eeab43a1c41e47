#pragma once
/// \file task.hpp
/// Elixir's `Task` (docs/semantics.md items 52-62): run one function in a new
/// process and collect its result.
///
/// ```cpp
/// otp::task<int> t = otp::async([] { return 6 * 7; });
/// int answer = t.await(); // 42, or the caller exits trying
/// ```
///
/// - `async(fn, args...)` spawns `fn(args...)` linked to the caller and
///   monitored by it. The task sends its result as
///   `task_reply<T>{t.ref(), value}` to an alias of the caller, then exits
///   `normal`; the monitor's `down_message` carries the same `t.ref()`. A
///   crash of the task kills a non-trapping caller through the link. A
///   `void` function gives a `task<ok_t>`.
/// - `await` / `yield` / `ignore` / `shutdown` (members) and `await_many` /
///   `yield_many` (free) collect the result; see each one. Once a result
///   (reply or DOWN) was taken, the task is settled: a second `await` waits
///   its full timeout and exits with `timeout`, a `yield` returns nothing.
/// - `async_nolink_via(spawner, fn)` is the unlinked variant for
///   Task.Supervisor (item 61), `task_start` / `task_start_link` the
///   fire-and-forget ones (item 62), `async_stream` maps a range (item 60).
///
/// Failures are `{Reason,{Task,await,[<task pid>,Timeout]}}`
/// (`exit_reason::wrap`) and are thrown as `exit_error`: uncaught, the
/// caller exits with that reason, as in Elixir. Timeouts may be any duration
/// and saturate (detail/deadline.hpp): 100 years or more is `infinity`,
/// negative is 0, NaN throws `std::invalid_argument`.
///
/// Concurrency contract: call from a process (`std::logic_error`
/// otherwise). Only a task's owner (its creator) may await, yield, ignore or
/// shut it down (others get `std::invalid_argument`). Destroying a `task`
/// does nothing (the reply and the DOWN still arrive), as dropping a
/// `%Task{}`. No reply stays behind in the owner's mailbox after giving a
/// task up (await timeout, ignore, shutdown): the alias is turned off and a
/// reply that arrived just before is taken.

#include "framework/detail/deadline.hpp"
#include "framework/result.hpp"
#include "framework/signals.hpp"
#include "framework/start.hpp"

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <optional>
#include <ranges>
#include <vector>

namespace otp {

/// Default timeout of `await`, `yield`, `shutdown` and `async_stream`: 5 s.
inline constexpr std::chrono::milliseconds default_task_timeout{5000};

/// The result of a task whose function returns `void` (Elixir's `:ok`).
struct ok_t {
  friend bool operator==(ok_t, ok_t) noexcept { return true; }
  friend std::ostream& operator<<(std::ostream& os, ok_t);
};

/// What a task sends to its owner: Elixir's `{ref, result}`. `ref` is the
/// task's `ref()`, the same ref its `down_message` carries, so a process
/// that handles task messages in its own `receive` can match both.
template <class T>
struct task_reply {
  otp::ref ref;
  T value;
};

/// How a task ended, as `yield` reports it: `{ok, value}` (`ok()`) or
/// `{exit, reason}` (`exited()`). "No result yet" (Elixir's `nil`) is an
/// empty `std::optional<task_result<T>>`.
template <class T>
class task_result : public result<T> {
public:
  using result<T>::result;
  /// The task died (or was given up) with `reason()`.
  bool exited() const noexcept { return !this->ok(); }
  /// The exit reason; `normal` if `ok()`.
  const exit_reason& reason() const noexcept { return this->error(); }
};

/// `t.shutdown(brutal_kill)`: kill the task at once.
struct brutal_kill_t {
  explicit constexpr brutal_kill_t() = default;
};
/// See `brutal_kill_t`.
inline constexpr brutal_kill_t brutal_kill{};

/// What to do with a task that has not answered in time.
enum class on_timeout {
  exit,      ///< `async_stream`: the caller exits (the default there)
  nothing,   ///< `yield_many`: leave it running and watched (the default)
  ignore,    ///< `yield_many`: `ignore()` it
  kill_task, ///< kill it (`shutdown(brutal_kill)`)
};

/// Options of `yield_many`.
struct yield_many_options {
  /// Return as soon as this many tasks have a result (0: all). Reaching
  /// the limit does not apply `on_timeout`.
  std::size_t limit = 0;
  /// For the whole call.
  std::chrono::milliseconds timeout = default_task_timeout;
  /// `nothing`, `ignore` or `kill_task` (`exit`: `std::invalid_argument`).
  otp::on_timeout on_timeout = otp::on_timeout::nothing;
};

/// Options of `async_stream`.
struct async_stream_options {
  /// Tasks at once; 0 = scheduler threads (`System.schedulers_online()`).
  std::size_t max_concurrency = 0;
  /// Results in input order (else in completion order).
  bool ordered = true;
  /// How long each task may run, from its start.
  std::chrono::milliseconds timeout = default_task_timeout;
  /// `exit`: the caller exits `{timeout,{Task.Supervised,stream,[T]}}`
  /// after killing the running tasks; `kill_task`: that element becomes
  /// `{exit, timeout}` and the stream goes on.
  otp::on_timeout on_timeout = otp::on_timeout::exit;
  /// An element that exited carries `exit_reason::with_input(Input,
  /// reason)`, printed `{Input,Reason}` as Elixir's `{:exit, {input,
  /// reason}}`: `inner()` is the reason, `where()` the printed input.
  bool zip_input_on_exit = false;
};

/// `{ok,Value}` or `{exit,Reason}`.
template <class T>
std::ostream& operator<<(std::ostream& os, const task_result<T>& r);

} // namespace otp

#include "framework/detail/task_impl.hpp"

namespace otp {

/// The handle of a task started by `async` (Elixir's `%Task{}`): move-only,
/// used by its owner only (see the file comment).
template <class T>
class task {
public:
  /// The type of the result.
  using result_type = T;

  /// A handle to no task (every operation throws `std::invalid_argument`).
  task() = default;
  task(task&&) noexcept = default;
  task& operator=(task&&) noexcept = default;
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  /// Does nothing: the task runs on, its reply and DOWN still arrive.
  ~task() = default;

  /// The task's process (null when the spawner of `async_nolink_via` failed).
  const otp::pid& pid() const noexcept { return core_.pid; }
  /// The ref carried by the task's `task_reply` and its `down_message`.
  const otp::ref& ref() const noexcept { return core_.monitor; }
  /// The process that may query the task.
  const otp::pid& owner() const noexcept { return core_.owner; }

  /// Wait up to `timeout` for the result (item 53, 54). The task dying first
  /// makes the caller exit `{Reason,{Task,await,[Pid,Timeout]}}` (a linked
  /// non-trapping caller is killed by the link before), the timeout exit
  /// `{timeout,...}`; a reply arriving exactly at expiry is still returned.
  template <class Rep = detail::ms_rep, class Period = detail::ms_period>
  T await(std::chrono::duration<Rep, Period> timeout = default_task_timeout) {
    auto e = detail::task_await(core_, detail::reply_type<T>(),
                                detail::timeout_ms(timeout));
    return detail::task_take<T>(e);
  }

  /// Wait up to `timeout`: `{ok, v}`, `{exit, reason}` if the task died, or
  /// nothing if neither happened yet; the task is then still watched and
  /// `yield` may be called again (item 56).
  template <class Rep = detail::ms_rep, class Period = detail::ms_period>
  std::optional<task_result<T>>
  yield(std::chrono::duration<Rep, Period> timeout = default_task_timeout) {
    return detail::task_to_result<T>(detail::task_yield(
        core_, detail::reply_type<T>(), detail::timeout_ms(timeout)));
  }

  /// Stop watching the task without waiting (item 58): unlink, demonitor.
  /// Returns the result if it is already there (`{ok, v}` / `{exit, r}`),
  /// otherwise nothing, and the task keeps running on its own.
  std::optional<task_result<T>> ignore() {
    return detail::task_to_result<T>(
        detail::task_ignore(core_, detail::reply_type<T>()));
  }

  /// Unlink the task, send it `shutdown`, and kill it if it has not ended
  /// after `timeout` (item 57). Returns `{ok, v}` if its reply arrived
  /// (even after it completed), nothing if it was shut down, `{exit, r}`
  /// if it died of anything else (`killed` after the timeout). On a settled
  /// task it only sends the signal and returns `{exit, noproc}`.
  template <class Rep = detail::ms_rep, class Period = detail::ms_period>
  std::optional<task_result<T>>
  shutdown(std::chrono::duration<Rep, Period> timeout = default_task_timeout) {
    return detail::task_to_result<T>(detail::task_shutdown(
        core_, detail::reply_type<T>(), detail::timeout_ms(timeout), false));
  }
  /// Like `shutdown(timeout)`, but kill at once; `killed` gives nothing.
  std::optional<task_result<T>> shutdown(brutal_kill_t) {
    return detail::task_to_result<T>(
        detail::task_shutdown(core_, detail::reply_type<T>(), infinity, true));
  }

  /// Internal: adopt a started task.
  explicit task(detail::task_core core) : core_(std::move(core)) {}
  /// Internal.
  detail::task_core& core() noexcept { return core_; }

private:
  detail::task_core core_;
};

/// The task type `async(fn, args...)` returns.
template <class F, class... A>
using async_task_t = task<detail::task_value_t<F, A...>>;

/// Start `fn(args...)` in a new process linked to and monitored by the
/// caller (item 52). `fn` and `args` are copied in as by `spawn`.
template <class F, class... A>
async_task_t<F, A...> async(F&& fn, A&&... args) {
  return async_task_t<F, A...>(
      detail::async_linked(std::forward<F>(fn), std::forward<A>(args)...));
}

/// Start `fn(args...)` as a task not linked to the caller (item 61), in a
/// process made by `spawner(detail::unique_task body) -> otp::pid` (e.g. a
/// supervisor's child); a null pid means it could not (the task ends at
/// once with `noproc`). An exception from `spawner` propagates. The caller
/// monitors the pid, then sends the body the reply alias; the body waits
/// for it before running `fn` (no reply can be lost) and exits
/// `{shutdown,Reason}` without running `fn` if the caller ends first. A
/// crash of the task never touches the caller: `yield` gives `{exit, r}`,
/// `await` exits the caller with `{r,{Task,await,...}}`.
template <class Spawner, class F, class... A>
async_task_t<F, A...> async_nolink_via(Spawner&& spawner, F&& fn, A&&... args) {
  return async_task_t<F, A...>(detail::async_nolink(
      spawner, std::forward<F>(fn), std::forward<A>(args)...));
}

/// Await every task with one deadline (item 59): the results in input
/// order. The first task to die makes the caller exit
/// `{Reason,{Task,await_many,[[Pids],Timeout]}}`; the deadline makes it
/// exit `{timeout,{Task,await_many,...}}`. Either way every task not yet
/// settled is given up (demonitored, alias off; still linked).
template <class T, class Rep = detail::ms_rep, class Period = detail::ms_period>
std::vector<T>
await_many(std::vector<task<T>>& tasks,
           std::chrono::duration<Rep, Period> timeout = default_task_timeout) {
  return detail::await_many_impl(tasks, detail::timeout_ms(timeout));
}

/// Yield to several tasks at once (item 59): one entry per task, in input
/// order, each as `yield` would give it. Tasks still running at the
/// deadline get nothing and `opts.on_timeout` (a reply that races with
/// `kill_task` / `ignore` is reported instead of dropped).
template <class T>
std::vector<std::optional<task_result<T>>>
yield_many(std::vector<task<T>>& tasks, yield_many_options opts = {}) {
  return detail::yield_many_impl(tasks, opts);
}

/// `yield_many(tasks, {.timeout = timeout})`.
template <class T, class Rep, class Period>
std::vector<std::optional<task_result<T>>>
yield_many(std::vector<task<T>>& tasks, std::chrono::duration<Rep, Period> t) {
  return yield_many(tasks,
                    yield_many_options{.timeout = detail::timeout_ms(t)});
}

/// Run `fn(input)` for every element of `inputs` in linked tasks, at most
/// `opts.max_concurrency` at once (item 60). Eager: returns when every
/// element is done, one `task_result` per element (`{ok, v}`, or
/// `{exit, r}` for a task that died while the caller traps exits or that
/// timed out with `kill_task`). Elements are copied into their tasks.
template <std::ranges::input_range R, class F>
std::vector<task_result<detail::stream_value_t<R, F>>>
async_stream(R&& inputs, F&& fn, async_stream_options opts = {}) {
  return detail::async_stream_impl(inputs, fn, opts);
}

/// `Task.start`: run `fn(args...)` in a new, unlinked process; returns
/// `ok(pid)` at once (item 62).
template <class F, class... A>
start_result task_start(F&& fn, A&&... args) {
  return start_result::ok(spawn(std::forward<F>(fn), std::forward<A>(args)...));
}

/// `Task.start_link`: like `task_start`, linked to the caller: a crash
/// kills a non-trapping caller, a `normal` end does not (item 62).
template <class F, class... A>
start_result task_start_link(F&& fn, A&&... args) {
  return start_result::ok(
      spawn_link(std::forward<F>(fn), std::forward<A>(args)...));
}

} // namespace otp
