// What a scheduler thread does: its main context takes the work other
// threads hand it (spawns from outside, revivals of hibernated processes),
// and its fibers run processes, returning to an idle pool in between.
#include "framework/detail/runtime_impl.hpp"
#include "framework/log.hpp"

#include <boost/fiber/all.hpp>

namespace otp::detail {

namespace {

/// What a new fiber runs: processes, the first one being `p`.
struct process_fiber {
  runtime_impl* rt;
  process* p;
  unique_task body;
  void operator()() {
    rt->fiber_main(p, body, p->stacks == rt->default_stacks);
  }
};

/// A StackAllocator handing Boost a stack allocated beforehand, so that the
/// only step that can fail (no stack left) happens before the process's
/// body is given away.
struct preallocated_stack {
  boost::context::stack_context sctx;
  stack_pool* pool;
  boost::context::stack_context allocate() noexcept { return sctx; }
  void deallocate(boost::context::stack_context& s) noexcept {
    pool->deallocate(s);
  }
};

/// Starting this many processes in a row, the main context yields so that
/// they run (and give their stacks back) before it starts more: a broadcast
/// to a million hibernated servers never needs a million stacks at once.
constexpr unsigned starts_per_turn = 64;

} // namespace

// -- locating threads ---------------------------------------------------------

worker* runtime_impl::worker_of(boost::fibers::scheduler* s) const noexcept {
  for (const auto& w : workers_) {
    if (w->sched == s)
      return w.get();
  }
  return nullptr;
}

worker* runtime_impl::current_worker() const noexcept {
  // Only a process's fiber can be on one of our threads here; anything else
  // (another thread of the program) is not ours, and must not have
  // Boost.Fiber's thread state set up behind its back.
  if (!on_process_stack(__builtin_frame_address(0)))
    return nullptr;
  return worker_of(boost::fibers::context::active()->get_scheduler());
}

worker& runtime_impl::pick_worker() noexcept {
  const unsigned n = opts.threads;
  for (unsigned tries = 0; tries < n; ++tries) {
    const unsigned i = next_inject_.fetch_add(1, std::memory_order_relaxed) % n;
    if (!stuck_[i].load(std::memory_order_relaxed))
      return *workers_[i];
  }
  return *workers_[next_inject_.fetch_add(1, std::memory_order_relaxed) % n];
}

void note_running(process* p, boost::fibers::context* ctx) noexcept {
  if (worker* w = p->rt->worker_of(ctx->get_scheduler())) {
    on_pick(ctx, w->algo);
    w->algo->set_running(p->serial);
  }
}

// -- handing work to a thread's main context --------------------------------

void runtime_impl::wake_main(worker& w) noexcept {
  // Under w.inject_lock: the thread reads `stop` under it too, so it cannot
  // exit (destroying its scheduler) while we still use it. By hand, not
  // context::wake(): that reads the calling thread's Boost.Fiber state.
  const std::uintptr_t state = std::exchange(w.inject_state, 0);
  if (!is_waiting_word(state))
    return;
  std::size_t expected = waiting_epoch(state);
  if (w.main_ctx->waker_epoch_.compare_exchange_strong(
          expected, expected + 1, std::memory_order_acq_rel))
    w.sched->schedule_from_remote(w.main_ctx);
}

void runtime_impl::inject(process* p, unique_task body) {
  worker& w = pick_worker();
  std::lock_guard<spin_mutex> lk(w.inject_lock);
  w.injected.push_back({p, std::move(body)});
  wake_main(w);
}

void runtime_impl::push_revival(worker& w, process* p) noexcept {
  std::lock_guard<spin_mutex> lk(w.inject_lock);
  // In arrival order: the first sender is served first.
  p->revive_next = nullptr;
  if (w.revive_tail != nullptr)
    w.revive_tail->revive_next = p;
  else
    w.revive_head = p;
  w.revive_tail = p;
  wake_main(w);
}

void runtime_impl::revive(process* p) noexcept {
  worker* w = current_worker();
  push_revival(w != nullptr && w->algo->active() ? *w : pick_worker(), p);
}

// -- starting processes -----------------------------------------------------

void runtime_impl::start(process* p, unique_task&& body, bool dispatch,
                         boost::fibers::scheduler* sched) {
  worker* w = sched != nullptr ? worker_of(sched) : current_worker();
  if (w == nullptr) {
    inject(p, std::move(body));
    return;
  }
  boost::fibers::context* self = boost::fibers::context::active();
  dispatch = dispatch && !self->is_context(boost::fibers::type::pinned_context);
  if (dispatch)
    w->algo->resume_spawner_first();
  if (p->stacks != default_stacks || w->idle.empty()) {
    new_fiber(p, std::move(body), dispatch);
    return;
  }
  idle_fiber* f = w->idle.back();
  w->idle.pop_back();
  f->proc = p;
  f->body = std::move(body);
  if (dispatch)
    f->ctx->resume(self); // run the child now; we are queued right behind
  else
    self->schedule(f->ctx);
}

void runtime_impl::new_fiber(process* p, unique_task&& body, bool dispatch) {
  // The one step that can fail comes first, while `body` is still the
  // caller's.
  preallocated_stack stack{p->stacks->allocate(), p->stacks};
  boost::fibers::fiber(
      dispatch ? boost::fibers::launch::dispatch : boost::fibers::launch::post,
      std::allocator_arg, stack, process_fiber{this, p, std::move(body)})
      .detach();
}

void runtime_impl::fiber_main(process* p, unique_task& first,
                              bool poolable) noexcept {
  run_process(p, first);
  if (!poolable)
    return;
  boost::fibers::context* const ctx = boost::fibers::context::active();
  for (;;) {
    // The thread we finished on (the fiber may have migrated).
    worker* w = worker_of(ctx->get_scheduler());
    if (w == nullptr || w->stopping || w->idle.size() >= idle_cap)
      return;
    idle_fiber me{ctx, nullptr, {}, false};
    w->idle.push_back(&me);
    me.ctx->suspend();
    if (me.quit)
      return;
    run_process(me.proc, me.body);
  }
}

// -- the main context ---------------------------------------------------------

void runtime_impl::handle_revival(worker& w, process* p) noexcept {
  // We won p's hibernating inbox: p has no fiber and nobody else touches
  // it. Signals that need no code of the process are handled right here,
  // on this thread's own stack: a process killed while hibernating ends
  // without ever getting a stack again.
  for (;;) {
    try {
      drain_inbox(p);
    } catch (...) {
      // Out of memory turning a signal into a message: what arrived so
      // far is queued; the process gets a stack to handle it.
    }
    if (p->exiting) {
      finish_stackless(p);
      return;
    }
    if (p->save_head != nullptr)
      break;
    if (try_hibernate(p))
      return; // only signals came: it stays hibernated
  }
  p->revived = false;
  try {
    start(p, std::move(p->extras_->continuation), false, w.sched);
  } catch (...) {
    // No stack to be had (address space exhausted): the process waits,
    // hibernated in all but name, and the watchdog retries.
    {
      std::lock_guard<spin_mutex> lk(retry_lock_);
      p->revive_next = retry_head_;
      retry_head_ = p;
    }
    if (!retry_warned_.exchange(true)) {
      log(log_level::warning, pid(),
          "no stack could be had for a process to run (the "
          "address space for stacks is exhausted: see ulimit -v): such "
          "processes wait and are retried");
    }
  }
}

void runtime_impl::run_injected(worker& w) {
  unsigned started = 0;
  auto turn = [&] {
    if (++started % starts_per_turn == 0)
      boost::this_fiber::yield();
  };
  for (;;) {
    std::vector<worker::request> batch;
    process* revivals = nullptr;
    {
      std::lock_guard<spin_mutex> lk(w.inject_lock);
      batch.swap(w.injected);
      revivals = std::exchange(w.revive_head, nullptr);
      w.revive_tail = nullptr;
    }
    if (batch.empty() && revivals == nullptr)
      return;
    for (auto& r : batch) {
      try {
        start(r.proc, std::move(r.body), false, w.sched);
      } catch (...) {
        // Not even a stack for a new process: it dies before it ran.
        try {
          r.proc->extras().pending_reason = exit_reason::system_limit();
        } catch (...) {
        }
        r.proc->exiting = true;
        finish_stackless(r.proc);
      }
      turn();
    }
    while (revivals != nullptr) {
      process* next = revivals->revive_next;
      revivals->revive_next = nullptr;
      handle_revival(w, revivals);
      revivals = next;
      turn();
    }
  }
}

void warm_up_thread() {
  // Boost.Fiber's spinlock builds a 5 KiB random-number generator on the
  // stack the first time a thread uses it; do that here, on the thread's own
  // stack, never on a small process stack. What a thread allocates once is
  // allocated now, before the runtime's constructor returns.
  boost::fibers::detail::spinlock warm;
  warm.lock();
  warm.unlock();
  boost::fibers::fiber f([] {});
  f.join();
}

void runtime_impl::worker_main(unsigned index) {
  worker& w = *workers_[index];
  for (;;) {
    run_injected(w);
    bool stop = false;
    bool more = false;
    {
      std::lock_guard<spin_mutex> lk(w.inject_lock);
      stop = w.stop;
      more = !w.injected.empty() || w.revive_head != nullptr;
      if (!more && !stop) {
        const std::size_t e =
            w.main_ctx->waker_epoch_.fetch_add(1, std::memory_order_acq_rel)
            + 1;
        w.inject_state = waiting_word(e);
      }
    }
    if (more)
      continue;
    if (stop) {
      // No fiber parks after this (see fiber_main); end the parked ones.
      w.stopping = true;
      // Resume each one directly: it ends at once, on this thread. Made
      // ready instead, it would sit detached in the queue, where Boost's
      // scheduler teardown does not wait for it (and another thread could
      // steal it from a destroyed queue).
      for (idle_fiber* f : std::exchange(w.idle, {})) {
        f->quit = true;
        f->ctx->resume(w.main_ctx);
      }
      return;
    }
    w.main_ctx->suspend();
  }
}

} // namespace otp::detail
