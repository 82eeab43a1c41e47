#pragma once
/// \file detail/timer_service.hpp
/// The runtime's timers: one thread, an ordered map by deadline and a hash
/// map by id, under one mutex. O(log n) per add, cancel and expiry. A timer
/// fires while the lock is held, so `cancel_timer` either removes a timer
/// before it fires or finds its message already delivered (which makes the
/// flush variant exact).
///
/// A timer that never fires has the deadline `time_point::max()`; it stays
/// until it is cancelled or its target ends. Timers of ended targets are
/// swept (disposed without firing) whenever the number of timers has doubled
/// since the last sweep, so a dead process's never-firing timers cannot
/// pile up: amortised O(1) per add.
///
/// An interval timer (`send_interval`) keeps its envelope as a prototype and
/// delivers a copy each time it fires; then it moves to its next deadline
/// (the previous one plus the period: fixed rate, no drift) in the same
/// maps, without allocating. It ends with its `link` pid (the target, or the
/// process a name was registered to when it was created).

#include "framework/message.hpp"
#include "framework/pid.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace otp::detail {

class runtime_impl;

class timer_service {
public:
  using clock = std::chrono::steady_clock;

  explicit timer_service(runtime_impl& rt) : rt_(rt) {}
  ~timer_service();
  void start();
  void stop();

  /// What makes a timer an interval timer.
  struct interval {
    clock::duration period; ///< > 0
    /// A copy of the prototype envelope, with its tag.
    envelope* (*copy)(const envelope*);
    /// Ends the interval when it ends (null: only `to` does).
    pid link;
  };
  /// What `cancel` found.
  struct cancelled {
    /// The time the timer had left (`duration::max()` if it never fires),
    /// or nothing (not pending, or its target ended).
    std::optional<clock::duration> left;
    /// It was an interval timer (its earlier copies may be queued).
    bool interval = false;
  };

  /// Take `e` (disposed if this throws) and deliver it to `to` (or to the
  /// process registered as `name`) at `when` (`time_point::max()`: never);
  /// with `every`, again each `every->period` after that.
  void add(std::uint64_t id, pid to, std::string name, clock::time_point when,
           envelope* e, std::unique_ptr<interval> every = nullptr);
  /// Remove a pending timer.
  cancelled cancel(std::uint64_t id);
  /// The time a pending timer has left, as `cancel` reports it.
  std::optional<clock::duration> read(std::uint64_t id);
  std::size_t pending();

private:
  struct entry {
    std::uint64_t id;
    pid to;
    std::string name;
    envelope* e;
    std::unique_ptr<interval> every; ///< null: fires once
  };
  using by_time = std::multimap<clock::time_point, entry>;
  void loop();
  /// Deliver `e` to `t`'s target (or dispose it if there is none now).
  void deliver(const entry& t, envelope* e) noexcept;
  /// Fire the interval timer `it` (the earliest) and move it to its next
  /// deadline; `lk` may be released meanwhile (to dispose or to log).
  void fire_interval(by_time::iterator it,
                     std::unique_lock<std::mutex>& lk) noexcept;
  /// The timer's target (or the interval's link) has ended.
  static bool ended(const entry& t) noexcept;
  /// Unlink the timers of ended targets; the caller disposes them unlocked.
  void sweep_dead(std::vector<envelope*>& out);

  runtime_impl& rt_;
  std::mutex m_;
  std::condition_variable cv_;
  by_time timers_;
  std::unordered_map<std::uint64_t, by_time::iterator> by_id_;
  bool stop_ = false;
  std::size_t sweep_at_ = 1024; ///< sweep when this many timers are pending
  std::thread thread_;
};

} // namespace otp::detail
