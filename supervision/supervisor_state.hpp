#pragma once
/// \file supervisor_state.hpp
/// `supervisor_state`: what `sys::get_state` shows of a supervisor (static,
/// dynamic or task), and what the supervision tree is built from. A
/// snapshot taken inside the supervisor when asked; a plain value (the
/// supervisor's real state cannot be replaced through it:
/// `sys::replace_state` on a supervisor fails, see framework/sys.hpp).

#include "framework/pid.hpp"
#include "supervision/child_info.hpp"
#include "supervision/strategy.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <limits>
#include <string>
#include <vector>

namespace otp {

/// One child of a supervisor, with its spec's settings.
struct supervisor_child_state {
  /// The spec's id; empty (`undefined`) under a dynamic supervisor.
  std::string id;
  /// The process; null unless `status == running`.
  otp::pid pid;
  child_status status = child_status::undefined;
  child_type type = child_type::worker;
  restart_type restart = restart_type::permanent;
  /// The shutdown it gets (the spec's, or the default for its type).
  child_shutdown shutdown = child_shutdown::infinity();
  bool significant = false;
  /// How often it was restarted.
  std::uint64_t restarts = 0;
  friend bool operator==(const supervisor_child_state&,
                         const supervisor_child_state&) = default;
};

/// A supervisor's flags and children (`sys::get_state(sup)`).
struct supervisor_state {
  /// `supervisor`, `dynamic_supervisor` or `task_supervisor`.
  std::string kind;
  otp::strategy strategy = otp::strategy::one_for_one;
  int max_restarts = 0;
  std::chrono::seconds max_seconds{0};
  otp::auto_shutdown auto_shutdown = otp::auto_shutdown::never;
  /// A dynamic supervisor's limit (`max()`: none, always for a static one).
  std::size_t max_children = std::numeric_limits<std::size_t>::max();
  /// Restarts so far, in total.
  std::uint64_t restarts = 0;
  /// Start order for a static supervisor; no order for a dynamic one.
  std::vector<supervisor_child_state> children;
  friend bool operator==(const supervisor_state&,
                         const supervisor_state&) = default;
};

/// `{one_for_one,{3,5},[{cache,<0.7.0>,running},...]}`: the flags and the
/// children, as `sys::get_status` shows a supervisor's state.
std::ostream& operator<<(std::ostream& os, const supervisor_state& s);

} // namespace otp
