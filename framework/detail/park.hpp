#pragma once
/// \file detail/park.hpp
/// Parking a process's fiber and waking it, for every wait of the runtime
/// (receive, sleep, calls, blocking, process_info).
///
/// A parked fiber belongs to no scheduler thread: whoever wakes it puts it
/// on the ready queue of the thread it parked on, from where any idle
/// thread may steal it. Timed waits sit in that thread's timer heap, which
/// an idle thread also serves when the owner is stuck behind a process that
/// does not suspend. So neither a wake-up nor a timeout ever waits for a
/// busy thread.
///
/// Protocol (the epoch is Boost.Fiber's `context::waker_epoch_`):
/// 1. The owner makes a `parker`: it takes a new epoch `e` and records
///    where it parks.
/// 2. It hands `e` to whoever may wake it (the inbox's `waiting(e)` word, a
///    blocking job, a process_info request) and calls `park()`.
/// 3. A waker calls `wake_parked(p, e)`. Among everyone holding `e` (several
///    senders, the timer, a job) exactly one wins the epoch's CAS, and only
///    it resumes the process. Wakers that may race with the process ending
///    count themselves in `process::wakers` first (see mailbox.cpp).

#include <boost/fiber/detail/spinlock.hpp>
#include <boost/intrusive/set.hpp>
#include <pthread.h>

#include <chrono>
#include <cstddef>

namespace boost::fibers {
class context;
} // namespace boost::fibers

namespace otp::detail {

struct process;
class worker_algo;

/// A timed wait in a thread's timer heap.
struct park_timer {
  std::chrono::steady_clock::time_point deadline;
  process* p = nullptr;
  std::size_t epoch = 0;
  /// Links the timer into its thread's set (under that thread's queue lock).
  boost::intrusive::set_member_hook<> hook;
  worker_algo* heap = nullptr;
  /// Set by the firer that won the epoch, before the process resumes.
  bool fired = false;
};

struct park_timer_order {
  bool operator()(const park_timer& a, const park_timer& b) const noexcept {
    return a.deadline < b.deadline;
  }
};
using park_timer_set = boost::intrusive::multiset<
    park_timer,
    boost::intrusive::member_hook<
        park_timer, boost::intrusive::set_member_hook<>, &park_timer::hook>,
    boost::intrusive::compare<park_timer_order>>;

/// What a parked fiber leaves on its stack for its waker.
struct park_record {
  worker_algo* home = nullptr;
  pthread_t thread{};
  /// Held from before the epoch is published until Boost has saved the
  /// fiber's context, so a waker on another thread never resumes a fiber
  /// that is still switching away.
  boost::fibers::detail::spinlock switching;
  park_timer timer;
};

/// One wait of the calling process.
class parker {
public:
  /// Take a new epoch for `p` (the calling process).
  explicit parker(process* p);
  parker(const parker&) = delete;
  parker& operator=(const parker&) = delete;
  ~parker();

  std::size_t epoch() const noexcept { return epoch_; }
  /// Instead of parking: win our own epoch, so that no waker can resume us
  /// any more. True if we did (do not park); false if a waker won it first
  /// (it will resume us: park).
  bool withdraw() noexcept;
  /// Suspend until a waker with `epoch()` resumes the process (true) or
  /// `deadline` passes (false; `time_point::max()` = never). Call once.
  bool park(std::chrono::steady_clock::time_point deadline) noexcept;

private:
  process* p_;
  boost::fibers::context* ctx_;
  std::size_t epoch_;
  park_record rec_;
  boost::fibers::detail::spinlock_lock lk_;
};

/// Let the other ready processes run; the calling process stays ready (its
/// exception state travels with it, as in `park`).
void yield_now() noexcept;

/// Resume `p` if it is parked with epoch `e` and nobody else has resumed it
/// for that epoch; true if this call did. Any thread. The caller guarantees
/// that `p`'s fiber cannot go away meanwhile (`process::wakers`).
bool wake_parked(process* p, std::size_t e) noexcept;

/// Fire `t` (popped from its heap by the caller, with `p->wakers` raised):
/// wake its process onto `into`'s queue if the epoch is still current.
void fire_timer(park_timer* t, worker_algo* into) noexcept;

} // namespace otp::detail
