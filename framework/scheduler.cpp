#include "framework/detail/scheduler.hpp"

#include "framework/detail/process.hpp"

namespace otp::detail {

using boost::fibers::context;
using boost::fibers::type;

void scheduler_group::wake_thief(const worker_algo* except) noexcept {
  for (worker_algo* a : algos) {
    if (a != except && a->active() && a->sleeping()) {
      a->notify();
      return;
    }
  }
  // A thread may have counted itself a sleeper without having set its flag
  // yet; notify one anyway: it checks for a notification before it waits.
  if (sleepers.load(std::memory_order_seq_cst) != 0) {
    for (worker_algo* a : algos) {
      if (a != except && a->active()) {
        a->notify();
        return;
      }
    }
  }
}

worker_algo::worker_algo(scheduler_group& group, unsigned index,
                         bool active) noexcept
    : group_(group),
      index_(index),
      active_(active),
      // Sized once here: the scheduler's paths cannot allocate (or fail).
      seen_(group.algos.size()) {
  // Each thread registers itself before the runtime lets any of them run.
  group_.algos[index] = this;
}

void worker_algo::set_scheduler(boost::fibers::scheduler* s) noexcept {
  sched_ = s;
  owner_ = ::pthread_self();
}

void worker_algo::set_active(bool on) noexcept {
  active_.store(on, std::memory_order_release);
  if (on)
    notify();
}

void worker_algo::enqueue(context* ctx, bool front) noexcept {
  const bool pinned = ctx->is_context(type::pinned_context);
  std::size_t n = 0;
  {
    std::lock_guard<spin_mutex> lk(lock_);
    if (front)
      queue_.push_front(*ctx);
    else
      ctx->ready_link(queue_);
    if (!pinned) {
      // Only changed under the lock: no read-modify-write needed.
      n = stealable_.load(std::memory_order_relaxed) + 1;
      stealable_.store(n, std::memory_order_relaxed);
    }
  }
  if (n >= 2 && group_.sleepers.load(std::memory_order_relaxed) != 0)
    group_.wake_thief(this);
}

void worker_algo::awakened(context* ctx) noexcept {
  if (ctx->is_context(type::dispatcher_context)) {
    dispatcher_ = ctx;
    return;
  }
  // A ready process belongs to no thread until one picks it, so any thread
  // may steal it (Boost.Fiber's work_stealing does the same).
  if (!ctx->is_context(type::pinned_context))
    ctx->detach();
  bool front = false;
  if (spawner_first_) {
    spawner_first_ = false;
    front = ++lifo_streak_ <= lifo_limit;
    if (!front)
      lifo_streak_ = 0;
  }
  enqueue(ctx, front);
}

void worker_algo::push_ready(context* ctx) noexcept {
  enqueue(ctx, false);
  // The owner finds it at its next pick if it is awake; from another thread
  // make sure it is (it may be about to sleep).
  if (!::pthread_equal(owner_, ::pthread_self())) {
    notified_.store(true, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lk(sleep_mutex_);
      sleep_cv_.notify_one();
    }
  }
}

// -- timed waits --------------------------------------------------------------

void worker_algo::note_earliest() noexcept {
  earliest_.store(timers_.empty() ? clock::time_point::max()
                                  : timers_.begin()->deadline,
                  std::memory_order_relaxed);
}

void worker_algo::add_timer(park_timer* t) noexcept {
  std::lock_guard<spin_mutex> lk(lock_);
  t->heap = this;
  timers_.insert(*t);
  note_earliest();
}

void worker_algo::remove_timer(park_timer* t) noexcept {
  std::lock_guard<spin_mutex> lk(lock_);
  if (t->hook.is_linked()) {
    timers_.erase(timers_.iterator_to(*t));
    note_earliest();
  }
}

unsigned worker_algo::fire_due(clock::time_point now,
                               worker_algo* into) noexcept {
  unsigned n = 0;
  for (;;) {
    park_timer* t = nullptr;
    {
      std::lock_guard<spin_mutex> lk(lock_);
      if (timers_.empty() || timers_.begin()->deadline > now)
        return n;
      t = &*timers_.begin();
      timers_.erase(timers_.begin());
      note_earliest();
      // Under the lock, so the parked process that finds its timer gone
      // waits for us before its stack (and the timer) goes away.
      t->p->wakers.fetch_add(1, std::memory_order_seq_cst);
    }
    fire_timer(t, into);
    ++n;
  }
}

// -- picking ------------------------------------------------------------------

context* worker_algo::pop_local() noexcept {
  std::lock_guard<spin_mutex> lk(lock_);
  if (queue_.empty())
    return nullptr;
  context* ctx = &queue_.front();
  queue_.pop_front();
  if (!ctx->is_context(type::pinned_context))
    stealable_.store(stealable_.load(std::memory_order_relaxed) - 1,
                     std::memory_order_relaxed);
  return ctx;
}

context* worker_algo::pick_next() noexcept {
  context* ctx = nullptr;
  // Timers are fired only by the dispatcher: when a process calls this to
  // park, it has not switched away yet, and its own timer may be due.
  if (earliest() != clock::time_point::max()
      && context::active()->is_context(type::dispatcher_context))
    fire_due(clock::now(), this);
  if (dispatcher_ != nullptr
      && (++since_dispatch_ >= dispatch_every
          || remote_pending_.load(std::memory_order_relaxed))) {
    // A thread that is always busy still runs its dispatcher (and so serves
    // its timers) now and then.
    since_dispatch_ = 0;
    remote_pending_.store(false, std::memory_order_relaxed);
    running_.store(0, std::memory_order_relaxed);
    return std::exchange(dispatcher_, nullptr);
  }
  ctx = pop_local();
  if (ctx == nullptr)
    ctx = try_steal();
  if (ctx == nullptr) {
    since_dispatch_ = 0;
    running_.store(0, std::memory_order_relaxed);
    return std::exchange(dispatcher_, nullptr);
  }
  picks_.store(picks_.load(std::memory_order_relaxed) + 1,
               std::memory_order_relaxed);
  if (!ctx->is_context(type::pinned_context)) {
    if (idle_) {
      // Back to work after being idle: if every other active thread sleeps,
      // wake one, so that it watches us (and can take over what queues
      // behind a process that never suspends). Once per idle-to-busy
      // transition.
      idle_ = false;
      if (group_.sleepers.load(std::memory_order_relaxed) != 0)
        group_.wake_thief(this);
    }
    // Adopt it. Not through context::active(): the active context may be a
    // process that just detached itself to park.
    sched_->attach_worker_context(ctx);
    running_.store(on_pick(ctx, this), std::memory_order_relaxed);
  } else {
    running_.store(0, std::memory_order_relaxed);
  }
  return ctx;
}

bool worker_algo::has_ready_fibers() const noexcept {
  std::lock_guard<spin_mutex> lk(lock_);
  return !queue_.empty();
}

// -- stealing -----------------------------------------------------------------

context* worker_algo::steal_from_back() noexcept {
  std::lock_guard<spin_mutex> lk(lock_);
  for (auto it = queue_.rbegin(); it != queue_.rend(); ++it) {
    if (!it->is_context(type::pinned_context)) {
      context* ctx = &*it;
      ctx->ready_unlink();
      stealable_.store(stealable_.load(std::memory_order_relaxed) - 1,
                       std::memory_order_relaxed);
      return ctx;
    }
  }
  return nullptr;
}

bool worker_algo::stuck(unsigned v, clock::time_point now) noexcept {
  worker_algo* victim = group_.algos[v];
  const std::uint64_t picks = victim->picks_.load(std::memory_order_relaxed);
  seen& s = seen_[v];
  if (picks != s.picks) {
    s.picks = picks;
    s.since = now;
    return false;
  }
  return victim->running() != 0 && now - s.since >= group_.stuck_after;
}

bool worker_algo::may_steal(unsigned v, clock::time_point now) noexcept {
  worker_algo* victim = group_.algos[v];
  const std::size_t ready = victim->stealable_.load(std::memory_order_relaxed);
  const bool is_stuck = stuck(v, now);
  if (ready >= 2)
    return true;
  if (ready == 1 && is_stuck)
    return true;
  return is_stuck && victim->earliest() <= now;
}

unsigned worker_algo::rescue_timers(clock::time_point now) noexcept {
  unsigned n = 0;
  const std::size_t count = group_.algos.size();
  for (std::size_t i = 1; i < count; ++i) {
    const auto v = static_cast<unsigned>((index_ + i) % count);
    worker_algo* victim = group_.algos[v];
    if (victim->earliest() <= now && stuck(v, now))
      n += victim->fire_due(now, this);
  }
  return n;
}

context* worker_algo::try_steal() noexcept {
  const std::size_t n = group_.algos.size();
  if (n < 2 || !active() || group_.stopping.load(std::memory_order_acquire))
    return nullptr;
  const auto now = clock::now();
  if (rescue_timers(now) != 0) {
    if (context* ctx = pop_local())
      return ctx;
  }
  for (std::size_t i = 1; i < n; ++i) {
    const auto v = static_cast<unsigned>((index_ + i) % n);
    if (may_steal(v, now)) {
      if (context* ctx = group_.algos[v]->steal_from_back())
        return ctx;
    }
  }
  return nullptr;
}

// -- idling -------------------------------------------------------------------

void worker_algo::suspend_until(clock::time_point const& tp) noexcept {
  idle_ = true;
  const std::size_t n = group_.algos.size();
  const bool thief = active() && n > 1;
  auto now = clock::now();
  const auto until = std::min(tp, earliest());
  const auto spin_end = now + group_.spin;
  while (now < spin_end && now < until) {
    if (notified_.exchange(false, std::memory_order_acquire))
      return;
    if (group_.stopping.load(std::memory_order_relaxed))
      break;
    if (thief) {
      for (std::size_t i = 1; i < n; ++i) {
        if (may_steal(static_cast<unsigned>((index_ + i) % n), now))
          return;
      }
    }
    for (int k = 0; k < 16; ++k)
      __builtin_ia32_pause();
    now = clock::now();
  }
  if (now >= until)
    return;
  // A thread busy with one long-running process never wakes us (it wakes a
  // thief only at two ready), so while another active thread is awake, come
  // back every millisecond to look at it. When every thread sleeps, sleep
  // until the next timer; the thread that wakes with work pokes us.
  auto wake_at = until;
  if (thief) {
    for (worker_algo* a : group_.algos) {
      if (a != this && a->active() && !a->sleeping()
          && now + std::chrono::milliseconds(1) < wake_at)
        wake_at = now + std::chrono::milliseconds(1);
    }
  }
  // Only active threads count as sleepers: they are the ones a busy thread
  // wakes to steal.
  const bool counted = active();
  if (counted)
    group_.sleepers.fetch_add(1, std::memory_order_seq_cst);
  {
    std::unique_lock<std::mutex> lk(sleep_mutex_);
    sleeping_.store(true, std::memory_order_seq_cst);
    while (!notified_.load(std::memory_order_seq_cst)) {
      if (wake_at == clock::time_point::max()) {
        sleep_cv_.wait(lk);
      } else if (sleep_cv_.wait_until(lk, wake_at) == std::cv_status::timeout) {
        break;
      }
    }
    sleeping_.store(false, std::memory_order_relaxed);
    notified_.store(false, std::memory_order_relaxed);
  }
  if (counted)
    group_.sleepers.fetch_sub(1, std::memory_order_relaxed);
}

void worker_algo::notify() noexcept {
  remote_pending_.store(true, std::memory_order_relaxed);
  notified_.store(true, std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_seq_cst)) {
    std::lock_guard<std::mutex> lk(sleep_mutex_);
    sleep_cv_.notify_one();
  }
}

} // namespace otp::detail
