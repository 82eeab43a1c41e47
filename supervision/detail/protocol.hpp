#pragma once
/// \file detail/protocol.hpp
/// The requests supervisors serve (each arrives as `call_request<R>`) and the
/// messages they send themselves. Shared by supervisor, dynamic_supervisor,
/// task_supervisor, so the common requests (which_children, count_children)
/// work on all of them.

#include "framework/exit_reason.hpp"
#include "framework/pid.hpp"
#include "supervision/child_spec.hpp"

#include <string>

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
// Stopping, suspending and the state (supervision_tree) are the
// framework's system messages (framework/sys_protocol.hpp).

/// A failed restart is retried later: the supervisor sends itself this, so
/// that requests queued meanwhile (a shutdown among them) are served first.
struct try_again_restart {
  std::string id; ///< static supervisor
  otp::pid old;   ///< dynamic supervisor: the key of the restarting child
};

} // namespace otp::detail::sup
