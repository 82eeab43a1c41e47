#pragma once
/// \file task_supervisor.hpp
/// `otp::task_supervisor`: Elixir's `Task.Supervisor` (docs/semantics.md items
/// 61), a dynamic supervisor whose children are tasks.
///
/// ```cpp
/// auto sup = otp::task_supervisor::start_link({.name = "tasks"});
/// otp::task<int> t = otp::task_supervisor::async_nolink("tasks", [] { return
/// 42; }); auto r = t.yield();               // {ok,42}, or {exit,Reason} if it
/// crashed otp::task_supervisor::start_child("tasks", [] { /* fire and forget
/// */ });
/// ```
///
/// - Every task is a temporary child (never restarted; shutdown 5000 ms),
///   linked to the supervisor, not to the caller: a crash never touches the
///   caller. With `async_nolink` the caller monitors the task: `yield` gives
///   `{exit, reason}`, `await` exits the caller with
///   `{reason,{Task,await,...}}` (see framework/task.hpp).
/// - Stopping the supervisor (`otp::stop`, `supervisor::stop`) shuts every
///   task down at once, as a dynamic supervisor does; its `max_children`
///   applies. It answers the `sys` functions as a dynamic supervisor does
///   (`get_status`'s `server_type` is `task_supervisor`).
///
/// Call from a process other than the supervisor. `fn` and `args` are copied
/// into the task as by `spawn`.

#include "framework/server_ref.hpp"
#include "framework/start.hpp"
#include "framework/task.hpp"
#include "supervision/child_spec.hpp"
#include "supervision/dynamic_supervisor.hpp"

#include <chrono>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>

namespace otp::task_supervisor {

/// Options (Elixir's defaults).
struct options {
  int max_restarts = 3;
  std::chrono::seconds max_seconds{5};
  std::size_t max_children = std::numeric_limits<std::size_t>::max();
  /// Register under this name (empty: none).
  std::string name{};
};

/// Start a task supervisor linked to the caller. Results as
/// `dynamic_supervisor::start_link`.
start_result start_link(options opts = {});
/// Like `start_link`, without a link.
start_result start(options opts = {});
/// A child spec for a task supervisor under another supervisor.
child_spec spec(std::string id, options opts = {});

namespace detail {
/// A temporary child spec running `body` once, linked to the supervisor.
child_spec task_spec(otp::detail::unique_task body);
/// Start `body` as a child of `sup`; its pid, or null if it could not.
otp::pid spawn_child(const server_ref& sup, otp::detail::unique_task body);
} // namespace detail

/// `Task.Supervisor.start_child`: run `fn(args...)` as a temporary child of
/// `sup`, not linked to the caller. Results: `ok(pid)`;
/// `error(max_children)`; call failure (`{noproc,...}` ...). The child may
/// run (and end) before this returns, so a `monitor` of the pid taken
/// afterwards can give DOWN `noproc`; to learn how it ended, use
/// `async_nolink`, whose monitor is in place before the child runs.
template <class F, class... A>
start_result start_child(const server_ref& sup, F&& fn, A&&... args) {
  return dynamic_supervisor::start_child(
      sup, detail::task_spec(otp::detail::make_body(std::forward<F>(fn),
                                                    std::forward<A>(args)...)));
}

/// `Task.Supervisor.async_nolink`: run `fn(args...)` as a temporary child of
/// `sup`, monitored (not linked) by the caller, who owns the returned task.
/// If the child cannot be started (supervisor gone, `max_children`), the
/// task ends at once with `noproc` (`yield` gives `{exit, noproc}`).
template <class F, class... A>
async_task_t<F, A...> async_nolink(const server_ref& sup, F&& fn, A&&... args) {
  return otp::async_nolink_via(
      [&sup](otp::detail::unique_task body) {
        return detail::spawn_child(sup, std::move(body));
      },
      std::forward<F>(fn), std::forward<A>(args)...);
}

} // namespace otp::task_supervisor
