#include "framework/start.hpp"

#include "framework/detail/deadline.hpp"
#include "framework/detail/mailbox_scan.hpp"
#include "framework/detail/process.hpp"
#include "framework/registry.hpp"
#include "framework/this_process.hpp"

#include <sstream>
#include <stdexcept>

namespace otp {

namespace {

/// The acknowledgement a starting process sends to its starter's alias.
struct start_ack {
  int status;
  exit_reason reason;
  pid holder;
};

constexpr int ack_ok = 0;
constexpr int ack_ignore = 1;
constexpr int ack_error = 2;

} // namespace

std::string start_result::to_string() const {
  switch (status_) {
  case status::ok:
    return "{ok," + pid_.to_string() + "}";
  case status::ignore:
    return "ignore";
  case status::error:
    break;
  }
  return "{error," + reason_.to_string() + "}";
}

void starter::send(int status, exit_reason r, otp::pid holder) {
  if (done_)
    throw std::logic_error("otp::starter: the start was already reported");
  done_ = true;
  if (status != ack_ok && !name_.empty() && whereis(name_) == self())
    unregister_name(name_);
  otp::send(reply_, start_ack{status, std::move(r), std::move(holder)});
}

void starter::ack() {
  send(ack_ok, {});
}

void starter::ignore() {
  send(ack_ignore, {});
  otp::exit(exit_reason::normal());
}

void starter::stop(exit_reason r) {
  send(ack_error, r);
  otp::exit(std::move(r));
}

void starter::fail(exit_reason r) {
  send(ack_error, std::move(r));
  otp::exit(exit_reason::normal());
}

namespace detail {

bool starter_begin(starter& s) {
  if (s.name().empty())
    return true;
  try {
    register_name(s.name(), self());
    return true;
  } catch (const std::invalid_argument&) {
    pid holder = whereis(s.name());
    if (!holder)
      throw; // not a clash: an invalid name, reported as the crash reason
    const std::string text = holder.to_string();
    s.name_.clear(); // not ours: never unregister it
    s.send(ack_error, exit_reason::already_started(text), std::move(holder));
    return false;
  }
}

namespace {

bool is_ack(const envelope* e, const alias_ref& a) {
  return e->tag == a.id.id() && e->type == &type_desc_of<start_ack>;
}

bool is_down(const envelope* e, const ref& m) {
  return e->type == &type_desc_of<down_message>
         && static_cast<const typed_envelope<down_message>*>(e)->value.monitor
                == m;
}

template <class T>
T take_value(envelope* e) {
  T v = std::move(static_cast<typed_envelope<T>*>(e)->value);
  destroy(e);
  return v;
}

} // namespace

start_result start_with(const start_options& opts, bool link,
                        unique_task (*make)(void*, alias_ref), void* ctx) {
  process* me = require_process(link ? "otp::start_link" : "otp::start");
  const std::uint32_t mk = mailbox_mark(me);
  const clock::duration wait = to_clock_duration(opts.timeout);
  alias_ref a = alias();
  ref mon;
  pid child;
  try {
    child = spawn_with(
        nullptr, opts.spawn, make(ctx, a),
        link ? "otp::start_link" : "otp::start",
        link ? spawn_link_mode::link_monitor : spawn_link_mode::monitor, &mon);
  } catch (...) {
    // Building the body or the process failed: leave no alias, monitor or
    // DOWN behind.
    unalias(a);
    if (mon)
      demonitor(mon, {.flush = true});
    throw;
  }
  const auto deadline = deadline_in(wait);
  {
    mailbox_scan scan(me, mk);
    for (;;) {
      envelope* e = scan.next();
      if (e == nullptr) {
        if (!scan.wait(deadline))
          break;
        continue;
      }
      if (is_ack(e, a)) {
        scan.take(e);
        start_ack ack = take_value<start_ack>(e);
        unalias(a);
        demonitor(mon, {.flush = true});
        if (ack.status == ack_ok)
          return start_result::ok(std::move(child));
        if (ack.status == ack_ignore)
          return start_result::ignore();
        return start_result::error(std::move(ack.reason),
                                   std::move(ack.holder));
      }
      if (is_down(e, mon)) {
        scan.take(e);
        down_message d = take_value<down_message>(e);
        unalias(a);
        return start_result::error(std::move(d.reason));
      }
    }
  }
  // Timed out: the half-started process is killed; unlinking first keeps
  // the kill from coming back to the caller.
  unalias(a);
  if (link)
    unlink(child);
  otp::exit(child, exit_reason::kill());
  mailbox_scan scan(me, mk);
  for (;;) {
    envelope* e = scan.next();
    if (e == nullptr) {
      scan.wait(clock::time_point::max());
      continue;
    }
    if (is_down(e, mon)) {
      scan.take(e);
      destroy(e);
      break;
    }
  }
  return start_result::error(exit_reason::timeout());
}

} // namespace detail
} // namespace otp
