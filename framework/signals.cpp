#include "framework/signals.hpp"

#include "framework/detail/mailbox_scan.hpp"
#include "framework/detail/runtime_impl.hpp"
#include "framework/registry.hpp"

#include <ostream>
#include <stdexcept>

namespace otp {

using detail::process;

std::ostream& operator<<(std::ostream& os, const exit_message& m) {
  return os << "{'EXIT'," << m.from << "," << m.reason << "}";
}

std::ostream& operator<<(std::ostream& os, const down_message& m) {
  os << "{'DOWN'," << m.monitor << ",process,";
  if (m.who)
    os << m.who;
  else
    os << m.name;
  return os << "," << m.reason << "}";
}

namespace {
pid self_of(process* p) {
  detail::retain(p);
  return pid::adopt(p, p->serial);
}

void deliver_to_self(process* p, detail::envelope* e) {
  // Through the inbox, so it queues behind everything already sent to us.
  detail::push(p, e);
}
} // namespace

void link(const pid& p) {
  process* me = detail::require_process("otp::link");
  if (!p)
    throw std::invalid_argument("otp::link: the null pid names no process");
  if (p.get() == me)
    return;
  if (!alive(p)) {
    if (!me->trap_exit)
      throw exit_error(exit_reason::noproc());
    deliver_to_self(me, detail::make_envelope<exit_message>(
                            exit_message{p, exit_reason::noproc()}));
    return;
  }
  if (!me->extras().links.insert(p).second)
    return;
  detail::push(p.get(), detail::make_signal(detail::kind_link, self_of(me)));
}

void unlink(const pid& p) {
  process* me = detail::require_process("otp::unlink");
  if (!p || p.get() == me)
    return;
  if (me->extras_ == nullptr || me->extras_->links.erase(p) == 0)
    return;
  detail::push(p.get(), detail::make_signal(detail::kind_unlink, self_of(me)));
}

ref monitor(const pid& p) {
  process* me = detail::require_process("otp::monitor");
  const ref r = make_ref();
  if (!alive(p)) {
    deliver_to_self(me, detail::make_envelope<down_message>(
                            down_message{r, p, {}, exit_reason::noproc()}));
    return r;
  }
  me->extras().monitors.emplace(r, p);
  detail::signal_envelope* s =
      detail::make_signal(detail::kind_monitor, self_of(me));
  s->ref = r.id();
  detail::push(p.get(), s);
  return r;
}

ref monitor(const std::string& name) {
  process* me = detail::require_process("otp::monitor");
  const pid p = whereis(name);
  if (p) {
    // Its DOWN names the process by name too, as Erlang's {Name, Node}.
    const ref r = monitor(p);
    if (me->extras().monitors.count(r) != 0)
      me->extras().monitor_names.emplace(r, name);
    return r;
  }
  const ref r = make_ref();
  deliver_to_self(me, detail::make_envelope<down_message>(
                          down_message{r, {}, name, exit_reason::noproc()}));
  return r;
}

bool demonitor(const ref& r, demonitor_options opts) {
  process* me = detail::require_process("otp::demonitor");
  // Handle what has arrived, so a DOWN already here counts as delivered.
  detail::drain(me);
  bool active = false;
  if (me->extras_ != nullptr) {
    me->extras_->monitor_names.erase(r);
    auto it = me->extras_->monitors.find(r);
    if (it != me->extras_->monitors.end()) {
      active = true;
      detail::signal_envelope* s =
          detail::make_signal(detail::kind_demonitor, self_of(me));
      s->ref = r.id();
      detail::push(it->second.get(), s);
      me->extras_->monitors.erase(it);
    }
  }
  // Still active after the drain: its DOWN was not delivered, so there is
  // nothing to flush (and no need to scan a long mailbox: a call's cost
  // must not grow with its caller's queue).
  if (opts.flush && !active) {
    detail::mailbox_scan scan(me);
    while (detail::envelope* e = scan.next()) {
      if (e->type == &detail::type_desc_of<down_message> &&
          static_cast<detail::typed_envelope<down_message>*>(e)
                  ->value.monitor == r) {
        scan.take(e);
        detail::destroy(e);
        break;
      }
    }
  }
  return active;
}

void exit(const pid& p, exit_reason reason) {
  process* me = detail::require_process("otp::exit");
  if (!p)
    return;
  // Allocated here, where running out of memory can still be an exception
  // in the caller (like send's), not in the noexcept signal path.
  detail::signal_envelope* s =
      detail::make_signal(detail::kind_exit_signal, self_of(me));
  const bool kill = reason.what_kind() == exit_reason::kind::kill;
  s->reason = std::move(reason);
  s->flavour = detail::exit_flavour::exit_call;
  detail::push(p.get(), s);
  // A kill cannot be trapped: the target is no longer alive for anyone who
  // asks after this (Erlang orders is_process_alive after the caller's
  // signals), and a monitor taken now gives noproc.
  if (kill)
    detail::mark_exiting(p.get()->state);
  if (p.get() == me)
    detail::check_signals(me); // takes effect at once on the caller
}

void exit(exit_reason reason) {
  detail::require_process("otp::exit");
  throw exit_error(std::move(reason));
}

bool trap_exit(bool on) {
  process* me = detail::require_process("otp::trap_exit");
  // Exit signals that arrived while trapping become messages first, as in
  // Erlang (where they were handled in order as they arrived).
  if (me->trap_exit && !on)
    detail::drain(me);
  return std::exchange(me->trap_exit, on);
}

bool trapping_exits() {
  return detail::require_process("otp::trapping_exits")->trap_exit;
}

alias_ref alias() {
  process* me = detail::require_process("otp::alias");
  const ref r = make_ref();
  detail::process_extras& x = me->extras();
  // Most processes have at most one alias at a time (the one of a call in
  // progress): it lives in a slot, without a hash table.
  if (x.alias_slot == 0)
    x.alias_slot = r.id();
  else
    x.aliases.insert(r.id());
  return {self_of(me), r};
}

bool unalias(const alias_ref& a) {
  process* me = detail::require_process("otp::unalias");
  // Messages that arrived while the alias was active are kept.
  detail::drain(me);
  if (a.pid.get() != me || me->extras_ == nullptr)
    return false;
  detail::process_extras& x = *me->extras_;
  if (x.alias_slot == a.id.id() && a.id.id() != 0) {
    x.alias_slot = 0;
    return true;
  }
  return x.aliases.erase(a.id.id()) != 0;
}

namespace detail {

void send_alias(const alias_ref& a, envelope* e) noexcept {
  if (!a.pid) {
    destroy(e);
    return;
  }
  e->kind = kind_alias_message;
  e->tag = a.id.id();
  push(a.pid.get(), e);
}

pid spawn_linked(runtime_impl* rt, unique_task body, bool link, ref* mon) {
  return spawn_with(rt, spawn_options{}, std::move(body),
                    link ? "otp::spawn_link" : "otp::spawn_monitor",
                    link ? spawn_link_mode::link : spawn_link_mode::monitor,
                    mon);
}

} // namespace detail
} // namespace otp
