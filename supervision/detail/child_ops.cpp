#include "supervision/detail/child_ops.hpp"

#include "framework/log.hpp"
#include "framework/receive.hpp"
#include "framework/signals.hpp"

#include <typeinfo>

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
  if (deadline == clock::time_point::max())
    return otp::infinity;
  const auto now = clock::now();
  if (deadline <= now)
    return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
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
  otp::log(log_level::info, self,
           "[info] Supervisor " + name + " started child "
               + child_name(spec, child) + ": " + describe(spec));
}

void reporter::error(const char* context, const exit_reason& reason,
                     const child_spec& spec, const otp::pid& child) const {
  otp::log(log_level::error, self,
           "[error] Supervisor " + name + ": " + context + "\n** child "
               + child_name(spec, child) + " reason: " + reason.to_string()
               + "\n** " + describe(spec));
}

void reporter::unexpected(const any_message& m) const {
  otp::log(log_level::error, self,
           "[error] Supervisor " + name
               + " received unexpected message: " + m.to_string());
}

start_result invoke_start(const child_spec& spec,
                          const extra_arguments& extra) {
  // Only ordinary exceptions are caught: the runtime's own unwinding (a
  // kill of the supervisor) derives from neither and must go on.
  try {
    return spec.start(extra);
  } catch (const exit_error& e) {
    return start_result::error(e.reason());
  } catch (const std::exception& e) {
    return start_result::error(
        exit_reason::exception(demangle(typeid(e)), e.what()));
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
                            : clock::now() + how.time();
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
