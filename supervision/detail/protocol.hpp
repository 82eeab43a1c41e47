#pragma once
/// \file detail/protocol.hpp
/// The requests supervisors serve (each arrives as `call_request<R>`) and the
/// messages they send themselves. Shared by supervisor, dynamic_supervisor,
/// task_supervisor and supervision_tree, so the common requests
/// (which_children, count_children, the tree, stop) work on all of them.

#include "framework/exit_reason.hpp"
#include "framework/pid.hpp"
#include "supervision/child_spec.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace otp::detail::sup {

struct start_child_req {
  child_spec spec;
};
struct terminate_child_req {
  std::string id;
};
struct terminate_pid_req {
  otp::pid child;
};
struct restart_child_req {
  std::string id;
};
struct delete_child_req {
  std::string id;
};
struct which_children_req {};
struct count_children_req {};
/// End the supervisor with `reason` after terminating its children; it
/// never replies (the caller sees it end).
struct stop_req {
  exit_reason reason;
};
/// Introspection (supervision_tree).
struct tree_req {};

/// One child as the tree shows it.
struct tree_child {
  std::string id;
  otp::pid pid;
  std::string status;
  child_type type = child_type::worker;
  restart_type restart = restart_type::permanent;
  std::uint64_t restarts = 0;
};
struct tree_reply {
  std::string kind; ///< supervisor, dynamic_supervisor, task_supervisor
  std::string strategy;
  int max_restarts = 0;
  long long max_seconds = 0;
  std::vector<tree_child> children; ///< start order
};

/// A failed restart is retried later: the supervisor sends itself this, so
/// that requests queued meanwhile (a shutdown among them) are served first.
struct try_again_restart {
  std::string id; ///< static supervisor
  otp::pid old;   ///< dynamic supervisor: the key of the restarting child
};

} // namespace otp::detail::sup
