#pragma once
/// \file timing.hpp
/// Small helpers for the few tests whose subject is time itself (timeouts,
/// sleep, queue-length independence). They measure; they never wait.

#include <algorithm>
#include <chrono>
#include <vector>

namespace otp_test {

using clock = std::chrono::steady_clock;

/// How long `fn()` took.
template <class F>
clock::duration time_of(F&& fn) {
  const auto start = clock::now();
  fn();
  return clock::now() - start;
}

/// The median of `samples` (which must not be empty).
inline clock::duration median(std::vector<clock::duration> samples) {
  const auto mid = samples.begin() + static_cast<long>(samples.size() / 2);
  std::nth_element(samples.begin(), mid, samples.end());
  return *mid;
}

} // namespace otp_test
