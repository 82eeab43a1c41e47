#include "supervision/restart_intensity.hpp"

#include <algorithm>

namespace otp {

restart_intensity::restart_intensity(int max_restarts,
                                     std::chrono::seconds max_seconds)
    : max_(std::max(max_restarts, 0)),
      period_(std::max(max_seconds, std::chrono::seconds(1))) {}

bool restart_intensity::add(clock::time_point now) {
  const std::int64_t t =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch())
          .count();
  ++total_;
  const std::size_t cap = static_cast<std::size_t>(max_) + 1;
  std::int64_t oldest = 0;
  if (ring_.size() < cap) {
    // Still filling up: fewer than max_ + 1 restarts ever, so within limits
    // unless the buffer just became full.
    ring_.push_back(t);
    if (ring_.size() < cap)
      return true;
    oldest = ring_.front();
  } else {
    ring_[next_] = t;
    next_ = (next_ + 1) % cap;
    oldest = ring_[next_]; // the oldest of the last cap stamps
  }
  // The last max_ + 1 restarts all lie inside the window iff the oldest does
  // (stamps never decrease): then the count in the window exceeds max_.
  return oldest < t - period_.count();
}

void restart_intensity::reset() noexcept {
  ring_.clear();
  next_ = 0;
}

} // namespace otp
