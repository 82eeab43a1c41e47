// The process entry: the one place where an exception becomes an exit reason.
#include "framework/spawn.hpp"

#include "framework/detail/mailbox_scan.hpp"
#include "framework/detail/runtime_impl.hpp"
#include "framework/log.hpp"
#include "framework/signals.hpp"

#include <boost/fiber/context.hpp>
#include <cxxabi.h>

#include <exception>
#include <typeinfo>

namespace otp::detail {

namespace {

/// `throw 42;` and the like: Erlang's `{nocatch, Value}`. Simple values are
/// shown; anything else is named by its type only.
std::string nocatch_text() {
  try {
    throw;
  } catch (int v) {
    return "nocatch: " + std::to_string(v);
  } catch (long v) {
    return "nocatch: " + std::to_string(v);
  } catch (const char* v) {
    return std::string("nocatch: ") + (v != nullptr ? v : "(null)");
  } catch (const std::string& v) {
    return "nocatch: " + v;
  } catch (...) {
    return "nocatch";
  }
}

std::string current_exception_type() {
  const std::type_info* t = abi::__cxa_current_exception_type();
  return t != nullptr ? demangle(*t) : std::string("unknown");
}

/// Try to give up the stack: succeeds if the mailbox is empty; a sender that
/// finds `hibernating` then starts the continuation on a new fiber. After
/// success the caller must not touch `p`.
bool try_hibernate(process* p) noexcept {
  if (p->save_head != nullptr)
    return false;
  if (p->extras_ != nullptr)
    p->extras_->shrink();
  std::uintptr_t expected = 0;
  return p->inbox.compare_exchange_strong(expected, inbox_hibernating,
                                          std::memory_order_acq_rel,
                                          std::memory_order_acquire);
}

/// The signals still in the mailbox when it closes arrived before the
/// process ended: links and monitors they ask for exist (and will hear the
/// real reason); everything else is dropped.
void final_drain(process* p, envelope* chain) noexcept {
  for (envelope* e = arrival_order(chain); e != nullptr;) {
    envelope* next = e->next;
    try {
      if (e->kind == kind_info_request)
        fail_info(static_cast<signal_envelope*>(e));
      else if (is_signal_kind(e->kind))
        apply_link_signal(p, static_cast<signal_envelope*>(e));
    } catch (...) {
      // Out of memory while ending: the link or monitor is lost.
    }
    dispose(e);
    e = next;
  }
}

void free_queue(envelope* e) noexcept {
  while (e != nullptr) {
    envelope* next = e->next;
    dispose(e);
    e = next;
  }
}

/// Tell links and monitors; drop the monitors this process held.
void propagate(process* p, const exit_reason& reason) noexcept {
  if (!p->extras_)
    return;
  process_extras& x = *p->extras_;
  retain(p);
  const pid me = pid::adopt(p, p->serial);
  for (const pid& l : x.links)
    send_exit(l.get(), me, reason, exit_flavour::link);
  for (const auto& [r, watcher] : x.monitored_by) {
    try {
      signal_envelope* down = make_signal(kind_down, me);
      down->ref = r.id();
      down->reason = reason;
      push(watcher.get(), down);
    } catch (...) {
    }
  }
  for (const auto& [r, target] : x.monitors) {
    try {
      signal_envelope* off = make_signal(kind_demonitor, me);
      off->ref = r.id();
      push(target.get(), off);
    } catch (...) {
    }
  }
  x.links.clear();
  x.monitored_by.clear();
  x.monitors.clear();
  x.aliases.clear();
  x.alias_slot = 0;
}

/// The process has ended with `reason`: close its mailbox, tell its links
/// and monitors, release its name, report a crash, leave the live list.
void finish(process* p, const exit_reason& reason, bool raised) noexcept {
  const std::uintptr_t w =
      p->inbox.exchange(inbox_closed, std::memory_order_acq_rel);
  free_queue(p->save_head);
  p->save_head = p->save_tail = p->mark = p->pending_mark = nullptr;
  p->save_len = 0;
  if (is_envelope_word(w))
    final_drain(p, reinterpret_cast<envelope*>(w));
  if (p->extras_)
    p->extras_->continuation.reset();
  // From here on a link or monitor request bounces (noproc).
  p->state.store(proc_state::dead, std::memory_order_seq_cst);
  if (p->named.load(std::memory_order_seq_cst)) // see register_name
    p->rt->release_name(p);
  propagate(p, reason);
  // Only the process that raised reports; those its exit kills do not.
  if (raised) {
    try {
      retain(p);
      pid who = pid::adopt(p, p->serial);
      log(log_level::error, who,
          "[error] Process " + who.to_string() + " raised an exception\n** ("
              + reason.exception_type() + ") " + reason.detail());
    } catch (...) {
      // Reporting must never take the runtime down (e.g. out of memory).
    }
  }
  std::function<void(const exit_reason&)> on_exit;
  if (p->extras_)
    on_exit = std::move(p->extras_->on_exit);
  // A sender that claimed our last wait may still be inside wake(), in our
  // scheduler's code. Once every process has ended the runtime may destroy
  // its schedulers, so none may be in use by then.
  while (p->wakers.load(std::memory_order_acquire) != 0)
    __builtin_ia32_pause();
  p->rt->exited(p);
  if (on_exit) {
    try {
      on_exit(reason);
    } catch (...) {
    }
  }
}

} // namespace

bool current_exception_reason(exit_reason& out) {
  try {
    throw;
  } catch (const exit_unwind&) {
    return false;
  } catch (const hibernate_unwind&) {
    return false;
  } catch (const exit_error& e) {
    process* p = current_process();
    out = p != nullptr && p->exiting ? p->extras_->pending_reason : e.reason();
    return true;
  } catch (const std::exception& e) {
    out = exit_reason::exception(current_exception_type(), e.what());
    return true;
  } catch (...) {
    out = exit_reason::exception(current_exception_type(), nocatch_text());
    return true;
  }
}

void run_process(process* p, unique_task& body) noexcept {
  exit_reason reason;
  unique_task current = std::move(body);
  bool hibernated = false;
  bool raised = false;
  {
    fiber_binding binding(p);
    auto* ctx = binding.context();
    // Epochs only grow, for the process across fibers and for the fiber
    // across processes, so a waiting word is never reused.
    const std::size_t e = ctx->waker_epoch_.load(std::memory_order_relaxed);
    if (p->epoch < e)
      p->epoch = e;
    ctx->waker_epoch_.store(p->epoch, std::memory_order_relaxed);
    p->ctx.store(ctx, std::memory_order_release);
    bool revived = std::exchange(p->revived, false);
    for (;;) {
      try {
        check_signals(p);
        if (revived) {
          revived = false;
          // Woken by a signal (a monitor, a link, process_info...) rather
          // than a message: handle it and keep hibernating.
          drain(p);
          if (p->save_head == nullptr) {
            p->extras_->continuation = std::move(current);
            p->epoch = ctx->waker_epoch_.load(std::memory_order_relaxed);
            if (try_hibernate(p)) {
              hibernated = true;
              break;
            }
            current = std::move(p->extras_->continuation);
          }
        }
        note_running(p, ctx);
        current();
        if (p->exiting) {
          reason = p->extras_->pending_reason;
          break;
        }
        if (p->extras_ == nullptr || !p->extras_->continuation)
          break;
        // hibernate_on_return: the same as the hibernate_unwind path below,
        // without the cost of throwing.
        p->epoch = ctx->waker_epoch_.load(std::memory_order_relaxed);
        if (try_hibernate(p)) {
          hibernated = true;
          break;
        }
        current = std::move(p->extras_->continuation);
      } catch (const hibernate_unwind&) {
        if (p->exiting) {
          reason = p->extras_->pending_reason;
          break;
        }
        p->epoch = ctx->waker_epoch_.load(std::memory_order_relaxed);
        if (try_hibernate(p)) {
          hibernated = true;
          break;
        }
        // A message is already here: continue at once, on this unwound stack.
        current = std::move(p->extras_->continuation);
      } catch (const exit_unwind&) {
        reason = p->extras_->pending_reason;
        break;
      } catch (const exit_error& e) {
        reason = p->exiting ? p->extras_->pending_reason : e.reason();
        break;
      } catch (const std::exception& e) {
        reason = exit_reason::exception(current_exception_type(), e.what());
        raised = true;
        break;
      } catch (...) {
        reason =
            exit_reason::exception(current_exception_type(), nocatch_text());
        raised = true;
        break;
      }
    }
    if (!hibernated)
      p->epoch = ctx->waker_epoch_.load(std::memory_order_relaxed);
  }
  // `binding` is gone: this fiber no longer names the process.
  if (!hibernated)
    finish(p, reason, raised);
}

pid spawn_task(runtime_impl* rt, const spawn_options& opts, unique_task body,
               const char* caller) {
  return spawn_with(rt, opts, std::move(body), caller, spawn_link_mode::none,
                    nullptr);
}

pid spawn_with(runtime_impl* rt, const spawn_options& opts, unique_task body,
               const char* caller, spawn_link_mode mode, ref* mon) {
  // From one of rt's processes, its fiber names the scheduler thread without
  // another thread-local lookup.
  process* parent = current_process();
  if (rt == nullptr) {
    if (parent == nullptr)
      require_process(caller);
    rt = parent->rt;
  }
  boost::fibers::scheduler* sched =
      parent != nullptr && parent->rt == rt
          ? parent->ctx.load(std::memory_order_relaxed)->get_scheduler()
          : nullptr;
  process* p = rt->create_process(opts);
  pid result = pid::adopt(p, p->serial);
  if (mode != spawn_link_mode::none) {
    // Set up before the child runs: it cannot end unobserved.
    retain(parent);
    pid parent_pid = pid::adopt(parent, parent->serial);
    if (mode == spawn_link_mode::link
        || mode == spawn_link_mode::link_monitor) {
      parent->extras().links.insert(result);
      p->extras().links.insert(parent_pid);
    }
    if (mode == spawn_link_mode::monitor
        || mode == spawn_link_mode::link_monitor) {
      const ref r = make_ref();
      parent->extras().monitors.emplace(r, result);
      p->extras().monitored_by.emplace(r, std::move(parent_pid));
      *mon = r;
    }
  }
  try {
    rt->start(p, std::move(body), true, sched);
  } catch (...) {
    // No fiber could be made (out of memory): the process never existed.
    p->inbox.store(inbox_closed, std::memory_order_release);
    p->state.store(proc_state::dead, std::memory_order_release);
    rt->exited(p);
    throw;
  }
  return result;
}

} // namespace otp::detail
