#include "supervision/task_supervisor.hpp"

#include "framework/this_process.hpp"
#include "supervision/dynamic_supervisor.hpp"

namespace otp::task_supervisor {

namespace {

dynamic_supervisor::options dynamic_options(options o) {
  dynamic_supervisor::options d;
  d.max_restarts = o.max_restarts;
  d.max_seconds = o.max_seconds;
  d.max_children = o.max_children;
  d.name = std::move(o.name);
  return d;
}

} // namespace

start_result start_link(options opts) {
  return dynamic_supervisor::detail::start_as(dynamic_options(std::move(opts)),
                                              true, "task_supervisor");
}

start_result start(options opts) {
  return dynamic_supervisor::detail::start_as(dynamic_options(std::move(opts)),
                                              false, "task_supervisor");
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

namespace detail {

child_spec task_spec(otp::detail::unique_task body) {
  // A child_spec is copyable; the body runs once (a temporary child is never
  // restarted), so it is shared and moved out by the task itself.
  auto once = std::make_shared<otp::detail::unique_task>(std::move(body));
  child_spec s;
  s.id = "task";
  s.restart = restart_type::temporary;
  s.start = [once] {
    return otp::start_link({}, [once](starter& st) {
      st.ack();
      otp::detail::unique_task run = std::move(*once);
      if (run)
        run();
    });
  };
  return s;
}

otp::pid spawn_child(const server_ref& sup, otp::detail::unique_task body) {
  start_result r =
      dynamic_supervisor::start_child(sup, task_spec(std::move(body)));
  return r.ok() ? r.pid() : otp::pid();
}

} // namespace detail
} // namespace otp::task_supervisor
