#include "supervision/dynamic_supervisor.hpp"

#include "supervision/detail/client.hpp"
#include "supervision/detail/protocol.hpp"

namespace otp::dynamic_supervisor {

namespace {
constexpr const char* module = "dynamic_supervisor";

} // namespace

namespace detail {
start_result start_as(options opts, bool link, const char* kind) {
  start_options so;
  so.name = opts.name;
  auto body = [kind](starter& s, options& o, bool& linked) {
    run(s, o, linked, kind);
  };
  return link ? otp::start_link(so, body, std::move(opts), true)
              : otp::start(so, body, std::move(opts), false);
}
} // namespace detail

start_result start_link(options opts) {
  return detail::start_as(std::move(opts), true, "dynamic_supervisor");
}

start_result start(options opts) {
  return detail::start_as(std::move(opts), false, "dynamic_supervisor");
}

child_spec spec(std::string id, options opts) {
  child_spec s;
  s.id = std::move(id);
  s.type = child_type::supervisor;
  s.start = [opts = std::move(opts)] {
    return start_link(opts);
  };
  return s;
}

start_result start_child(const server_ref& sup, child_spec spec,
                         std::chrono::milliseconds timeout) {
  return otp::detail::sup::flat_start(otp::detail::sup::sup_call<start_result>(
      sup, otp::detail::sup::start_child_req{std::move(spec)}, timeout, module,
      "start_child"));
}

result<void> terminate_child(const server_ref& sup, const otp::pid& child,
                             std::chrono::milliseconds timeout) {
  return otp::detail::sup::flat_void(otp::detail::sup::sup_call<result<void>>(
      sup, otp::detail::sup::terminate_pid_req{child}, timeout, module,
      "terminate_child"));
}

result<std::vector<child_info>>
which_children(const server_ref& sup, std::chrono::milliseconds timeout) {
  return otp::detail::sup::sup_call<std::vector<child_info>>(
      sup, otp::detail::sup::which_children_req{}, timeout, module,
      "which_children");
}

result<child_counts> count_children(const server_ref& sup,
                                    std::chrono::milliseconds timeout) {
  return otp::detail::sup::sup_call<child_counts>(
      sup, otp::detail::sup::count_children_req{}, timeout, module,
      "count_children");
}

} // namespace otp::dynamic_supervisor
