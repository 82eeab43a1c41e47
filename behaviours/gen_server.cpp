#include "behaviours/gen_server.hpp"

#include "behaviours/sys.hpp"
#include "framework/detail/mailbox_scan.hpp"
#include "framework/signals.hpp"

#include <sstream>

namespace otp {

namespace {

/// The system message of `stop/3`: terminate with the reason, then exit.
struct stop_request {
  exit_reason reason;
};

detail::gen_step invoke_stop(detail::gen_server_core&, detail::envelope* e) {
  detail::gen_step st;
  st.stop = true;
  st.reason =
      static_cast<detail::typed_envelope<stop_request>*>(e)->value.reason;
  return st;
}

void print_stop(std::ostream& os, const detail::envelope* e) {
  os << "{system,{terminate,"
     << static_cast<const detail::typed_envelope<stop_request>*>(e)
            ->value.reason
     << "}}";
}

const detail::gen_ops stop_ops{detail::gen_op::system, nullptr, &invoke_stop,
                               nullptr};
const detail::type_desc stop_desc{&typeid(stop_request),
                                  &detail::destroy_value<stop_request>,
                                  &print_stop, &stop_ops};

exit_reason stop_failure(exit_reason r, const server_ref& s,
                         const exit_reason& reason,
                         std::chrono::milliseconds timeout) {
  std::ostringstream w;
  w << "{GenServer,stop,[" << s << ',' << reason << ',';
  if (timeout == std::chrono::milliseconds::max())
    w << "infinity";
  else
    w << timeout.count();
  w << "]}";
  return exit_reason::wrap(std::move(r), w.str());
}

} // namespace

result<void> try_stop(const server_ref& s, exit_reason reason,
                      std::chrono::milliseconds timeout) {
  pid target = s.resolve();
  if (!target || !alive(target))
    return stop_failure(exit_reason::noproc(), s, reason, timeout);
  if (target == self())
    return stop_failure(exit_reason::calling_self(), s, reason, timeout);
  ref m = monitor(target);
  auto* e = new detail::typed_envelope<stop_request>(stop_request{reason});
  e->type = &stop_desc;
  detail::push(target.get(), e);
  std::optional<exit_reason> got =
      receive(guard([&](const down_message& d) { return d.monitor == m; },
                    [](down_message&& d) { return std::optional(d.reason); }),
              after(timeout, [] { return std::optional<exit_reason>(); }));
  if (!got) {
    demonitor(m, {.flush = true});
    return stop_failure(exit_reason::timeout(), s, reason, timeout);
  }
  if (*got == reason)
    return {};
  return stop_failure(*got, s, reason, timeout);
}

void stop(const server_ref& s, exit_reason reason,
          std::chrono::milliseconds timeout) {
  try_stop(s, std::move(reason), timeout).value();
}

namespace sys::detail {

statistics_info statistics_op::run(gen_server_core& c) const {
  statistics_info i;
  i.messages_in = c.counters.messages_in;
  i.messages_out = c.counters.messages_out;
  i.callbacks = c.counters.callbacks;
  i.uptime = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - c.started_at);
  return i;
}

status_info status_op::run(gen_server_core& c) const {
  status_info i;
  i.pid = self();
  i.name = c.name;
  i.parent = c.parent;
  i.status = c.suspended ? "suspended" : "running";
  i.state = c.format_status();
  i.server_type = otp::detail::demangle(c.server_type());
  return i;
}

} // namespace sys::detail
} // namespace otp
