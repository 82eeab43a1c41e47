#pragma once
/// \file detail/scheduler.hpp
/// The Boost.Fiber scheduling algorithm of the runtime's threads.
///
/// - Each thread has a FIFO ready queue. Boost's dispatcher context (which
///   moves remote wake-ups and expired timers to the ready queue) waits in a
///   slot of its own: it runs when the queue is empty, when another thread
///   has woken one of ours, or after `dispatch_every` picks, so two local
///   processes talking switch directly to each other instead of through it,
///   and timers are still served on a thread that is always busy.
/// - Ready processes are detached from their thread; an idle thread steals
///   one when a victim has two or more ready, or has had one waiting while
///   it made no progress for `stuck_after` (a long-running process). Two
///   processes that talk therefore stay on one thread.
/// - An idle thread spins for `spin` (a wake-up on the other core costs tens
///   of microseconds), then sleeps on a condition variable until notified or
///   until the next timer is due.
/// - A thread whose queue grows to two wakes a sleeping thread to steal.

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

  /// Wake one sleeping thread other than `except` so it can steal.
  void wake_thief(const worker_algo* except) noexcept;
};

class worker_algo final : public boost::fibers::algo::algorithm {
public:
  worker_algo(scheduler_group& group, unsigned index) noexcept;

  void awakened(boost::fibers::context* ctx) noexcept override;
  boost::fibers::context* pick_next() noexcept override;
  bool has_ready_fibers() const noexcept override;
  void suspend_until(
      std::chrono::steady_clock::time_point const& tp) noexcept override;
  void notify() noexcept override;

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

private:
  using queue_type = boost::fibers::scheduler::ready_queue_type;
  using clock = std::chrono::steady_clock;

  static constexpr unsigned dispatch_every = 32;
  static constexpr unsigned lifo_limit = 256;

  boost::fibers::context* pop_local() noexcept;
  boost::fibers::context* steal_from_back() noexcept;
  /// True if some victim has work this thread may take; records progress.
  bool may_steal(unsigned victim, clock::time_point now) noexcept;
  boost::fibers::context* try_steal() noexcept;

  scheduler_group& group_;
  const unsigned index_;
  mutable spin_mutex lock_;
  queue_type queue_;
  std::atomic<std::size_t> stealable_{0}; ///< non-pinned contexts queued
  std::atomic<std::uint64_t> picks_{0};
  std::atomic<std::uint64_t> running_{0};
  boost::fibers::context* dispatcher_ = nullptr; ///< owner only
  unsigned since_dispatch_ = 0;                  ///< owner only
  bool spawner_first_ = false;                   ///< owner only
  bool idle_ = false;                            ///< owner only
  unsigned lifo_streak_ = 0;                     ///< owner only
  const bool shared_; ///< more than one thread: queue needs the lock
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
