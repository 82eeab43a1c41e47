#include "supervision/supervisor.hpp"

#include "supervision/detail/client.hpp"
#include "supervision/detail/protocol.hpp"
#include "supervision/detail/supervisor_server.hpp"

namespace otp {

namespace supervisor {

namespace {
constexpr const char* module = "supervisor";

start_result start_impl(std::vector<child_spec> children, options opts,
                        bool link) {
  start_options so;
  so.name = opts.name;
  auto body = [](starter& s, std::vector<child_spec>& specs, options& o,
                 bool& linked) {
    detail::sup::run_static(s, specs, o, linked);
  };
  return link ? otp::start_link(so, body, std::move(children), std::move(opts),
                                true)
              : otp::start(so, body, std::move(children), std::move(opts),
                           false);
}
} // namespace

start_result start_link(std::vector<child_spec> children, options opts) {
  return start_impl(std::move(children), std::move(opts), true);
}

start_result start(std::vector<child_spec> children, options opts) {
  return start_impl(std::move(children), std::move(opts), false);
}

child_spec spec(std::string id, std::vector<child_spec> children,
                options opts) {
  child_spec s;
  s.id = std::move(id);
  s.type = child_type::supervisor;
  s.start = [children = std::move(children), opts = std::move(opts)] {
    return start_link(children, opts);
  };
  return s;
}

start_result start_child(const server_ref& sup, child_spec spec,
                         std::chrono::milliseconds timeout) {
  return detail::sup::flat_start(detail::sup::sup_call<start_result>(
      sup, detail::sup::start_child_req{std::move(spec)}, timeout, module,
      "start_child"));
}

result<void> terminate_child(const server_ref& sup, const std::string& id,
                             std::chrono::milliseconds timeout) {
  return detail::sup::flat_void(detail::sup::sup_call<result<void>>(
      sup, detail::sup::terminate_child_req{id}, timeout, module,
      "terminate_child"));
}

start_result restart_child(const server_ref& sup, const std::string& id,
                           std::chrono::milliseconds timeout) {
  return detail::sup::flat_start(detail::sup::sup_call<start_result>(
      sup, detail::sup::restart_child_req{id}, timeout, module,
      "restart_child"));
}

result<void> delete_child(const server_ref& sup, const std::string& id,
                          std::chrono::milliseconds timeout) {
  return detail::sup::flat_void(detail::sup::sup_call<result<void>>(
      sup, detail::sup::delete_child_req{id}, timeout, module, "delete_child"));
}

result<std::vector<child_info>>
which_children(const server_ref& sup, std::chrono::milliseconds timeout) {
  return detail::sup::sup_call<std::vector<child_info>>(
      sup, detail::sup::which_children_req{}, timeout, module,
      "which_children");
}

result<child_counts> count_children(const server_ref& sup,
                                    std::chrono::milliseconds timeout) {
  return detail::sup::sup_call<child_counts>(sup,
                                             detail::sup::count_children_req{},
                                             timeout, module, "count_children");
}

void stop(const server_ref& sup, exit_reason reason,
          std::chrono::milliseconds timeout) {
  supervisor::try_stop(sup, std::move(reason), timeout).value();
}

result<void> try_stop(const server_ref& sup, exit_reason reason,
                      std::chrono::milliseconds timeout) {
  return otp::detail::stop_process(sup, std::move(reason), timeout,
                                   {module, "stop"});
}

supervisor_state get_state(const server_ref& sup,
                           std::chrono::milliseconds timeout) {
  return sys::get_state<supervisor_state>(sup, timeout);
}

} // namespace supervisor
} // namespace otp
