// The mailbox protocol. See detail/process.hpp for the contract; the races it
// must get right:
// - send vs park: the owner publishes waiting(e) with a CAS from 0; a sender
//   that replaces waiting(e) owns the wake-up. Exactly one of them sees the
//   other, so no wake-up is lost and none is doubled.
// - send vs timer: both wake through Boost.Fiber's epoch CAS on the context,
//   so only one of them resumes the process.
// - send vs exit: the owner exchanges the inbox for `closed`; a sender that
//   sees `closed` destroys its message (sending to a dead pid is silent).
// - send vs hibernate: the owner publishes `hibernating` with a CAS from 0;
//   the sender that replaces it starts the process's next fiber.
#include "framework/detail/mailbox_scan.hpp"
#include "framework/detail/park.hpp"
#include "framework/detail/process.hpp"
#include "framework/detail/runtime_impl.hpp"
#include "framework/signals.hpp"

#include <boost/fiber/context.hpp>

namespace otp::detail {

void apply_link_signal(process* p, signal_envelope* s) {
  switch (s->kind) {
  case kind_link:
    if (s->from && s->from.get() != p)
      p->extras().links.insert(s->from);
    break;
  case kind_unlink:
    if (p->extras_)
      p->extras_->links.erase(s->from);
    break;
  case kind_monitor:
    p->extras().monitored_by.emplace(ref(s->ref), s->from);
    break;
  case kind_demonitor:
    if (p->extras_)
      p->extras_->monitored_by.erase(ref(s->ref));
    break;
  default:
    break;
  }
}

envelope* arrival_order(envelope* newest_first) noexcept {
  envelope* rev = nullptr;
  while (newest_first != nullptr) {
    envelope* next = newest_first->next;
    newest_first->next = rev;
    rev = newest_first;
    newest_first = next;
  }
  return rev;
}

namespace {

void append(process* p, envelope* e) noexcept {
  e->next = nullptr;
  if (p->save_tail != nullptr)
    p->save_tail->next = e;
  else
    p->save_head = e;
  p->save_tail = e;
  ++p->save_len;
}

template <class T>
void deliver(process* p, T&& value) {
  append(p, make_envelope<std::decay_t<T>>(std::forward<T>(value)));
}

/// `hard`: the exit may not wait for destructors that suspend (a kill).
void die(process* p, const exit_reason& r, bool hard = false) {
  if (!p->exiting) {
    p->extras().pending_reason = r;
    p->exiting = true;
  } else if (hard) {
    // A kill ends an exit that was still unwinding (a destructor waited):
    // the process did not go when asked, it was killed (as a supervisor
    // that has to kill a child after its shutdown timeout reports it).
    p->extras().pending_reason = exit_reason::killed();
  }
  if (hard) {
    p->exit_hard = true;
    // Killed: dead for everyone from now on (exit(pid, kill) marks it so
    // already, as it sends the kill).
    mark_exiting(p->state);
  }
}

void handle_exit(process* p, signal_envelope* s) {
  using k = exit_reason::kind;
  const k what = s->reason.what_kind();
  switch (s->flavour) {
  case exit_flavour::runtime:
    // The runtime's shutdown (untrappable); its kill, if that did not do.
    if (what == k::kill)
      die(p, exit_reason::killed(), true);
    else
      die(p, s->reason);
    return;
  case exit_flavour::exit_call:
    if (what == k::kill) {
      die(p, exit_reason::killed(), true);
    } else if (p->trap_exit) {
      deliver(p, exit_message{std::move(s->from), std::move(s->reason)});
    } else if (what != k::normal || s->from.get() == p) {
      die(p, s->reason);
    }
    return;
  case exit_flavour::link:
    // The link may have been removed since the signal was sent: then it has
    // no effect (Erlang's unlink guarantee).
    if (!p->extras_ || p->extras_->links.erase(s->from) == 0)
      return;
    if (p->trap_exit)
      deliver(p, exit_message{std::move(s->from), std::move(s->reason)});
    else if (what != k::normal)
      die(p, s->reason);
    return;
  }
}

void handle_signal(process* p, signal_envelope* s) {
  switch (s->kind) {
  case kind_exit_signal:
    handle_exit(p, s);
    break;
  case kind_link:
  case kind_unlink:
  case kind_monitor:
  case kind_demonitor:
    apply_link_signal(p, s);
    break;
  case kind_down:
    // Delivered only while the monitor is active: after demonitor, no DOWN.
    if (p->extras_ && p->extras_->monitors.erase(ref(s->ref)) != 0) {
      std::string name;
      auto& names = p->extras_->monitor_names;
      if (!names.empty()) {
        auto it = names.find(ref(s->ref));
        if (it != names.end()) {
          name = std::move(it->second);
          names.erase(it);
        }
      }
      deliver(p, down_message{ref(s->ref), std::move(s->from), std::move(name),
                              std::move(s->reason)});
    }
    break;
  case kind_info_request:
    answer_info(p, s);
    break;
  default:
    break;
  }
  dispose(s);
}

/// A signal reached a process that has ended: answer as Erlang does.
void bounce(process* dead, envelope* e) noexcept {
  auto* s = static_cast<signal_envelope*>(e);
  if (e->kind == kind_link && s->from) {
    retain(dead);
    send_exit(s->from.get(), pid::adopt(dead, dead->serial),
              exit_reason::noproc(), exit_flavour::link);
  } else if (e->kind == kind_monitor && s->from) {
    retain(dead);
    signal_envelope* down =
        make_signal_nofail(kind_down, pid::adopt(dead, dead->serial));
    down->ref = s->ref;
    down->reason = exit_reason::noproc();
    push(s->from.get(), down);
  } else if (e->kind == kind_info_request) {
    fail_info(s);
  }
  dispose(e);
}

/// A sender won a `hibernating` inbox: the process is ours to revive.
void revive(process* p) noexcept {
  p->revived = true;
  p->rt->revive(p);
}

} // namespace

void push(process* p, envelope* e) noexcept {
  const bool signal = is_signal_kind(e->kind);
  if (signal)
    p->signal_hint.store(true, std::memory_order_release);
  std::uintptr_t w = p->inbox.load(std::memory_order_acquire);
  for (;;) {
    if (w == inbox_closed) {
      if (signal)
        bounce(p, e);
      else
        destroy(e);
      return;
    }
    if (e->kind == kind_info_request) {
      static_cast<signal_envelope*>(e)->target_status =
          is_waiting_word(w)       ? info_waiting
          : w == inbox_hibernating ? info_hibernating
                                   : info_runnable;
    }
    if (is_waiting_word(w)) {
      e->next = nullptr;
      // Announce ourselves before the CAS: an owner resumed by its timer
      // waits for in-flight wakers before its context may go away.
      p->wakers.fetch_add(1, std::memory_order_seq_cst);
      if (p->inbox.compare_exchange_weak(w, reinterpret_cast<std::uintptr_t>(e),
                                         std::memory_order_acq_rel,
                                         std::memory_order_acquire)) {
        wake_parked(p, waiting_epoch(w));
        p->wakers.fetch_sub(1, std::memory_order_release);
        return;
      }
      p->wakers.fetch_sub(1, std::memory_order_relaxed);
      continue;
    }
    if (w == inbox_hibernating) {
      e->next = nullptr;
      if (p->inbox.compare_exchange_weak(w, reinterpret_cast<std::uintptr_t>(e),
                                         std::memory_order_acq_rel,
                                         std::memory_order_acquire)) {
        revive(p);
        return;
      }
      continue;
    }
    e->next = envelope_of(w);
    if (p->inbox.compare_exchange_weak(w, reinterpret_cast<std::uintptr_t>(e),
                                       std::memory_order_release,
                                       std::memory_order_acquire))
      return;
  }
}

bool drain(process* p) {
  const bool appended = drain_inbox(p);
  exit_point(p);
  return appended;
}

bool drain_inbox(process* p) {
  if (p->zombie) // its mailbox is closed and stays closed
    return false;
  const std::uintptr_t w = p->inbox.exchange(0, std::memory_order_acquire);
  bool appended = false;
  if (is_envelope_word(w)) {
    // The inbox is newest first.
    for (envelope* e = arrival_order(envelope_of(w)); e != nullptr;) {
      envelope* next = e->next;
      const bool is_mark = e == p->pending_mark;
      if (e->kind == kind_message) {
        append(p, e);
        appended = true;
      } else if (e->kind == kind_alias_message) {
        if (p->extras_
            && ((e->tag != 0 && p->extras_->alias_slot == e->tag)
                || p->extras_->aliases.count(e->tag) != 0)) {
          e->kind = kind_message;
          append(p, e);
          appended = true;
        } else {
          destroy(e);
        }
      } else {
        const std::uint32_t before = p->save_len;
        handle_signal(p, static_cast<signal_envelope*>(e));
        appended = appended || p->save_len != before;
      }
      if (is_mark) {
        p->mark = p->save_tail;
        p->pending_mark = nullptr;
      }
      e = next;
    }
  }
  return appended;
}

// -- mailbox_scan -------------------------------------------------------------

mailbox_scan::mailbox_scan(process* p, std::uint32_t mark_id) : p_(p) {
  if (mark_id != 0 && mark_id == p->mark_id) {
    drain(p);
    if (p->pending_mark == nullptr) {
      prev_ = p->mark;
      started_ = true;
    }
  }
}

envelope* mailbox_scan::next() {
  if (cur_ != nullptr) {
    prev_ = cur_;
    cur_ = nullptr;
  }
  envelope* n = prev_ != nullptr ? prev_->next : p_->save_head;
  if (n == nullptr && drain(p_))
    n = prev_ != nullptr ? prev_->next : p_->save_head;
  cur_ = n;
  return n;
}

void mailbox_scan::take(envelope* e) noexcept {
  if (prev_ != nullptr)
    prev_->next = e->next;
  else
    p_->save_head = e->next;
  if (p_->save_tail == e)
    p_->save_tail = prev_;
  if (p_->mark == e)
    p_->mark = prev_;
  --p_->save_len;
  e->next = nullptr;
  cur_ = nullptr;
}

bool mailbox_scan::wait(clock::time_point deadline) {
  process* p = p_;
  bool suspended = false;
  for (;;) {
    if (p->inbox.load(std::memory_order_acquire) != 0)
      return true;
    if (deadline != clock::time_point::max() && clock::now() >= deadline) {
      // `after(0)` and `sleep(0)` are suspension points too: a loop that
      // polls must let the other processes (and shutdown) in.
      if (!suspended)
        yield_now();
      return p->inbox.load(std::memory_order_acquire) != 0;
    }
    suspended = true;
    parker pk(p);
    const std::uintptr_t word = waiting_word(pk.epoch());
    std::uintptr_t expected = 0;
    if (!p->inbox.compare_exchange_strong(expected, word,
                                          std::memory_order_acq_rel,
                                          std::memory_order_acquire))
      return true;
    // Only the sender that replaces waiting(e), or the timer, resumes us.
    if (pk.park(deadline))
      return true;
    expected = word;
    if (p->inbox.compare_exchange_strong(expected, 0, std::memory_order_acq_rel,
                                         std::memory_order_acquire))
      continue; // the timer fired and nobody sent: check the deadline
    // A sender replaced waiting(e) but lost the epoch to the timer; its
    // message is in the inbox (park() waited for it to finish).
    return true;
  }
}

std::uint32_t mailbox_mark(process* p) noexcept {
  const std::uintptr_t w = p->inbox.load(std::memory_order_acquire);
  if (is_envelope_word(w)) {
    p->pending_mark = envelope_of(w);
  } else {
    p->pending_mark = nullptr;
    p->mark = p->save_tail;
  }
  if (++p->mark_id == 0)
    p->mark_id = 1;
  return p->mark_id;
}

envelope* mailbox_take_all(process* p) {
  drain(p);
  envelope* all = p->save_head;
  p->save_head = p->save_tail = p->mark = nullptr;
  p->save_len = 0;
  return all;
}

} // namespace otp::detail
