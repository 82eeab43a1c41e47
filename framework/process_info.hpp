#pragma once
/// \file process_info.hpp
/// `process_info(pid)` (docs/semantics.md items 22): what a process is doing,
/// as a value that converts to JSON (`nlohmann::json(info)`).
///
/// Like Erlang's, the answer comes from the process itself: the request is a
/// signal it answers at its next suspension point (at once if it is waiting
/// in receive or hibernating). A process that never suspends delays the
/// caller. Callable from any thread.

#include "framework/pid.hpp"
#include "framework/ref.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace otp {

/// A snapshot of one process.
struct process_snapshot {
  otp::pid pid;
  /// "waiting" (in receive), "running", "runnable", "hibernating" or
  /// "exiting".
  std::string status;
  std::size_t message_queue_len = 0;
  std::vector<otp::pid> links;
  /// Processes this one monitors.
  std::vector<otp::pid> monitors;
  /// Processes monitoring this one.
  std::vector<otp::pid> monitored_by;
  bool trap_exit = false;
  /// Empty if the process has no name.
  std::string registered_name;
  /// Bytes of stack reserved for the process (0 while hibernating: it has
  /// none).
  std::size_t stack_size = 0;
};

void to_json(nlohmann::json& j, const process_snapshot& s);

/// A snapshot of `p`, or nothing if `p` is dead (or null).
std::optional<process_snapshot> process_info(const pid& p);

} // namespace otp
