#pragma once
/// \file supervisor.hpp
/// `otp::supervisor`: OTP's static supervisor (Elixir's `Supervisor`), a
/// process that starts children from `child_spec`s, restarts them by its
/// `strategy`, and ends them in reverse order (docs/semantics.md items
/// 63-77).
///
/// ```cpp
/// auto sup = otp::supervisor::start_link(
///     {otp::worker<cache>("cache"), otp::worker<api>("api", 8080)},
///     {.strategy = otp::strategy::rest_for_one, .name = "app_sup"});
/// otp::supervisor::which_children("app_sup");
/// ```
///
/// The supervisor traps exits and links to and monitors every child. That
/// differs from OTP, which only links: there, a child that called
/// `unlink(supervisor)` dies unnoticed (its stale pid stays in
/// `which_children`) and a shutdown waits for it by its `shutdown` time.
/// Here the monitor's DOWN stands in for the missing EXIT, so such a child
/// is restarted by its `restart_type` and its termination is seen at once;
/// a process that must outlive its supervisor should not be its child.
/// Its behaviour:
/// - start: children start one by one in list order; a start returning
///   `ignore` keeps its spec with no process (a temporary one is dropped);
///   the first error terminates those already started (reverse order) and
///   the supervisor ends with `{shutdown,{failed_to_start_child,Id,Reason}}`
///   (also `start_link`'s error; a non-trapping linked caller ends with it
///   too, as in OTP);
/// - a child ends: `restart_type` decides whether to restart (a report
///   `child_terminated` is written when OTP writes one), the `strategy`
///   which children; each restart counts toward `max_restarts` within
///   `max_seconds`; more ends the supervisor with `shutdown` after it
///   terminated the rest (`reached_max_restart_intensity`); a restart whose
///   start fails (`start_error`) is retried through a message to itself, so
///   queued requests and a shutdown go first, the child showing `restarting`;
/// - `auto_shutdown`: see docs/semantics.md item 75;
/// - an exit signal from its parent (the process that called `start_link`):
///   it terminates its children in reverse order and ends with that reason;
///   exit signals from other processes that are not children are ignored;
/// - each child ends by its `shutdown`: `brutal_kill`, `timeout(ms)` (exit
///   `shutdown`, then kill) or `infinity`; an unexpected reason is reported
///   as `shutdown_error`; every start writes an info progress report;
/// - a special process (framework/sys.hpp): `otp::stop`, `sys::suspend` /
///   `resume` (while suspended it handles only system messages and its
///   parent's EXIT: a child that ends stays unrestarted until `resume`),
///   `sys::get_status`, `sys::statistics` and `get_state` below work on
///   every supervisor kind;
/// - once the runtime has begun its shutdown (`otp::system_stopping()`),
///   it restarts nothing and reports nothing: children ending then are
///   expected.
///
/// Client functions may be called from any process, never from the
/// supervisor itself (`calling_self`). The request functions never throw:
/// a supervisor that is not there gives the call's error
/// (`{noproc,{supervisor,fn,[...]}}`, see call.hpp), listed below as "call
/// failure". `stop` and `get_state` throw (`exit_error`), as OTP's do;
/// `try_stop` returns.

#include "framework/result.hpp"
#include "framework/server_ref.hpp"
#include "framework/start.hpp"
#include "framework/sys.hpp"
#include "supervision/child_info.hpp"
#include "supervision/child_spec.hpp"
#include "supervision/strategy.hpp"
#include "supervision/supervisor_state.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace otp::supervisor {

/// Supervisor flags (Elixir's defaults).
struct options {
  otp::strategy strategy = otp::strategy::one_for_one;
  /// At most this many restarts within `max_seconds` (>= 0).
  int max_restarts = 3;
  /// The window of `max_restarts` (>= 1 s).
  std::chrono::seconds max_seconds{5};
  otp::auto_shutdown auto_shutdown = otp::auto_shutdown::never;
  /// Register the supervisor under this name (empty: none).
  std::string name{};
};

/// Start a supervisor linked to the caller and its children; returns when
/// all have started. Results:
/// - `ok(pid)`;
/// - `error({already_started,Pid})` (`pid()` = the holder) if `name` is
///   taken;
/// - `error({shutdown,{failed_to_start_child,Id,Reason}})`;
/// - `error({start_spec,E})`: an invalid spec (see `check_child_spec`) or
///   `{duplicate_child_name,Id}`;
/// - `error({supervisor_data,{invalid_intensity,N}})` /
///   `{supervisor_data,{invalid_period,N}}`: bad options.
/// On error the supervisor has ended with that reason.
start_result start_link(std::vector<child_spec> children, options opts = {});

/// Like `start_link`, without a link (and so without a parent).
start_result start(std::vector<child_spec> children, options opts = {});

/// A child spec for a nested supervisor with these children and options
/// (type supervisor, shutdown infinity, permanent).
child_spec spec(std::string id, std::vector<child_spec> children,
                options opts = {});

/// Add and start a child (appended: last in start order). Results:
/// - `ok(pid)`; `ignore` (the spec is kept unless temporary, OTP's
///   `{ok,undefined}`);
/// - `error({already_started,Pid})` with `pid()` set: the id is running (or
///   the child's own name is taken);
/// - `error(already_present)`: the id is known but not running;
/// - `error(E)`: the spec is invalid (`check_child_spec`), or the child's
///   start failed with `E` (OTP wraps it as `{E, ChildSpec}`; here `E`
///   alone); call failure.
start_result start_child(const server_ref& sup, child_spec spec,
                         std::chrono::milliseconds timeout = otp::infinity);

/// Terminate the child by its shutdown; the spec is kept (a temporary one
/// is deleted). Results: ok; `error(not_found)`; call failure.
result<void> terminate_child(const server_ref& sup, const std::string& id,
                             std::chrono::milliseconds timeout = otp::infinity);

/// Start a child that is not running. Results: `ok(pid)`; `ignore`;
/// `error(running)`; `error(restarting)`; `error(not_found)`; `error(E)`
/// from its start; call failure.
start_result restart_child(const server_ref& sup, const std::string& id,
                           std::chrono::milliseconds timeout = otp::infinity);

/// Delete the spec of a child that is not running. Results: ok;
/// `error(running)`; `error(restarting)`; `error(not_found)`; call failure.
result<void> delete_child(const server_ref& sup, const std::string& id,
                          std::chrono::milliseconds timeout = otp::infinity);

/// Every child, newest first (OTP 25's order). Works on dynamic and task
/// supervisors too. Results: the list; call failure.
result<std::vector<child_info>>
which_children(const server_ref& sup,
               std::chrono::milliseconds timeout = otp::infinity);

/// The counts. Works on dynamic and task supervisors too. Results: the
/// counts; call failure.
result<child_counts>
count_children(const server_ref& sup,
               std::chrono::milliseconds timeout = otp::infinity);

/// `Supervisor.stop/3` (`proc_lib:stop/3`): end the supervisor with
/// `reason` (default `normal`, so a linked caller lives on) after it
/// terminated its children (reverse start order; a dynamic or task
/// supervisor all at once), and wait until it has ended. Works on dynamic
/// and task supervisors too (as does `otp::stop`, framework/sys.hpp). A
/// failure exits the caller (throws `exit_error`) with
/// `{noproc|calling_self|timeout|R,{supervisor,stop,[Sup,Reason,Timeout]}}`
/// (`R`: it ended with another reason).
void stop(const server_ref& sup, exit_reason reason = exit_reason::normal(),
          std::chrono::milliseconds timeout = otp::infinity);
/// Like `stop`, but the failure is returned.
result<void> try_stop(const server_ref& sup,
                      exit_reason reason = exit_reason::normal(),
                      std::chrono::milliseconds timeout = otp::infinity);

/// `sys:get_state` on a supervisor (any kind): its flags and children, a
/// snapshot (see supervisor_state.hpp). Answers while suspended. Exits the
/// caller on failure, like every sys function
/// (`{Reason,{sys,get_state,[Sup,Timeout]}}`; `{bad_state_type,...}` if
/// `sup` is no supervisor).
supervisor_state
get_state(const server_ref& sup,
          std::chrono::milliseconds timeout = default_call_timeout);

} // namespace otp::supervisor
