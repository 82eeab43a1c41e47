// blocking(fn): a call that blocks its OS thread runs on the blocking pool;
// the scheduler thread keeps running other processes; the result or the
// exception comes back to the caller.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using otp_test::eventually;

namespace {

struct blocked_done {
  int result;
};
struct echo_request {
  otp::pid from;
};
struct echo_reply {};
struct stop {};

otp::runtime_options one_thread() {
  return {.threads = 1};
}

/// Answers every echo_request until it gets stop.
void echo_loop() {
  bool running = true;
  while (running)
    otp::receive([](const echo_request& r) { otp::send(r.from, echo_reply{}); },
                 [&](stop) { running = false; });
}

} // namespace

TEST_CASE("while one process is inside blocking() another keeps running on "
          "the same scheduler thread",
          "[framework][blocking]") {
  otp::runtime rt{one_thread()};
  int result = 0;
  long round_trips = 0;
  std::thread::id blocking_thread;
  std::thread::id process_thread;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    process_thread = std::this_thread::get_id();
    otp::spawn([me, &blocking_thread] {
      const int r = otp::blocking([&blocking_thread] {
        blocking_thread = std::this_thread::get_id();
        std::this_thread::sleep_for(200ms);
        return 7;
      });
      otp::send(me, blocked_done{r});
    });
    const otp::pid echo = otp::spawn(echo_loop);
    // Round trips with the echo process until the blocked one reports back.
    // On a single scheduler thread none would complete if blocking() held
    // that thread for the 200 ms.
    bool done = false;
    while (!done) {
      otp::receive(
          [&](blocked_done d) {
            result = d.result;
            done = true;
          },
          otp::after(0ms));
      if (done)
        break;
      otp::send(echo, echo_request{me});
      otp::receive_as<echo_reply>();
      ++round_trips;
    }
    otp::send(echo, stop{});
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(result == 7);
  INFO("round trips while blocked: " << round_trips);
  CHECK(round_trips >= 100);
  CHECK(blocking_thread != process_thread);
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("blocking() returns fn's value, including move-only values and "
          "references",
          "[framework][blocking]") {
  otp::runtime rt{one_thread()};
  std::string text;
  int boxed = 0;
  int* ref_address = nullptr;
  int target = 3;
  const auto reason = rt.run([&] {
    text = otp::blocking([] { return std::string("from the pool"); });
    boxed = *otp::blocking([] { return std::make_unique<int>(11); });
    int& r = otp::blocking([&]() -> int& { return target; });
    ref_address = &r;
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(text == "from the pool");
  CHECK(boxed == 11);
  CHECK(ref_address == &target);
}

TEST_CASE("blocking() with a void fn runs it before returning",
          "[framework][blocking]") {
  otp::runtime rt{one_thread()};
  bool ran = false;
  bool seen_after = false;
  const auto reason = rt.run([&] {
    otp::blocking([&] { ran = true; });
    seen_after = ran;
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(seen_after);
}

TEST_CASE("an exception thrown inside blocking() is rethrown in the caller",
          "[framework][blocking]") {
  otp::runtime rt{one_thread()};
  std::string caught;
  bool continued = false;
  const auto reason = rt.run([&] {
    try {
      otp::blocking([]() -> int { throw std::runtime_error("disk on fire"); });
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    continued = true;
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(caught == "disk on fire");
  CHECK(continued);
}

TEST_CASE("an exception from blocking() that is not caught ends the process",
          "[framework][blocking]") {
  otp_test::log_capture logs; // the crash report is expected
  otp::runtime rt{one_thread()};
  const auto reason = rt.run(
      [] { otp::blocking([] { throw std::length_error("too long"); }); });
  CHECK(reason == otp::exit_reason::exception("std::length_error", "too long"));
  CHECK(logs.wait_for(otp::log_level::error, 1));
}

TEST_CASE("several processes can be inside blocking() at once",
          "[framework][blocking][timing]") {
  // Four calls of 100 ms on a pool of at least four threads overlap.
  otp::runtime rt{otp::runtime_options{.threads = 1, .blocking_threads = 4}};
  std::chrono::steady_clock::duration took{};
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 4; ++i)
      otp::spawn([me] {
        otp::blocking([] { std::this_thread::sleep_for(100ms); });
        otp::send(me, blocked_done{0});
      });
    for (int i = 0; i < 4; ++i)
      otp::receive_as<blocked_done>();
    took = std::chrono::steady_clock::now() - start;
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(took >= 100ms);
  CHECK(took < 350ms);
  CHECK(otp_test::all_exited(rt));
}
