// The process entry: the one place where an exception becomes an exit reason.
#include "framework/spawn.hpp"

#include "framework/detail/mailbox_scan.hpp"
#include "framework/detail/runtime_impl.hpp"
#include "framework/log.hpp"

#include <boost/fiber/context.hpp>
#include <cxxabi.h>
#include <exception>
#include <typeinfo>

namespace otp::detail {

namespace {

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
  std::uintptr_t expected = 0;
  return p->inbox.compare_exchange_strong(expected, inbox_hibernating,
                                          std::memory_order_acq_rel,
                                          std::memory_order_acquire);
}

void free_chain(envelope* e) noexcept {
  while (e != nullptr) {
    envelope* next = e->next;
    if (e->kind == kind_message)
      destroy(e);
    else
      delete static_cast<exit_signal_envelope*>(e);
    e = next;
  }
}

/// The process has ended with `reason`: close its mailbox, report a crash,
/// leave the live list.
void finish(process* p, const exit_reason& reason) noexcept {
  const std::uintptr_t w =
      p->inbox.exchange(inbox_closed, std::memory_order_acq_rel);
  if (is_envelope_word(w))
    free_chain(reinterpret_cast<envelope*>(w));
  free_chain(p->save_head);
  p->save_head = p->save_tail = p->mark = p->pending_mark = nullptr;
  p->save_len = 0;
  if (p->extras_)
    p->extras_->continuation.reset();
  p->state.store(proc_state::dead, std::memory_order_release);
  if (reason.what_kind() == exit_reason::kind::exception) {
    try {
      retain(p);
      pid who = pid::adopt(p, p->serial);
      log(log_level::error, who,
          "[error] Process " + who.to_string() + " raised an exception\n** (" +
              reason.exception_type() + ") " + reason.detail());
    } catch (...) {
      // Reporting must never take the runtime down (e.g. out of memory).
    }
  }
  std::function<void(const exit_reason&)> on_exit;
  if (p->extras_)
    on_exit = std::move(p->extras_->on_exit);
  p->rt->exited(p);
  if (on_exit) {
    try {
      on_exit(reason);
    } catch (...) {
    }
  }
}

} // namespace

void run_process(process* p, unique_task& body) noexcept {
  exit_reason reason;
  unique_task current = std::move(body);
  bool hibernated = false;
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
    for (;;) {
      try {
        check_signals(p);
        current();
        if (p->exiting)
          reason = p->extras_->pending_reason;
        break;
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
      } catch (const std::exception& e) {
        reason = exit_reason::exception(current_exception_type(), e.what());
        break;
      } catch (...) {
        reason = exit_reason::exception(current_exception_type(),
                                        "non-standard exception");
        break;
      }
    }
    if (!hibernated)
      p->epoch = ctx->waker_epoch_.load(std::memory_order_relaxed);
  }
  // `binding` is gone: this fiber no longer names the process.
  if (!hibernated)
    finish(p, reason);
}

pid spawn_task(runtime_impl* rt, const spawn_options& opts, unique_task body,
               const char* caller) {
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
