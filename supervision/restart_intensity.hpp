#pragma once
/// \file restart_intensity.hpp
/// `restart_intensity`: the supervisor's "at most `max_restarts` restarts
/// within `max_seconds`" rule (docs/semantics.md items 68), as a pure counter
/// with no processes, so it is unit-testable with made-up times.
///
/// As in OTP's `add_restart/3`, restarts are stamped in whole monotonic
/// seconds and a restart stamped `R` is inside the window at `now` while
/// `R >= now - max_seconds`. Only the last `max_restarts + 1` stamps matter,
/// so they live in a ring buffer (grown on demand) and `add` is O(1): the
/// limit is exceeded exactly when the oldest of the last `max_restarts + 1`
/// restarts is still inside the window. Never walks the history.
///
/// Not thread-safe: owned by one supervisor process.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace otp {

/// A sliding-window restart counter.
class restart_intensity {
public:
  using clock = std::chrono::steady_clock;

  /// Elixir's default: 3 restarts in 5 seconds. `max_restarts` 0: the first
  /// restart already exceeds it. Negative values or a period below one
  /// second are rejected by the supervisor before it builds one; here they
  /// behave as 0 and 1 s.
  explicit restart_intensity(
      int max_restarts = 3,
      std::chrono::seconds max_seconds = std::chrono::seconds(5));

  /// Record a restart at `now`. Returns true if the supervisor may restart
  /// (at most `max_restarts` restarts in the window, this one included),
  /// false if the intensity is exceeded and the supervisor must give up.
  /// `now` must not go backwards.
  bool add(clock::time_point now = clock::now());

  /// Forget every restart.
  void reset() noexcept;

  int max_restarts() const noexcept { return max_; }
  std::chrono::seconds max_seconds() const noexcept { return period_; }
  /// Restarts recorded so far (in total, not only in the window).
  std::uint64_t total() const noexcept { return total_; }

private:
  int max_;
  std::chrono::seconds period_;
  std::vector<std::int64_t> ring_; ///< stamps, in whole seconds
  std::size_t next_ = 0;           ///< where the next stamp goes once full
  std::uint64_t total_ = 0;
};

} // namespace otp
