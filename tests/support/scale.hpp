#pragma once
/// \file scale.hpp
/// Test sizes scaled by the environment variable `OTP_TEST_SCALE` (default
/// 1). Sanitizer builds are several times slower and hungrier, so CI runs
/// them with e.g. `OTP_TEST_SCALE=0.1`; the stress tests then use a tenth of
/// their processes and messages, and still assert the same properties.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>

namespace otp_test {

/// The factor from `OTP_TEST_SCALE`, or 1 if it is unset or not a positive
/// number.
inline double test_scale() {
  const char* text = std::getenv("OTP_TEST_SCALE");
  if (text == nullptr)
    return 1.0;
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  return (end != text && v > 0.0) ? v : 1.0;
}

/// `n` scaled by `test_scale()`, at least 1.
inline std::size_t scaled(std::size_t n) {
  const double v = std::round(static_cast<double>(n) * test_scale());
  return std::max<std::size_t>(1, static_cast<std::size_t>(v));
}

} // namespace otp_test
