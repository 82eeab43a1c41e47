#include "behaviours/gen_server_core.hpp"

#include "framework/detail/mailbox_scan.hpp"
#include "framework/log.hpp"
#include "framework/signals.hpp"
#include "framework/spawn.hpp"
#include "framework/this_process.hpp"

#include <sstream>

namespace otp::detail {

gen_server_core::~gen_server_core() = default;

namespace {

const gen_ops* ops_of(const envelope* e) noexcept {
  return static_cast<const gen_ops*>(e->type->ext);
}

} // namespace

bool gen_server_core::from_parent(const envelope* e) const noexcept {
  // OTP's sys:suspend_loop takes the parent's EXIT too: a suspended server
  // still ends with its parent.
  return parent && e->type == &type_desc_of<exit_message>
         && static_cast<const typed_envelope<exit_message>*>(e)->value.from
                == parent;
}

std::string gen_server_core::system_type() const {
  return demangle(server_type());
}

system_state gen_server_core::system_get_state() {
  return {server(), &server_type(), true};
}

void gen_server_core::run(std::unique_ptr<gen_server_core> self) {
  gen_server_core& c = *self;
  for (;;) {
    if (c.continue_) {
      // handle_continue runs before any message, even one already queued.
      gen_step st = c.run_continue();
      if (st.stop)
        c.finish(st, nullptr);
      c.apply(st.action);
      continue;
    }
    envelope* e = c.next_message();
    if (e == nullptr) {
      // Idle: wait for the next message without a stack. The continuation
      // owns the server from here on.
      hibernate_on_return(
          [s = std::move(self)]() mutable { run(std::move(s)); });
      return;
    }
    c.dispatch(e);
  }
}

envelope* gen_server_core::next_message() {
  process* p = require_process("otp::gen_server");
  bool yielded = false;
  // Fixed once per idle period: a wake-up that brings no message (a signal,
  // a process_info request) must not restart it.
  clock::time_point idle_until = clock::time_point::min();
  for (;;) {
    mailbox_scan scan(p);
    while (envelope* e = scan.next()) {
      const bool system = is_system_message(e);
      if (suspended && !system && !from_parent(e))
        continue; // only system messages while suspended (sys:suspend)
      scan.take(e);
      if (!system) {
        // A system message leaves the idle timeout armed (and a pending
        // hibernate pending): it is not the server's business.
        timeout_armed_ = false;
        hibernate_now_ = false;
      }
      return e;
    }
    if (timeout_armed_) {
      if (!scan.wait(deadline_)) {
        timeout_armed_ = false;
        return make_envelope<server_timeout>();
      }
      continue;
    }
    if (suspended) {
      // Queued messages wait for resume; keep the stack meanwhile.
      scan.wait(clock::time_point::max());
      continue;
    }
    if (std::exchange(hibernate_now_, false))
      return nullptr;
    if (hibernate_after.count() > 0) {
      if (idle_until == clock::time_point::min())
        idle_until = deadline_after(hibernate_after);
      if (!scan.wait(idle_until))
        return nullptr;
      continue;
    }
    if (yielded)
      return nullptr;
    // A client that is about to call again usually runs on this thread:
    // giving it one turn saves a hibernate/revive pair per call.
    yielded = true;
    otp::yield();
  }
}

void gen_server_core::apply(server_action& a) {
  switch (a.what()) {
  case server_action::kind::none:
    break;
  case server_action::kind::timeout:
    // Saturated: `timeout(infinity)` never fires, so it arms nothing (as
    // `{noreply, S, infinity}` is `{noreply, S}`) and the server may still
    // hibernate while idle.
    deadline_ = deadline_after(a.timeout_value());
    timeout_armed_ = !is_never(deadline_);
    break;
  case server_action::kind::hibernate:
    hibernate_now_ = true;
    break;
  case server_action::kind::continue_:
    continue_ = a.take_continuation();
    break;
  }
}

gen_step gen_server_core::step_of(cast_result& r) {
  gen_step st;
  switch (r.what()) {
  case result_kind::noreply:
    st.action = std::move(r.action());
    break;
  case result_kind::stop:
    st.stop = true;
    st.reason = r.reason();
    break;
  default:
    st.stop = true;
    st.reason = exit_reason::bad_return_value("cast_result{}");
    break;
  }
  return st;
}

gen_step gen_server_core::run_continue() {
  auto cont = std::move(continue_);
  try {
    ++counters.callbacks;
    cast_result r = cont->run(server());
    return step_of(r);
  } catch (...) {
    gen_step st;
    if (!current_exception_reason(st.reason))
      throw;
    st.stop = true;
    return st;
  }
}

void gen_server_core::dispatch(envelope* e) {
  any_message msg(e); // owns e until the end of this message
  gen_step st;
  const bool system = is_system_message(e);
  if (!system) {
    // sys:statistics counts the server's own messages only.
    ++counters.messages_in;
    ++counters.callbacks;
  }
  try {
    if (system) {
      auto& m = static_cast<typed_envelope<system_message>*>(e)->value;
      if (std::optional<exit_reason> why = handle_system_message(*this, m)) {
        st.stop = true;
        st.reason = std::move(*why);
      }
    } else if (const gen_ops* o = ops_of(e)) {
      if (o->server != nullptr && *o->server != server_type()) {
        log(log_level::error, self(),
            "GenServer " + self().to_string() + " (" + demangle(server_type())
                + ") received a message typed for " + demangle(*o->server)
                + ": " + msg.to_string() + " (dropped)");
        return;
      }
      st = o->invoke(*this, e);
    } else if (msg.is<exit_message>() && parent
               && msg.get<exit_message>().from == parent) {
      // A trapping server whose parent ends stops with the parent's reason.
      st.stop = true;
      st.reason = msg.get<exit_message>().reason;
    } else {
      cast_result r = handle_info(msg);
      st = step_of(r);
    }
  } catch (...) {
    if (!current_exception_reason(st.reason))
      throw;
    st.stop = true;
  }
  if (st.stop)
    finish(st, e);
  apply(st.action);
}

exit_reason gen_server_core::terminate_now(exit_reason reason) noexcept {
  try {
    call_terminate(reason);
  } catch (...) {
    exit_reason r;
    if (current_exception_reason(r))
      return r;
    // A kill arrived during terminate: the runtime unwinds again at the
    // next suspension point with the pending reason.
  }
  return reason;
}

void gen_server_core::finish(gen_step& st, const envelope* last) {
  exit_reason reason = st.terminated ? st.reason : terminate_now(st.reason);
  if (!reason.is_silent())
    report(reason, last);
  otp::exit(std::move(reason));
}

void init_failed(starter& st, const std::type_info& server, exit_reason why) {
  if (!why.is_silent()) {
    std::ostringstream os;
    os << "GenServer " << self();
    if (!st.name().empty())
      os << " (" << st.name() << ")";
    os << " failed to start\n** (" << demangle(server) << ") "
       << why.to_string();
    log(log_level::error, self(), os.str());
  }
  st.stop(std::move(why));
}

void gen_server_core::report(const exit_reason& reason, const envelope* last) {
  std::ostringstream os;
  os << "GenServer " << self();
  if (!name.empty())
    os << " (" << name << ")";
  os << " terminating\n** (" << demangle(server_type()) << ") "
     << reason.to_string();
  if (!reason.root().stack_trace().empty())
    os << "\n" << reason.root().stack_trace_text();
  if (last != nullptr) {
    os << "\nLast message";
    const gen_ops* o = ops_of(last);
    const from* client =
        o != nullptr && o->caller != nullptr ? o->caller(last) : nullptr;
    if (client != nullptr)
      os << " (from " << client->caller() << ")";
    os << ": ";
    last->type->print(os, last);
    os << "\nState: " << format_status();
    if (client != nullptr)
      os << "\nClient " << client->caller() << " is "
         << (alive(client->caller()) ? "alive" : "dead");
  } else {
    os << "\nState: " << format_status();
  }
  log(log_level::error, self(), os.str());
}

} // namespace otp::detail
