#include "framework/detail/scheduler.hpp"

#include "framework/detail/process.hpp"

namespace otp::detail {

using boost::fibers::context;
using boost::fibers::type;

void scheduler_group::wake_thief(const worker_algo* except) noexcept {
  for (worker_algo* a : algos) {
    if (a != except && a->sleeping()) {
      a->notify();
      return;
    }
  }
  // A thread may have counted itself a sleeper without having set its flag
  // yet; notify one anyway: it checks for a notification before it waits.
  if (sleepers.load(std::memory_order_seq_cst) != 0) {
    for (worker_algo* a : algos) {
      if (a != except) {
        a->notify();
        return;
      }
    }
  }
}

worker_algo::worker_algo(scheduler_group& group, unsigned index) noexcept
    : group_(group),
      index_(index),
      shared_(group.algos.size() > 1) {
  // Each thread registers itself before the runtime lets any of them run.
  group_.algos[index] = this;
}

void worker_algo::awakened(context* ctx) noexcept {
  if (ctx->is_context(type::dispatcher_context)) {
    dispatcher_ = ctx;
    return;
  }
  const bool pinned = ctx->is_context(type::pinned_context);
  // A ready process belongs to no thread until one picks it, so any thread
  // may steal it (Boost.Fiber's work_stealing does the same).
  if (!pinned)
    ctx->detach();
  bool front = false;
  if (spawner_first_) {
    spawner_first_ = false;
    front = ++lifo_streak_ <= lifo_limit;
    if (!front)
      lifo_streak_ = 0;
  }
  if (!shared_) {
    if (front)
      queue_.push_front(*ctx);
    else
      ctx->ready_link(queue_);
    return;
  }
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

context* worker_algo::pop_local() noexcept {
  if (!shared_) {
    if (queue_.empty())
      return nullptr;
    context* ctx = &queue_.front();
    queue_.pop_front();
    return ctx;
  }
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
  if (dispatcher_ != nullptr
      && (++since_dispatch_ >= dispatch_every
          || remote_pending_.load(std::memory_order_relaxed))) {
    ctx = std::exchange(dispatcher_, nullptr);
    since_dispatch_ = 0;
    remote_pending_.store(false, std::memory_order_relaxed);
    running_.store(0, std::memory_order_relaxed);
    return ctx;
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
      // Back to work after being idle: if every other thread sleeps, wake
      // one, so that it watches us (and can take over what queues behind a
      // process that never suspends). Once per idle-to-busy transition.
      idle_ = false;
      if (group_.algos.size() > 1
          && group_.sleepers.load(std::memory_order_relaxed) + 1
                 == group_.algos.size())
        group_.wake_thief(this);
    }
    context::active()->attach(ctx);
    running_.store(serial_of(ctx), std::memory_order_relaxed);
  } else {
    running_.store(0, std::memory_order_relaxed);
  }
  return ctx;
}

bool worker_algo::has_ready_fibers() const noexcept {
  if (!shared_)
    return !queue_.empty();
  std::lock_guard<spin_mutex> lk(lock_);
  return !queue_.empty();
}

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

bool worker_algo::may_steal(unsigned v, clock::time_point now) noexcept {
  worker_algo* victim = group_.algos[v];
  const std::size_t ready = victim->stealable_.load(std::memory_order_relaxed);
  const std::uint64_t picks = victim->picks_.load(std::memory_order_relaxed);
  seen& s = seen_[v];
  if (picks != s.picks || ready == 0) {
    s.picks = picks;
    s.since = now;
  }
  if (ready >= 2)
    return true;
  return ready == 1 && now - s.since >= group_.stuck_after;
}

context* worker_algo::try_steal() noexcept {
  const std::size_t n = group_.algos.size();
  if (n < 2 || group_.stopping.load(std::memory_order_acquire))
    return nullptr;
  if (seen_.size() != n)
    seen_.resize(n);
  const auto now = clock::now();
  for (std::size_t i = 1; i < n; ++i) {
    const unsigned v = static_cast<unsigned>((index_ + i) % n);
    if (may_steal(v, now)) {
      if (context* ctx = group_.algos[v]->steal_from_back())
        return ctx;
    }
  }
  return nullptr;
}

void worker_algo::suspend_until(clock::time_point const& tp) noexcept {
  idle_ = true;
  const std::size_t n = group_.algos.size();
  if (seen_.size() != n)
    seen_.resize(n);
  auto now = clock::now();
  const auto spin_end = now + group_.spin;
  while (now < spin_end && now < tp) {
    if (notified_.exchange(false, std::memory_order_acquire))
      return;
    if (group_.stopping.load(std::memory_order_relaxed))
      break;
    for (std::size_t i = 1; i < n; ++i) {
      if (may_steal(static_cast<unsigned>((index_ + i) % n), now))
        return;
    }
    for (int k = 0; k < 16; ++k)
      __builtin_ia32_pause();
    now = clock::now();
  }
  if (now >= tp)
    return;
  // A thread busy with one long-running process never wakes us (it wakes a
  // thief only at two ready), so while another thread is awake, come back
  // every millisecond to look. When every thread sleeps, sleep until the
  // next timer; the thread that wakes with work pokes us (below).
  auto wake_at = tp;
  for (worker_algo* a : group_.algos) {
    if (a != this && !a->sleeping()
        && now + std::chrono::milliseconds(1) < wake_at)
      wake_at = now + std::chrono::milliseconds(1);
  }
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
