#pragma once
/// \file detail/scheduler.hpp
/// The Boost.Fiber scheduling algorithm of the runtime's threads.
///
/// - Each thread has a FIFO ready queue and a heap of timed waits, both under
///   one short spin lock. Boost's dispatcher context (which frees finished
///   fibers and serves Boost's own remote queue, used only for the threads'
///   main contexts) waits in a slot of its own: it runs when the queue is
///   empty, when another thread poked us, or after `dispatch_every` picks, so
///   two local processes talking switch directly to each other.
/// - Ready and parked processes belong to no thread. A waker puts a process
///   on the queue of the thread it parked on (`push_ready`, any thread); the
///   thread that picks it adopts it. An idle thread steals one when a victim
///   has two or more ready, or has had one waiting while it made no progress
///   for `stuck_after` (it runs a process that does not suspend); from such
///   a stuck victim it also takes the timed waits that are due. So no wake-up
///   and no timeout waits for a busy thread while another thread is free.
/// - An idle thread spins for `spin` (a wake-up on the other core costs tens
///   of microseconds), then sleeps until notified, until its next timer, or,
///   while another thread is awake, for at most 1 ms, to look at it again.
/// - Spare threads (`active() == false`) run only what is pushed to them and
///   steal nothing, until the runtime's watchdog activates them because
///   active threads are stuck (see runtime.cpp).

#include "framework/detail/park.hpp"
#include "framework/detail/spin_mutex.hpp"

#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/scheduler.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace otp::detail {

class worker_algo;

/// What the scheduler threads of one runtime share.
struct scheduler_group {
  std::vector<worker_algo*> algos; ///< fixed once all threads have started
  /// Keeps every thread's algorithm alive until the runtime is destroyed:
  /// a thread tearing down may still look at another's queue.
  std::vector<boost::intrusive_ptr<boost::fibers::algo::algorithm>> keep;
  /// Set when the threads stop: nobody steals any more.
  std::atomic<bool> stopping{false};
  std::atomic<unsigned> sleepers{0};
  std::chrono::microseconds spin{50};
  std::chrono::microseconds stuck_after{50};

  /// Wake one sleeping active thread other than `except` so it can steal.
  void wake_thief(const worker_algo* except) noexcept;
};

class worker_algo final : public boost::fibers::algo::algorithm {
public:
  using clock = std::chrono::steady_clock;

  worker_algo(scheduler_group& group, unsigned index, bool active) noexcept;

  void awakened(boost::fibers::context* ctx) noexcept override;
  boost::fibers::context* pick_next() noexcept override;
  bool has_ready_fibers() const noexcept override;
  void suspend_until(clock::time_point const& tp) noexcept override;
  void notify() noexcept override;

  /// This thread's Boost.Fiber scheduler (set once, by the thread itself).
  void set_scheduler(boost::fibers::scheduler* s) noexcept;

  /// Queue a woken (detached) process context. Any thread.
  void push_ready(boost::fibers::context* ctx) noexcept;

  // -- timed waits (any thread; the timer lives on the parked stack) --------
  void add_timer(park_timer* t) noexcept;
  /// Remove `t` if it is still in the heap (a firer may have taken it).
  void remove_timer(park_timer* t) noexcept;
  /// Fire the timers due at `now`, waking their processes onto `into`'s
  /// queue. Returns how many were taken.
  unsigned fire_due(clock::time_point now, worker_algo* into) noexcept;

  /// The next context made ready on this thread goes to the front of the
  /// queue: a spawner that let its child run first resumes as soon as the
  /// child suspends (depth first, so a process tree never builds a backlog
  /// of half-started parents). Owner thread only. After `lifo_limit` such
  /// turns in a row the spawner goes to the back, so a spawning loop does
  /// not starve the other ready processes.
  void resume_spawner_first() noexcept { spawner_first_ = true; }

  bool sleeping() const noexcept {
    return sleeping_.load(std::memory_order_seq_cst);
  }
  /// A spare thread is inactive until the watchdog needs it.
  bool active() const noexcept {
    return active_.load(std::memory_order_acquire);
  }
  void set_active(bool on) noexcept;
  unsigned index() const noexcept { return index_; }

  /// For the watchdog: the serial of the process picked last (0 if the
  /// thread is in the scheduler) and how many picks so far.
  std::uint64_t running() const noexcept {
    return running_.load(std::memory_order_relaxed);
  }
  void set_running(std::uint64_t serial) noexcept {
    running_.store(serial, std::memory_order_relaxed);
  }
  std::uint64_t picks() const noexcept {
    return picks_.load(std::memory_order_relaxed);
  }
  /// Processes queued here (ready, not running).
  std::size_t queued() const noexcept {
    return stealable_.load(std::memory_order_relaxed);
  }

private:
  using queue_type = boost::fibers::scheduler::ready_queue_type;

  static constexpr unsigned dispatch_every = 32;
  static constexpr unsigned lifo_limit = 256;

  void enqueue(boost::fibers::context* ctx, bool front) noexcept;
  boost::fibers::context* pop_local() noexcept;
  boost::fibers::context* steal_from_back() noexcept;
  /// True if `victim` makes no progress (picks unchanged since `stuck_after`
  /// ago) while it runs a process; records progress.
  bool stuck(unsigned victim, clock::time_point now) noexcept;
  /// True if some victim has work this thread may take.
  bool may_steal(unsigned victim, clock::time_point now) noexcept;
  boost::fibers::context* try_steal() noexcept;
  /// Due timers of stuck victims, fired onto this thread's queue.
  unsigned rescue_timers(clock::time_point now) noexcept;
  clock::time_point earliest() const noexcept {
    return earliest_.load(std::memory_order_relaxed);
  }
  void note_earliest() noexcept;

  scheduler_group& group_;
  const unsigned index_;
  boost::fibers::scheduler* sched_ = nullptr;
  mutable spin_mutex lock_;
  queue_type queue_;      ///< under lock_
  park_timer_set timers_; ///< under lock_
  std::atomic<clock::time_point> earliest_{clock::time_point::max()};
  std::atomic<std::size_t> stealable_{0}; ///< non-pinned contexts queued
  std::atomic<std::uint64_t> picks_{0};
  std::atomic<std::uint64_t> running_{0};
  std::atomic<bool> active_;
  pthread_t owner_{}; ///< the thread, set by set_scheduler
  boost::fibers::context* dispatcher_ = nullptr; ///< owner only
  unsigned since_dispatch_ = 0;                  ///< owner only
  bool spawner_first_ = false;                   ///< owner only
  bool idle_ = false;                            ///< owner only
  unsigned lifo_streak_ = 0;                     ///< owner only
  std::atomic<bool> remote_pending_{false};
  std::atomic<bool> notified_{false};
  std::atomic<bool> sleeping_{false};
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
  /// Per victim: its pick count when last seen and since when (thief-owned).
  struct seen {
    std::uint64_t picks = 0;
    clock::time_point since{};
  };
  std::vector<seen> seen_;
};

} // namespace otp::detail
