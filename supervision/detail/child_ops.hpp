#pragma once
/// \file detail/child_ops.hpp
/// What every supervisor does to one child: start it (exceptions become
/// start errors), wait for its end, run the shutdown protocol
/// (docs/semantics.md item 64), and write the reports (item 77). Called from
/// the supervisor process only.

#include "framework/exit_reason.hpp"
#include "framework/message.hpp"
#include "framework/pid.hpp"
#include "framework/ref.hpp"
#include "framework/start.hpp"
#include "supervision/child_spec.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace otp::detail::sup {

using clock = std::chrono::steady_clock;

/// Who is reporting: the supervisor's pid and printable name.
struct reporter {
  otp::pid self;
  std::string name; ///< registered name, or the pid's text

  /// Progress report (info): a child started.
  void progress(const child_spec& spec, const otp::pid& child) const;
  /// Error report: `context` is child_terminated, start_error,
  /// shutdown_error or shutdown (for reached_max_restart_intensity). None
  /// once the runtime is shutting down (`otp::system_stopping()`).
  void error(const char* context, const exit_reason& reason,
             const child_spec& spec, const otp::pid& child) const;
  /// Error report: a message the supervisor does not understand (dropped).
  void unexpected(const any_message& m) const;
};

/// `spec.start(extra)`; any exception escaping it (`throw 42;` too) becomes
/// `error(reason)` (`{exception,int,"nocatch: 42"}`).
start_result invoke_start(const child_spec& spec, const extra_arguments& extra);

/// Wait until child `p` (monitored by `mon`, maybe linked) has ended and
/// return its reason, consuming both its EXIT and its DOWN; nothing if
/// `deadline` passes first. A DOWN `noproc` (it died before the monitor was
/// set) waits briefly for the EXIT carrying the real reason.
std::optional<exit_reason> await_exit(const otp::pid& p, const ref& mon,
                                      clock::time_point deadline);

/// A DOWN of child `p` arrived before its EXIT: the real reason (from an EXIT
/// still on its way when the DOWN says `noproc`), and the link removed.
exit_reason settle_down(const otp::pid& p, exit_reason down);

/// After an EXIT or DOWN of `p` handled elsewhere: drop the other one.
void forget_child(const otp::pid& p, const ref& mon);

/// The shutdown protocol for one child (brutal_kill / timeout / infinity).
/// Returns nothing if it ended as expected, else the reason to report as
/// `shutdown_error`.
std::optional<exit_reason> shutdown_child(const otp::pid& p, const ref& mon,
                                          const child_spec& spec);

/// Whether `r` is what a shutdown with `how` should end `spec`'s child with.
bool expected_shutdown(const exit_reason& r, const child_spec& spec,
                       bool brutal);

/// The name a supervisor's reports use.
std::string display_name(const std::string& registered, const otp::pid& p);

} // namespace otp::detail::sup
