// The process entry: the one place where an exception becomes an exit reason.
#include "framework/spawn.hpp"

#include "framework/detail/landing.hpp"
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

/// The reason a process ends with when even its reason cannot be built
/// (the heap is exhausted): made ahead, copying it allocates nothing.
const exit_reason& out_of_memory_reason() {
  static const exit_reason r = exit_reason::exception(
      "std::bad_alloc", "out of memory (while building the exit reason)");
  return r;
}

/// Inside a catch: the exit reason of the exception that escaped the
/// process. Never throws.
exit_reason raised_reason() noexcept {
  try {
    try {
      throw;
    } catch (const std::exception& e) {
      return exit_reason::exception(current_exception_type(), e.what(),
                                    handled_exception_trace());
    } catch (...) {
      return exit_reason::exception(current_exception_type(), nocatch_text(),
                                    handled_exception_trace());
    }
  } catch (...) {
    return out_of_memory_reason();
  }
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
    signal_envelope* down = make_signal_nofail(kind_down, me);
    down->ref = r.id();
    down->reason = reason;
    push(watcher.get(), down);
  }
  for (const auto& [r, target] : x.monitors) {
    signal_envelope* off = make_signal_nofail(kind_demonitor, me);
    off->ref = r.id();
    push(target.get(), off);
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
  if (p->finished) // a zombie, ended when it became one
    return;
  p->finished = true;
  // Dead before the mailbox closes: whoever sees a request bounce (a DOWN
  // with noproc, say) and then asks `alive` must hear false. A link or
  // monitor request that still gets in is applied by final_drain and hears
  // the real reason.
  p->state.store(proc_state::dead, std::memory_order_seq_cst);
  const std::uintptr_t w =
      p->inbox.exchange(inbox_closed, std::memory_order_acq_rel);
  free_queue(p->save_head);
  p->save_head = p->save_tail = p->mark = p->pending_mark = nullptr;
  p->save_len = 0;
  if (is_envelope_word(w))
    final_drain(p, envelope_of(w));
  if (p->extras_)
    p->extras_->continuation.reset();
  // Only the process that raised reports; those its exit kills do not.
  if (raised) {
    try {
      retain(p);
      pid who = pid::adopt(p, p->serial);
      std::string text = "Process " + who.to_string()
                         + " raised an exception\n** ("
                         + reason.exception_type() + ") " + reason.detail();
      if (!reason.stack_trace().empty())
        text += "\n" + reason.stack_trace_text();
      log(log_level::error, who, text);
    } catch (...) {
      // Reporting must never take the runtime down (e.g. out of memory).
    }
  }
  if (p->named.load(std::memory_order_seq_cst)) // see register_name
    p->rt->release_name(p);
  propagate(p, reason);
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

void prepare_spawn_statics() {
  (void)out_of_memory_reason();
}

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

void finish_zombie(process* p) noexcept {
  // The fiber still uses the control block after the live list lets go.
  retain(p);
  p->zombie = true;
  p->exit_hard = true;
  finish(p, p->extras_->pending_reason, false);
}

void finish_stackless(process* p) noexcept {
  finish(p,
         p->extras_ != nullptr ? p->extras_->pending_reason
                               : exit_reason::system_limit(),
         false);
}

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
    out = exit_reason::exception(current_exception_type(), e.what(),
                                 handled_exception_trace());
    return true;
  } catch (...) {
    out = exit_reason::exception(current_exception_type(), nocatch_text(),
                                 handled_exception_trace());
    return true;
  }
}

namespace {

/// `<0.42.0>`, or `<0.42.0> ("name")` if it has a registered name.
std::string describe(process* p) {
  retain(p);
  std::string who = pid::adopt(p, p->serial).to_string();
  if (p->named.load(std::memory_order_acquire)) {
    const std::string name = p->rt->name_of(p);
    if (!name.empty())
      who += " (\"" + name + "\")";
  }
  return who;
}

std::string initial_call(const process* p) {
  return p->initial_call != nullptr ? demangle(*p->initial_call)
                                    : std::string("unknown");
}

/// A process ended without unwinding (all or part of) its stack: say so.
void report_abandoned(process* p, const exit_reason& reason,
                      bool abandoned) noexcept {
  try {
    retain(p);
    pid who = pid::adopt(p, p->serial);
    if (p->overflowed.load(std::memory_order_relaxed)) {
      log(log_level::error, who,
          "Process " + describe(p) + " overflowed its stack ("
              + std::to_string(p->stacks->stack_size() / 1024)
              + " KiB)\n** (stack_overflow) initial call: " + initial_call(p)
              + (abandoned ? "\n** the process was ended without unwinding: "
                             "destructors of its frames did not run"
                           : ""));
      return;
    }
    log(log_level::warning, who,
        "Process " + describe(p) + " kept running after its exit ("
            + reason.to_string()
            + ") had begun: it caught the unwinding three times, or a "
              "destructor waited for a kill; it was ended without further "
              "unwinding (destructors of its remaining frames did not run); "
              "initial call: "
            + initial_call(p));
  } catch (...) {
    // Reporting must never take the runtime down (e.g. out of memory).
  }
}

} // namespace

void run_process(process* p, unique_task& body) noexcept {
  exit_reason reason;
  unique_task current = std::move(body);
  bool hibernated = false;
  bool raised = false;
  bool abandoned = false;
  landing l;
  find_slot(__builtin_frame_address(0), l.slot);
  if (p->initial_call == nullptr)
    p->initial_call = current.origin();
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
        if (!run_landed(p, l, current)) {
          abandoned = true;
          reason = p->exiting ? p->extras_->pending_reason
                              : exit_reason::stack_overflow();
          break;
        }
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
      } catch (...) {
        reason = raised_reason();
        raised = true;
        break;
      }
    }
    if (!hibernated)
      p->epoch = ctx->waker_epoch_.load(std::memory_order_relaxed);
  }
  const bool reopen = l.reserve_opened.load(std::memory_order_relaxed);
  // `binding` is gone: this fiber no longer names the process. A hibernated
  // process is not ours to touch any more (a sender may revive it at once).
  if (!hibernated) {
    if (p->overflowed.load(std::memory_order_relaxed)) {
      if (!p->exiting)
        reason = exit_reason::stack_overflow();
      raised = false;
    }
    if (abandoned || p->overflowed.load(std::memory_order_relaxed))
      report_abandoned(p, reason, abandoned);
    const bool zombie = p->zombie;
    finish(p, reason, raised);
    if (zombie)
      release(p); // the reference finish_zombie took
  }
  // The next process on this stack gets its reserve back.
  if (reopen)
    close_reserve(l.slot);
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
