#pragma once
/// \file supervision_tree.hpp
/// `supervision_tree(sup)`: the whole tree under a supervisor as JSON, for
/// dashboards, debugging and tests.
///
/// ```json
/// {"pid": "<0.5.0>", "registered_name": "app_sup", "kind": "supervisor",
///  "strategy": "one_for_one", "max_restarts": 3, "max_seconds": 5,
///  "message_queue_len": 0,
///  "children": [
///    {"id": "db", "pid": "<0.6.0>", "type": "worker",
///     "restart": "permanent", "restarts": 2, "status": "running",
///     "message_queue_len": 0, "registered_name": ""},
///    {"id": "pool", "type": "supervisor", ..., "kind": "dynamic_supervisor",
///     "children": [...]}]}
/// ```
///
/// Children are in start order (a dynamic supervisor's in no order, id
/// `null`); `pid` is `null` for a child with no process. A child of type
/// supervisor is described recursively (its own `kind`, `strategy`,
/// `children`). Queue lengths and names come from `process_info`. Each
/// supervisor is asked through the sys protocol (`supervisor::get_state`),
/// so a suspended one answers too; one that does not answer within
/// `timeout` (or is gone, or is no supervisor) shows as
/// `{"pid": ..., "error": "<reason>"}`.
///
/// Must be called from a process (not from a supervisor in the tree: it
/// would wait for itself). The snapshot is not atomic: each supervisor
/// answers for itself, one after the other.

#include "framework/server_ref.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace otp {

/// The tree under `sup` (see the file comment).
nlohmann::json supervision_tree(
    const server_ref& sup,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

} // namespace otp
