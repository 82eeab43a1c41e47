// restart_intensity: the pure sliding-window counter [sem:68].

#include "supervision/restart_intensity.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace std::chrono_literals;

namespace {
using clock_t_ = otp::restart_intensity::clock;
clock_t_::time_point at(std::chrono::milliseconds t) {
  return clock_t_::time_point(std::chrono::hours(1000) + t);
}
} // namespace

TEST_CASE("the default allows three restarts in five seconds",
          "[supervision][intensity][sem:68]") {
  otp::restart_intensity r;
  CHECK(r.max_restarts() == 3);
  CHECK(r.max_seconds() == 5s);
  CHECK(r.add(at(0ms)));
  CHECK(r.add(at(100ms)));
  CHECK(r.add(at(200ms)));
  CHECK_FALSE(r.add(at(300ms)));
}

TEST_CASE("max_restarts zero fails on the first restart",
          "[supervision][intensity][sem:68]") {
  otp::restart_intensity r(0, 5s);
  CHECK_FALSE(r.add(at(0ms)));
}

TEST_CASE("restarts older than the window are forgotten",
          "[supervision][intensity][sem:68]") {
  otp::restart_intensity r(2, 5s);
  CHECK(r.add(at(0s)));
  CHECK(r.add(at(1s)));
  // 0 s is still inside the window at 5 s (R >= Now - Period, in seconds).
  CHECK_FALSE(r.add(at(5s)));
  otp::restart_intensity s(2, 5s);
  CHECK(s.add(at(0s)));
  CHECK(s.add(at(1s)));
  CHECK(s.add(at(6s)));          // 0 s has left the window
  CHECK(s.add(at(11s) + 500ms)); // 6 s and 11 s are inside at 11 s
  CHECK(s.add(at(12s)));         // 11 s and 12 s are inside at 12 s
  CHECK_FALSE(s.add(at(12s) + 1ms));
}

TEST_CASE("stamps are whole monotonic seconds as in OTP",
          "[supervision][intensity][sem:68]") {
  otp::restart_intensity r(1, 1s);
  CHECK(r.add(at(0ms)));
  // 1.9 s later is second 1: second 0 is still inside a 1 s window.
  CHECK_FALSE(r.add(at(1900ms)));
}

TEST_CASE("a long steady restart rate below the limit never trips it",
          "[supervision][intensity][sem:68]") {
  otp::restart_intensity r(3, 5s);
  // One restart every 2 s: at most 3 stamps in any window of 5 s.
  for (int i = 0; i < 100000; ++i)
    REQUIRE(r.add(at(std::chrono::milliseconds(i * 2000))));
  CHECK(r.total() == 100000);
}

TEST_CASE("a burst after a quiet period is counted from scratch",
          "[supervision][intensity][sem:68]") {
  otp::restart_intensity r(3, 5s);
  for (int i = 0; i < 3; ++i)
    CHECK(r.add(at(std::chrono::milliseconds(i))));
  for (int i = 0; i < 3; ++i)
    CHECK(r.add(at(60s + std::chrono::milliseconds(i))));
  CHECK_FALSE(r.add(at(61s)));
  r.reset();
  CHECK(r.add(at(61s)));
}

TEST_CASE("a large limit grows its buffer only as restarts come",
          "[supervision][intensity][sem:68]") {
  otp::restart_intensity r(1000000, 1s);
  for (int i = 0; i < 1000; ++i)
    REQUIRE(r.add(at(0ms)));
}
