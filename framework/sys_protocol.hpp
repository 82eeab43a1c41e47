#pragma once
/// \file sys_protocol.hpp
/// The system-message protocol every special process answers (OTP's
/// `sys` and `proc_lib`), written once, below the behaviours: the message
/// clients put in the mailbox (`system_message`), the part of a special
/// process the protocol reads and changes (`special_process`), and the
/// dispatcher its receive loop calls (`handle_system_message`). The client
/// functions (`sys::get_status`, `otp::stop`...) are in sys.hpp.
///
/// A special process (GenServer, Agent, Supervisor, DynamicSupervisor,
/// Task.Supervisor, or a loop of yours) derives from `special_process` and,
/// in its receive loop:
/// - while `suspended`, takes nothing but `system_message`s (everything else
///   stays queued, in order, until `resume`);
/// - hands each `system_message` to `handle_system_message`; when it
///   returns a reason (a `stop` request), the process runs its terminate
///   logic (a GenServer's `terminate`, a supervisor's ordered shutdown of its
///   children) and exits with that reason;
/// - counts what it handles in `counters` (system messages do not count,
///   as in OTP's `sys:statistics`).
///
/// A process that does none of this (a plain `spawn`) never answers: sys
/// calls to it time out, and the request stays in its mailbox, as in OTP.
///
/// Owner-side only: a `special_process` and the requests' functions are
/// used inside the special process; clients only build `system_message`s.

#include "framework/call.hpp"
#include "framework/exit_reason.hpp"
#include "framework/message.hpp"
#include "framework/pid.hpp"

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>

namespace otp::sys {

/// `sys:statistics`: what the process handled, system messages excluded.
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
  /// The registered name ("" if none).
  std::string name;
  /// The process that started it linked (null if started without a link).
  otp::pid parent;
  /// "running" or "suspended".
  std::string status;
  /// The state as the process shows it (a GenServer's `format_status`).
  std::string state;
  /// What it is: the GenServer's class, `supervisor`,
  /// `dynamic_supervisor`, `task_supervisor`...
  std::string server_type;
};

} // namespace otp::sys

namespace otp::detail {

class special_process;

/// The state that `sys::get_state` and `sys::replace_state` work on.
struct system_state {
  /// The object, valid while the request runs.
  void* object = nullptr;
  /// Its type (null: the process shows no state).
  const std::type_info* type = nullptr;
  /// Whether `replace_state` may change it (false for a snapshot, such as
  /// a supervisor's).
  bool replaceable = false;
};

/// One sys request, run inside the target by `handle_system_message`.
/// Derive from it to add a request (behaviours/sys.hpp's `change_code`).
class system_op {
public:
  virtual ~system_op() = default;
  /// The sys function, e.g. `get_state` (printed in reasons and reports).
  virtual const char* name() const noexcept = 0;
  /// Do the request in `p` and answer `caller` (each request but `stop`
  /// replies exactly once). Returns the reason to terminate with, or
  /// nothing to go on. An exception escaping it ends the process.
  virtual std::optional<exit_reason> run(special_process& p,
                                         const from& caller) = 0;
  /// How reports print the request (default: its name).
  virtual void print(std::ostream& os) const;
};

/// OTP's `{system, From, Request}`: what a sys client puts in the mailbox.
/// A loop written with `receive` matches it by type.
struct system_message {
  otp::from from;
  std::unique_ptr<system_op> op;
  /// `{system,<0.7.0>,get_state}`.
  friend std::ostream& operator<<(std::ostream& os, const system_message& m);
};

/// `sys:statistics`'s counters, kept by the process's loop.
struct system_counters {
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t callbacks = 0;
};

/// The part of a special process that the sys protocol reads and changes.
class special_process {
public:
  virtual ~special_process();

  // -- hooks ------------------------------------------------------------------
  /// The module named in the errors of state requests, e.g. `GenServer` in
  /// `{callback_failed,{GenServer,system_replace_state},...}`.
  virtual const char* system_module() const noexcept = 0;
  /// `status_info::server_type`.
  virtual std::string system_type() const = 0;
  /// `status_info::state`.
  virtual std::string system_format_status() = 0;
  /// The state of `get_state` / `replace_state` (a process without one
  /// returns an empty `system_state`).
  virtual system_state system_get_state() = 0;

  // -- state ------------------------------------------------------------------
  otp::pid parent;
  std::string name;
  /// `sys:suspend`: only system messages are handled until `resume`.
  bool suspended = false;
  system_counters counters;
  std::chrono::steady_clock::time_point started_at =
      std::chrono::steady_clock::now();
};

/// Whether `e` holds a `system_message` (for loops that scan the mailbox
/// themselves, like the GenServer's).
bool is_system_message(const envelope* e) noexcept;

/// Run the request `m` inside `p` and answer it. Returns the reason to
/// terminate with for a `stop` request (the caller runs its terminate logic
/// and exits with it), nothing otherwise. What a user function inside a
/// request throws becomes the request's error reply, never a crash.
std::optional<exit_reason> handle_system_message(special_process& p,
                                                 system_message& m);

// -- errors of state requests -------------------------------------------------

/// `{bad_state_type,{expected,T},{got,U}}`: the process's state is not the
/// type the request was written for (`{got,none}`: it shows no state).
exit_reason bad_state_type(const std::type_info& expected,
                           const system_state& got);
/// `{callback_failed,{Module,Function},Why}` (OTP's reason when the function
/// of `get_state` / `replace_state` raises).
exit_reason callback_failed(const special_process& p, const char* function,
                            const exit_reason& why);
/// `{callback_failed,{Module,system_replace_state},{error,
/// state_not_replaceable}}`: the process shows only a snapshot of its state.
exit_reason state_not_replaceable(const special_process& p);

} // namespace otp::detail
