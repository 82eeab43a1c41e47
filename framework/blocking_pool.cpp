#include "framework/detail/blocking_pool.hpp"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>

namespace otp::detail {

namespace {

using clock = std::chrono::steady_clock;
using state = blocking_job_state;

constexpr unsigned max_max_threads = 65536;
constexpr std::size_t min_stack = std::size_t{64} * 1024;
constexpr std::size_t max_stack = std::size_t{1} << 30;
constexpr std::size_t max_name = 15; // pthread_setname_np: 16 with the NUL

const blocking_threads_options& validated(const blocking_threads_options& o) {
  const std::string prefix = "blocking_threads_options::";
  if (o.max_threads < 1 || o.max_threads > max_max_threads)
    throw std::invalid_argument(prefix
                                + "max_threads must be between 1 and 65536 "
                                  "(got "
                                + std::to_string(o.max_threads) + ")");
  if (o.keep_alive.count() < 0)
    throw std::invalid_argument(prefix + "keep_alive must not be negative");
  if (o.stack_size != 0
      && (o.stack_size < min_stack || o.stack_size > max_stack))
    throw std::invalid_argument(
        prefix
        + "stack_size must be 0 (the system default) or between 65536 and "
          "1073741824 bytes (got "
        + std::to_string(o.stack_size) + ")");
  if (o.name.empty() || o.name.size() > max_name)
    throw std::invalid_argument(
        prefix + "name must have 1 to 15 characters (got \"" + o.name + "\")");
  return o;
}

/// `now + d`, saturating; negative = now.
clock::time_point deadline_after(clock::duration d) noexcept {
  const auto now = clock::now();
  if (d <= clock::duration::zero())
    return now;
  if (d >= clock::time_point::max() - now)
    return clock::time_point::max();
  return now + d;
}

void* thread_main(void* arg) noexcept; // NOLINT(bugprone-exception-escape)

} // namespace

/// One pool thread. Lives on that thread's stack; `stop` reaches it through
/// the job it runs (`blocking_job::runner_`), under the lock.
struct blocking_worker {
  pthread_t handle;
  bool detached = false; ///< by stop(): it will not be joined
};

/// What the pool and its threads share. A thread holds a reference for as
/// long as it runs, so an orphaned thread outlives the pool object safely.
struct blocking_threads_core
    : std::enable_shared_from_this<blocking_threads_core> {
  /// An intrusive list through `blocking_job::prev_/next_`: no allocation
  /// on submit, O(1) removal on cancel.
  struct job_list {
    blocking_job* head = nullptr;
    blocking_job* tail = nullptr;
    std::size_t size = 0;

    void push_back(blocking_job* j) noexcept {
      j->prev_ = tail;
      j->next_ = nullptr;
      (tail ? tail->next_ : head) = j;
      tail = j;
      ++size;
    }
    void erase(blocking_job* j) noexcept {
      (j->prev_ ? j->prev_->next_ : head) = j->next_;
      (j->next_ ? j->next_->prev_ : tail) = j->prev_;
      j->prev_ = j->next_ = nullptr;
      --size;
    }
    blocking_job* pop_front() noexcept {
      blocking_job* j = head;
      if (j)
        erase(j);
      return j;
    }
  };

  explicit blocking_threads_core(const blocking_threads_options& o)
      : opts(validated(o)) {
    pthread_attr_init(&attr);
    if (opts.stack_size != 0) {
      const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
      pthread_attr_setstacksize(&attr,
                                (opts.stack_size + page - 1) / page * page);
    }
  }
  ~blocking_threads_core() { pthread_attr_destroy(&attr); }

  void serve() noexcept;
  blocking_threads::submit_result submit(blocking_job& j) noexcept;
  void stop(clock::duration grace, blocking_threads::stop_report* report);

  const blocking_threads_options opts;
  pthread_attr_t attr;

  mutable std::mutex m;
  std::condition_variable work_cv; ///< idle threads wait here
  std::condition_variable exit_cv; ///< stop waits here
  job_list queue;
  job_list running;
  std::size_t threads = 0;  ///< alive (starting and detached included)
  std::size_t detached = 0; ///< alive and detached by stop
  std::size_t idle = 0;     ///< waiting, not claimed by a submit
  std::size_t wakeups = 0;  ///< claimed idle threads not awake yet
  std::size_t starting = 0; ///< created, not yet at the queue
  std::size_t peak = 0;
  std::uint64_t spawn_failures = 0;
  bool stopping = false; ///< stop() has begun
  /// The last thread that exited, not joined yet: the next one to exit (or
  /// stop) joins it, so exited threads never pile up unjoined.
  bool has_last = false;
  pthread_t last_exited{};
};

namespace {

// shared_from_this cannot throw: the pool holds the core in a shared_ptr
// while its threads run.
// NOLINTNEXTLINE(bugprone-exception-escape)
void* thread_main(void* arg) noexcept {
  auto* c = static_cast<blocking_threads_core*>(arg);
  // Counted in `threads`, so stop (and the pool's destructor) waits for us:
  // the pool still owns the core here.
  const std::shared_ptr<blocking_threads_core> keep = c->shared_from_this();
  pthread_setname_np(pthread_self(), c->opts.name.c_str());
  c->serve();
  return nullptr;
}

} // namespace

// -- pool threads -------------------------------------------------------------

void blocking_threads_core::serve() noexcept {
  blocking_worker self{pthread_self()};
  std::unique_lock<std::mutex> lk(m);
  --starting;
  for (;;) {
    if (blocking_job* j = stopping ? nullptr : queue.pop_front()) {
      j->state_.store(state::running, std::memory_order_release);
      j->runner_ = &self;
      j->runner_id_.store(std::this_thread::get_id(),
                          std::memory_order_relaxed);
      j->started_ = clock::now();
      running.push_back(j);
      lk.unlock();
      j->run_(*j);
      // Against orphan(): exactly one of us moves the job on from running.
      auto expected = state::running;
      if (j->state_.compare_exchange_strong(expected, state::completing,
                                            std::memory_order_acq_rel)) {
        if (j->done_)
          j->done_(*j);
        j->state_.store(state::finished, std::memory_order_release);
      }
      lk.lock();
      running.erase(j);
      j->runner_ = nullptr;
      if (stopping)
        exit_cv.notify_all();
      // The last reference may run the owner's destructor: not under the
      // lock.
      lk.unlock();
      intrusive_ptr_release(j);
      lk.lock();
      continue;
    }
    if (stopping)
      break;
    ++idle;
    const auto deadline = deadline_after(opts.keep_alive);
    bool claimed = false;
    for (;;) {
      if (wakeups > 0) { // a submit took us out of `idle` for its job
        --wakeups;
        claimed = true;
        break;
      }
      if (stopping
          || (work_cv.wait_until(lk, deadline) == std::cv_status::timeout
              && wakeups == 0)) {
        --idle;
        break;
      }
    }
    if (!claimed)
      break;
  }
  --threads;
  bool join_prev = false;
  pthread_t prev{};
  if (self.detached) {
    --detached;
  } else {
    join_prev = std::exchange(has_last, true);
    prev = std::exchange(last_exited, self.handle);
  }
  exit_cv.notify_all();
  lk.unlock();
  if (join_prev)
    pthread_join(prev, nullptr);
}

// -- submit -------------------------------------------------------------------

blocking_threads::submit_result
blocking_threads_core::submit(blocking_job& j) noexcept {
  using result = blocking_threads::submit_result;
  std::size_t wake = 0;
  std::size_t spawn = 0;
  result r = result::started;
  {
    std::lock_guard<std::mutex> lk(m);
    if (stopping || j.state_.load(std::memory_order_relaxed) != state::created)
      return result::rejected;
    intrusive_ptr_add_ref(&j);
    j.state_.store(state::queued, std::memory_order_release);
    queue.push_back(&j);
    // Every queued job needs a thread on its way to the queue (a woken idle
    // one or a new one) unless all `max_threads` are busy: then one of those
    // takes it when its job ends. A shortfall left by a failed creation is
    // made up here too.
    while (queue.size > wakeups + starting) {
      if (idle > 0) {
        --idle;
        ++wakeups;
        ++wake;
      } else if (threads < opts.max_threads) {
        ++threads;
        ++starting;
        ++spawn;
        peak = std::max(peak, threads);
      } else {
        r = result::queued;
        break;
      }
    }
  }
  for (; wake > 0; --wake)
    work_cv.notify_one();
  // Outside the lock: creating a thread takes tens of microseconds, and
  // scheduler threads submit.
  const create_thread_fn create =
      opts.create_thread ? opts.create_thread : &pthread_create;
  for (; spawn > 0; --spawn) {
    pthread_t t;
    if (create(&t, &attr, &thread_main, this) == 0)
      continue;
    std::lock_guard<std::mutex> lk(m);
    threads -= spawn;
    starting -= spawn;
    spawn_failures += 1;
    exit_cv.notify_all();
    return result::no_thread;
  }
  return r;
}

// -- stop ---------------------------------------------------------------------

void blocking_threads_core::stop(clock::duration grace,
                                 blocking_threads::stop_report* report) {
  const auto deadline = deadline_after(grace);
  const auto me = std::this_thread::get_id();
  job_list dropped;
  blocking_job* was_running = nullptr; // through stop_next_, referenced
  blocking_job* self_job = nullptr;    // we are inside its run or done
  {
    std::lock_guard<std::mutex> lk(m);
    if (stopping)
      return;
    stopping = true;
    while (blocking_job* j = queue.pop_front()) {
      j->state_.store(state::dropped, std::memory_order_release);
      dropped.push_back(j);
    }
    for (blocking_job* j = running.head; j; j = j->next_) {
      intrusive_ptr_add_ref(j);
      j->stop_next_ = was_running;
      was_running = j;
      if (j->runner_id_.load(std::memory_order_relaxed) == me)
        self_job = j;
    }
  }
  work_cv.notify_all();
  // Stop callbacks are the jobs' code: outside the lock.
  for (blocking_job* j = was_running; j; j = j->stop_next_)
    j->stop_.request_stop();
  {
    std::unique_lock<std::mutex> lk(m);
    exit_cv.wait_until(lk, deadline,
                       [&] { return running.size == (self_job ? 1u : 0u); });
  }
  for (blocking_job* j = was_running; j; j = j->stop_next_) {
    auto expected = state::running;
    j->stop_orphaned_ = j->state_.compare_exchange_strong(
        expected, state::orphaned, std::memory_order_acq_rel);
    // A `done` in progress ends soon; then its thread exits on its own.
    if (!j->stop_orphaned_ && j != self_job)
      while (j->state_.load(std::memory_order_acquire) == state::completing)
        std::this_thread::yield();
    std::lock_guard<std::mutex> lk(m);
    const bool orphaned =
        j->state_.load(std::memory_order_acquire) == state::orphaned;
    if (j->runner_ && (orphaned || j == self_job)) {
      // Still inside `run` (or it is us): never joined, left to end alone.
      j->runner_->detached = true;
      ++detached;
      pthread_detach(j->runner_->handle);
    }
    // Jobs the owner orphaned earlier are named too while still running.
    j->stop_orphaned_ = j->stop_orphaned_ || (orphaned && j->runner_);
  }
  bool join_last = false;
  pthread_t last{};
  {
    std::unique_lock<std::mutex> lk(m);
    exit_cv.wait(lk, [&] { return threads == detached; });
    join_last = std::exchange(has_last, false);
    last = last_exited;
  }
  if (join_last)
    pthread_join(last, nullptr);
  // The report last: if it cannot be allocated the pool is stopped anyway.
  struct release_all {
    job_list& dropped;
    blocking_job* was_running;
    ~release_all() {
      while (blocking_job* j = dropped.pop_front())
        intrusive_ptr_release(j);
      while (blocking_job* j = was_running) {
        was_running = j->stop_next_;
        intrusive_ptr_release(j);
      }
    }
  } release{dropped, was_running};
  if (!report)
    return;
  const auto now = clock::now();
  report->dropped.reserve(dropped.size);
  for (blocking_job* j = dropped.head; j; j = j->next_)
    report->dropped.emplace_back(j);
  for (blocking_job* j = was_running; j; j = j->stop_next_)
    if (j->stop_orphaned_)
      report->orphaned.push_back(
          {blocking_job_ptr(j), j->user_, now - j->started_});
}

// -- blocking_threads ---------------------------------------------------------

blocking_threads::blocking_threads(const blocking_threads_options& opts)
    : core_(std::make_shared<blocking_threads_core>(opts)) {}

blocking_threads::~blocking_threads() {
  core_->stop({}, nullptr);
}

blocking_threads::submit_result
blocking_threads::submit(const blocking_job_ptr& job) noexcept {
  if (!job)
    return submit_result::rejected;
  return core_->submit(*job);
}

blocking_threads::cancel_result
blocking_threads::cancel(blocking_job& j) noexcept {
  bool removed = false;
  {
    std::lock_guard<std::mutex> lk(core_->m);
    switch (j.state_.load(std::memory_order_acquire)) {
    case state::created:
      j.state_.store(state::cancelled, std::memory_order_release);
      return cancel_result::removed;
    case state::queued:
      core_->queue.erase(&j);
      j.state_.store(state::cancelled, std::memory_order_release);
      removed = true;
      break;
    case state::cancelled:
    case state::dropped:
      return cancel_result::removed;
    case state::running:
      break;
    case state::orphaned:
      if (j.runner_)
        break;
      return cancel_result::finished;
    case state::completing:
    case state::finished:
      return cancel_result::finished;
    }
  }
  if (removed) {
    intrusive_ptr_release(&j); // the queue's; the caller still holds one
    return cancel_result::removed;
  }
  j.stop_.request_stop();
  return cancel_result::running;
}

bool blocking_threads::orphan(blocking_job& j) noexcept {
  bool removed = false;
  {
    std::lock_guard<std::mutex> lk(core_->m);
    const state s = j.state_.load(std::memory_order_acquire);
    if (s == state::created) {
      j.state_.store(state::cancelled, std::memory_order_release);
      return false;
    }
    if (s == state::queued) {
      core_->queue.erase(&j);
      j.state_.store(state::cancelled, std::memory_order_release);
      removed = true;
    }
  }
  if (removed) {
    intrusive_ptr_release(&j);
    return false;
  }
  auto expected = state::running;
  if (j.state_.compare_exchange_strong(expected, state::orphaned,
                                       std::memory_order_acq_rel)) {
    j.stop_.request_stop();
    return true;
  }
  // `done` is executing: once we return it must be over, unless it is our
  // caller.
  if (j.runner_id_.load(std::memory_order_relaxed)
      != std::this_thread::get_id())
    while (j.state_.load(std::memory_order_acquire) == state::completing)
      std::this_thread::yield();
  return false;
}

blocking_threads::stop_report
blocking_threads::stop(std::chrono::steady_clock::duration grace) {
  stop_report report;
  core_->stop(grace, &report);
  return report;
}

bool blocking_threads::stopped() const noexcept {
  std::lock_guard<std::mutex> lk(core_->m);
  return core_->stopping;
}

blocking_threads_stats blocking_threads::stats() const noexcept {
  std::lock_guard<std::mutex> lk(core_->m);
  const blocking_threads_core& c = *core_;
  return {c.threads,    c.idle, c.running.size,
          c.queue.size, c.peak, c.spawn_failures};
}

const blocking_threads_options& blocking_threads::options() const noexcept {
  return core_->opts;
}

} // namespace otp::detail
