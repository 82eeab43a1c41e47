#include "support.hpp"

#include "support/waits.hpp"

namespace sup_test {

namespace {

void worker_body(otp::starter& s, const std::string& id, recorder_ptr rec,
                 worker_options o) {
  if (o.trap)
    otp::trap_exit(true);
  rec->add("start:" + id);
  s.ack();
  if (o.unlink)
    otp::unlink(s.parent());
  for (;;) {
    otp::receive([](crash&& c) { otp::exit(c.reason); },
                 [&](otp::exit_message&& m) {
                   if (o.ignore_shutdown)
                     return;
                   rec->add("terminate:" + id + ":" + m.reason.to_string());
                   otp::exit(m.reason);
                 });
  }
}

} // namespace

otp::child_spec worker(const std::string& id, recorder_ptr rec,
                       worker_options o, otp::restart_type restart) {
  otp::child_spec spec;
  spec.id = id;
  spec.restart = restart;
  spec.start = [id, rec, o] {
    return otp::start_link(
        {}, [id, rec, o](otp::starter& s) { worker_body(s, id, rec, o); });
  };
  return spec;
}

otp::child_spec flaky_worker(const std::string& id, recorder_ptr rec,
                             std::shared_ptr<std::atomic<bool>> fail,
                             std::shared_ptr<std::atomic<bool>> ignore) {
  otp::child_spec spec = worker(id, rec);
  spec.start = [id, rec, fail, ignore, inner = spec.start] {
    if (fail->load()) {
      rec->add("start_failed:" + id);
      otp::sleep(1ms); // keeps a retry loop from flooding the reports
      return otp::start_result::error(otp::exit_reason::user("start_failed"));
    }
    if (ignore->load())
      return otp::start_result::ignore();
    return inner();
  };
  return spec;
}

otp::pid pid_of(const otp::server_ref& sup, const std::string& id) {
  auto children = otp::supervisor::which_children(sup);
  if (!children)
    return {};
  for (const auto& c : *children)
    if (c.id == id)
      return c.pid;
  return {};
}

std::optional<otp::child_status> status_of(const otp::server_ref& sup,
                                           const std::string& id) {
  auto children = otp::supervisor::which_children(sup);
  if (!children)
    return std::nullopt;
  for (const auto& c : *children)
    if (c.id == id)
      return c.status;
  return std::nullopt;
}

otp::pid next_pid(const otp::server_ref& sup, const std::string& id,
                  const otp::pid& old) {
  otp::pid p;
  eventually(
      [&] {
        p = pid_of(sup, id);
        return p && p != old;
      },
      10s);
  return p != old ? p : otp::pid();
}

std::optional<otp::exit_reason> down_reason(const otp::ref& r,
                                            std::chrono::milliseconds timeout) {
  return otp_test::down_reason(r, timeout);
}

std::optional<otp::exit_reason> wait_exit(const otp::pid& p) {
  return down_reason(otp::monitor(p));
}

} // namespace sup_test
