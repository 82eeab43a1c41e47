#include "framework/detail/park.hpp"

#include "framework/detail/landing.hpp"
#include "framework/detail/process.hpp"
#include "framework/detail/scheduler.hpp"

#include <boost/fiber/context.hpp>
#include <boost/fiber/operations.hpp>
#include <boost/fiber/scheduler.hpp>

namespace otp::detail {

namespace {

/// The lines a parked fiber touches first when it resumes: its park frame,
/// where the record lives, and the saved registers just below.
void prefetch_park(const park_record* rec) noexcept {
  const char* sp = reinterpret_cast<const char*>(rec);
  for (int i = -12; i < 4; ++i)
    __builtin_prefetch(sp + std::ptrdiff_t{i} * 64, 1);
}

/// The winner of epoch `e` queues the fiber on `into`.
void make_ready(park_record* rec, boost::fibers::context* ctx,
                worker_algo* into) noexcept {
  // On the thread it parked on, the fiber has switched away (we run). From
  // elsewhere, wait until Boost has saved its context: it may still be in
  // the middle of suspending.
  if (!::pthread_equal(rec->thread, ::pthread_self())) {
    // try_lock, not lock: Boost's lock() has a 5 KiB frame (a random-number
    // generator for its back-off) that would cost a process a second page.
    while (!rec->switching.try_lock())
      __builtin_ia32_pause();
    rec->switching.unlock();
  }
  prefetch_park(rec);
  into->push_ready(ctx);
}

/// Where a woken process goes: to the waker's own queue when the waker is
/// a process of the same runtime on an active scheduler thread (Go's
/// runnext, Tokio's LIFO slot), so that partners that talk end up on one
/// thread instead of handing every message across; else back to the thread
/// it parked on. A thread that has more than it can run is stolen from.
worker_algo* wake_into(process* p, const park_record* rec) noexcept {
  process* me = current_process();
  if (me != nullptr && me->rt == p->rt) {
    worker_algo* mine = algo_of(me->ctx.load(std::memory_order_relaxed));
    if (mine != nullptr && mine->active())
      return mine;
  }
  return rec->home;
}

} // namespace

parker::parker(process* p)
    : p_(p),
      ctx_(p->ctx.load(std::memory_order_relaxed)),
      epoch_(0),
      // A new lock: try_lock takes it (see make_ready on lock()).
      lk_(rec_.switching, std::adopt_lock) {
  [[maybe_unused]] const bool taken = rec_.switching.try_lock();
  rec_.thread = ::pthread_self();
  rec_.home = algo_of(ctx_);
  epoch_ = ctx_->waker_epoch_.fetch_add(1, std::memory_order_acq_rel) + 1;
  p_->epoch = epoch_;
  // Published with the epoch: a waker reads it only after winning `e`.
  p_->park.store(&rec_, std::memory_order_release);
}

parker::~parker() = default;

bool parker::withdraw() noexcept {
  std::size_t expected = epoch_;
  return ctx_->waker_epoch_.compare_exchange_strong(expected, epoch_ + 1,
                                                    std::memory_order_acq_rel);
}

bool parker::park(std::chrono::steady_clock::time_point deadline) noexcept {
  const bool timed = deadline != std::chrono::steady_clock::time_point::max();
  worker_algo* home = rec_.home;
  // Another fiber may run on this thread while we wait, or we may resume
  // elsewhere: our exception state travels with us.
  const eh_state eh = eh_take();
  if (timed) {
    rec_.timer.deadline = deadline;
    rec_.timer.p = p_;
    rec_.timer.epoch = epoch_;
    home->add_timer(&rec_.timer);
  }
  boost::fibers::scheduler* sched = ctx_->get_scheduler();
  // Parked, the fiber belongs to no thread; whoever picks it adopts it.
  ctx_->detach();
  sched->suspend(lk_); // lk_ is released once our context is saved
  eh_put(eh);
  bool woken = true;
  if (timed) {
    rec_.timer.heap->remove_timer(&rec_.timer);
    woken = !rec_.timer.fired;
  }
  // A waker that took our timer or won the epoch may still be on its way
  // out (touching `rec_` or our context); let it finish first.
  while (p_->wakers.load(std::memory_order_acquire) != 0)
    __builtin_ia32_pause();
  return woken;
}

void yield_now() noexcept {
  const eh_state eh = eh_take();
  boost::this_fiber::yield();
  eh_put(eh);
}

bool wake_parked(process* p, std::size_t e) noexcept {
  // Parks take epochs from 1 on; 0 is "never parked".
  if (e == 0)
    return false;
  boost::fibers::context* ctx = p->ctx.load(std::memory_order_acquire);
  std::size_t expected = e;
  if (!ctx->waker_epoch_.compare_exchange_strong(expected, e + 1,
                                                 std::memory_order_acq_rel))
    return false;
  park_record* rec = p->park.load(std::memory_order_acquire);
  make_ready(rec, ctx, wake_into(p, rec));
  return true;
}

void fire_timer(park_timer* t, worker_algo* into) noexcept {
  process* p = t->p;
  const std::size_t e = t->epoch;
  boost::fibers::context* ctx = p->ctx.load(std::memory_order_acquire);
  std::size_t expected = e;
  if (ctx->waker_epoch_.compare_exchange_strong(expected, e + 1,
                                                std::memory_order_acq_rel)) {
    t->fired = true;
    make_ready(p->park.load(std::memory_order_acquire), ctx, into);
  }
  p->wakers.fetch_sub(1, std::memory_order_release);
}

} // namespace otp::detail
