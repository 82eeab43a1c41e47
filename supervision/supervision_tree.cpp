#include "supervision/supervision_tree.hpp"

#include "framework/process_info.hpp"
#include "supervision/supervisor.hpp"

#include <optional>

namespace otp {

namespace {

nlohmann::json pid_json(const pid& p) {
  return p ? nlohmann::json(p.to_string()) : nlohmann::json(nullptr);
}

/// `message_queue_len` and `registered_name` of `p` into `j`.
void add_process_info(nlohmann::json& j, const pid& p) {
  std::optional<process_snapshot> info = p ? process_info(p) : std::nullopt;
  j["message_queue_len"] = info ? info->message_queue_len : 0;
  j["registered_name"] = info ? info->registered_name : std::string();
}

} // namespace

nlohmann::json supervision_tree(const server_ref& sup,
                                std::chrono::milliseconds timeout) {
  nlohmann::json j;
  const pid self_pid = sup.resolve();
  j["pid"] = pid_json(self_pid);
  // Through the sys protocol, so a suspended supervisor answers too.
  std::optional<supervisor_state> r;
  try {
    r = supervisor::get_state(sup, timeout);
  } catch (const exit_error& e) {
    j["error"] = e.reason().to_string();
    return j;
  }
  add_process_info(j, self_pid);
  j["kind"] = r->kind;
  j["strategy"] = to_string(r->strategy);
  j["max_restarts"] = r->max_restarts;
  j["max_seconds"] = static_cast<long long>(r->max_seconds.count());
  nlohmann::json children = nlohmann::json::array();
  for (const supervisor_child_state& c : r->children) {
    nlohmann::json k;
    k["id"] = c.id.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.id);
    k["pid"] = pid_json(c.pid);
    k["type"] = to_string(c.type);
    k["restart"] = to_string(c.restart);
    k["restarts"] = c.restarts;
    k["status"] = to_string(c.status);
    add_process_info(k, c.pid);
    if (c.type == child_type::supervisor && c.pid) {
      nlohmann::json sub = supervision_tree(c.pid, timeout);
      for (const char* key : {"kind", "strategy", "max_restarts", "max_seconds",
                              "children", "error"})
        if (sub.contains(key))
          k[key] = std::move(sub[key]);
    }
    children.push_back(std::move(k));
  }
  j["children"] = std::move(children);
  return j;
}

} // namespace otp
