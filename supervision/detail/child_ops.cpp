#include "supervision/detail/child_ops.hpp"

#include "framework/detail/deadline.hpp"
#include "framework/log.hpp"
#include "framework/receive.hpp"
#include "framework/signals.hpp"
#include "framework/spawn.hpp"
#include "framework/this_process.hpp"

namespace otp::detail::sup {

namespace {

std::string describe(const child_spec& spec) {
  // Plain concatenation: an ostringstream (its locale) cost a tenth of a
  // restart (bench supervisor_restart), and every restart writes two reports.
  std::string s = "type=";
  s += to_string(spec.type);
  s += " restart=";
  s += to_string(spec.restart);
  s += " shutdown=";
  s += spec.shutdown_or_default().to_string();
  if (spec.significant)
    s += " significant=true";
  return s;
}

std::string child_name(const child_spec& spec, const otp::pid& child) {
  return (spec.id.empty() ? std::string("undefined") : spec.id) + " ("
         + child.to_string() + ")";
}

std::chrono::milliseconds left_until(clock::time_point deadline) {
  return otp::detail::time_left_ms(deadline);
}

/// The EXIT of `p` if it is already queued (or arrives within `wait`).
std::optional<exit_reason> take_exit(const otp::pid& p,
                                     std::chrono::milliseconds wait) {
  return otp::receive(
      otp::guard([&](const exit_message& m) { return m.from == p; },
                 [](exit_message&& m) {
                   return std::optional<exit_reason>(std::move(m.reason));
                 }),
      otp::after(wait, [] { return std::optional<exit_reason>(); }));
}

} // namespace

exit_reason settle_down(const otp::pid& p, exit_reason down) {
  // The child unlinked itself, or it died before the monitor was set
  // (noproc): then its EXIT is on its way (a dead process is marked dead
  // before it signals its links). Unlinking first would drop that EXIT, so
  // look first; a self-unlinked child that died that early costs one wait.
  const bool noproc = down.what_kind() == exit_reason::kind::noproc;
  std::optional<exit_reason> real =
      take_exit(p, std::chrono::milliseconds(noproc ? 1000 : 0));
  otp::unlink(p);
  return real ? std::move(*real) : std::move(down);
}

void reporter::progress(const child_spec& spec, const otp::pid& child) const {
  // Built only when it will be kept (info is below the default level).
  if (!otp::log_enabled(log_level::info))
    return;
  otp::log(log_level::info, self,
           "Supervisor " + name + " started child " + child_name(spec, child)
               + ": " + describe(spec));
}

void reporter::error(const char* context, const exit_reason& reason,
                     const child_spec& spec, const otp::pid& child) const {
  // Once the runtime is shutting down, children end (shutdown, killed) and
  // starts fail because of it: nothing of that is an error.
  if (otp::system_stopping())
    return;
  otp::log(log_level::error, self,
           "Supervisor " + name + ": " + context + "\n** child "
               + child_name(spec, child) + " reason: " + reason.to_string()
               + "\n** " + describe(spec));
}

void reporter::unexpected(const any_message& m) const {
  otp::log(log_level::error, self,
           "Supervisor " + name
               + " received unexpected message: " + m.to_string());
}

start_result invoke_start(const child_spec& spec,
                          const extra_arguments& extra) {
  // Whatever a start throws (`throw 42;` too) is that child's start error,
  // never the supervisor's crash. Only the runtime's own unwinding (a kill
  // of the supervisor) goes on.
  try {
    return spec.start(extra);
  } catch (...) {
    exit_reason why;
    if (!otp::detail::current_exception_reason(why))
      throw;
    return start_result::error(std::move(why));
  }
}

std::optional<exit_reason> await_exit(const otp::pid& p, const ref& mon,
                                      clock::time_point deadline) {
  return otp::receive(
      otp::guard([&](const exit_message& m) { return m.from == p; },
                 [&](exit_message&& m) {
                   otp::demonitor(mon, {.flush = true});
                   return std::optional<exit_reason>(std::move(m.reason));
                 }),
      otp::guard([&](const down_message& d) { return d.monitor == mon; },
                 [&](down_message&& d) {
                   return std::optional<exit_reason>(
                       settle_down(p, std::move(d.reason)));
                 }),
      otp::after(left_until(deadline),
                 [] { return std::optional<exit_reason>(); }));
}

void forget_child(const otp::pid& p, const ref& mon) {
  otp::demonitor(mon, {.flush = true});
  otp::unlink(p);
}

bool expected_shutdown(const exit_reason& r, const child_spec& spec,
                       bool brutal) {
  const bool permanent = spec.restart == restart_type::permanent;
  if (brutal && r.what_kind() == exit_reason::kind::killed)
    return true;
  if (r.what_kind() == exit_reason::kind::shutdown && !r.has_detail())
    return !brutal || !permanent;
  if (r.what_kind() == exit_reason::kind::shutdown || r.is_normal())
    return !permanent;
  return false;
}

std::optional<exit_reason> shutdown_child(const otp::pid& p, const ref& mon,
                                          const child_spec& spec) {
  const child_shutdown how = spec.shutdown_or_default();
  if (how.what() == child_shutdown::kind::brutal_kill) {
    otp::exit(p, exit_reason::kill());
    exit_reason r = *await_exit(p, mon, clock::time_point::max());
    return expected_shutdown(r, spec, true) ? std::nullopt
                                            : std::optional<exit_reason>(r);
  }
  otp::exit(p, exit_reason::shutdown());
  const auto deadline = how.what() == child_shutdown::kind::infinity
                            ? clock::time_point::max()
                            : otp::detail::deadline_after(how.time());
  std::optional<exit_reason> r = await_exit(p, mon, deadline);
  if (!r) {
    otp::exit(p, exit_reason::kill());
    r = await_exit(p, mon, clock::time_point::max());
  }
  return expected_shutdown(*r, spec, false) ? std::nullopt : r;
}

std::string display_name(const std::string& registered, const otp::pid& p) {
  return registered.empty() ? p.to_string()
                            : registered + " (" + p.to_string() + ")";
}

} // namespace otp::detail::sup
