#include "framework/call.hpp"

#include "framework/this_process.hpp"

#include <sstream>

namespace otp::detail {

bool call_begin(const server_ref& to, call_state& st, exit_reason& err) {
  process* me = require_process("otp::call");
  st.target = to.resolve();
  if (!st.target || !alive(st.target)) {
    err = exit_reason::noproc();
    return false;
  }
  if (st.target.get() == me) {
    err = exit_reason::calling_self();
    return false;
  }
  // The mark comes first: the reply and the DOWN can only arrive after it.
  st.mark = mailbox_mark(me);
  st.alias = alias();
  try {
    st.monitor = monitor(st.target);
  } catch (...) {
    unalias(st.alias);
    throw;
  }
  st.open = true;
  return true;
}

namespace {

bool is_our_down(const envelope* e, const ref& m) {
  return e->type == &type_desc_of<down_message>
         && static_cast<const typed_envelope<down_message>*>(e)->value.monitor
                == m;
}

bool is_our_reply(const envelope* e, const alias_ref& a) {
  return e->tag == a.id.id() && e->type != &type_desc_of<down_message>;
}

/// Look once (without waiting) for the reply among what already arrived.
envelope* poll_reply(process* me, call_state& st) {
  mailbox_scan scan(me, st.mark);
  while (envelope* e = scan.next()) {
    if (is_our_reply(e, st.alias)) {
      scan.take(e);
      return e;
    }
  }
  return nullptr;
}

/// After the reply was taken and the alias turned off: a second reply that
/// already arrived (a server that replied twice) must not stay behind as an
/// ordinary message. Later ones are dropped with the alias.
void drop_stale_replies(process* me, call_state& st) {
  mailbox_scan scan(me, st.mark);
  while (envelope* e = scan.next()) {
    if (is_our_reply(e, st.alias)) {
      scan.take(e);
      destroy(e);
    }
  }
}

} // namespace

envelope* call_wait_until(call_state& st, clock::time_point deadline,
                          exit_reason& err) {
  process* me = require_process("otp::call");
  {
    mailbox_scan scan(me, st.mark);
    for (;;) {
      envelope* e = scan.next();
      if (e == nullptr) {
        if (!scan.wait(deadline))
          break;
        continue;
      }
      if (is_our_reply(e, st.alias)) {
        scan.take(e);
        st.open = false;
        unalias(st.alias);
        demonitor(st.monitor, {.flush = true});
        drop_stale_replies(me, st);
        return e;
      }
      if (is_our_down(e, st.monitor)) {
        scan.take(e);
        st.open = false;
        err = static_cast<typed_envelope<down_message>*>(e)->value.reason;
        destroy(e);
        unalias(st.alias);
        return nullptr;
      }
    }
  }
  // Timed out. Once the alias is off no reply can be queued any more; one
  // that arrived just before is still taken (OTP's final `after 0`).
  st.open = false;
  unalias(st.alias);
  demonitor(st.monitor, {.flush = true});
  if (envelope* e = poll_reply(me, st))
    return e;
  err = exit_reason::timeout();
  return nullptr;
}

envelope* call_wait(call_state& st, std::chrono::milliseconds timeout,
                    exit_reason& err) {
  return call_wait_until(st, deadline_after(timeout, "otp::call: timeout"),
                         err);
}

void call_abandon(call_state& st) {
  if (!st.open)
    return;
  st.open = false;
  process* me = require_process("otp::call");
  unalias(st.alias);
  demonitor(st.monitor, {.flush = true});
  if (envelope* e = poll_reply(me, st))
    destroy(e);
}

call_guard::~call_guard() {
  if (st_ == nullptr || !st_->open)
    return;
  // Runs while an exception propagates: a second one must not escape.
  try {
    call_abandon(*st_);
  } catch (...) {
  }
}

exit_reason call_failure(exit_reason reason, const call_site& site,
                         const server_ref& to, const std::type_info& req,
                         std::chrono::milliseconds timeout) {
  std::ostringstream w;
  w << '{' << site.module << ',' << site.function << ",[" << to << ','
    << demangle(req) << ',' << timeout_to_string(timeout) << "]}";
  return exit_reason::wrap(std::move(reason), w.str());
}

exit_reason bad_reply_type(const std::type_info& expected,
                           const envelope* got) {
  return exit_reason::user("{bad_reply_type,{expected," + demangle(expected)
                           + "},{got," + demangle(*got->type->info) + "}}");
}

} // namespace otp::detail
