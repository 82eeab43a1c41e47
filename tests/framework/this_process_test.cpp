// yield() and sleep(d): a process giving way to others.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/timing.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using otp_test::eventually;
using otp_test::time_of;

namespace {

struct go {};
struct finished {};

} // namespace

TEST_CASE("two processes on one scheduler thread take turns through yield",
          "[framework][this_process]") {
  // Both wait for `go` first, so that once the parent blocks they are the
  // only ready processes: each yield must hand the thread to the other one.
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  std::string trace;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    auto worker = [me, &trace](char name) {
      otp::receive_as<go>();
      for (int i = 0; i < 5; ++i) {
        trace += name;
        otp::yield();
      }
      otp::send(me, finished{});
    };
    const otp::pid a = otp::spawn(worker, 'a');
    const otp::pid b = otp::spawn(worker, 'b');
    otp::send(a, go{});
    otp::send(b, go{});
    otp::receive_as<finished>();
    otp::receive_as<finished>();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  INFO(trace);
  CHECK(trace.size() == 10);
  // Strict alternation, whichever of the two went first.
  CHECK(std::adjacent_find(trace.begin(), trace.end()) == trace.end());
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("a process that only yields does not starve the others",
          "[framework][this_process]") {
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  std::optional<std::string> got;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    const otp::pid spinner = otp::spawn([] {
      while (!otp::receive([](finished) { return true; },
                           otp::after(0ms, [] { return false; })))
        otp::yield();
    });
    otp::spawn([me] { otp::send(me, std::string("still scheduled")); });
    got = otp::receive_as<std::string>(5s);
    otp::send(spinner, finished{});
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(got == std::optional<std::string>("still scheduled"));
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("sleep(d) suspends the process for at least d",
          "[framework][this_process]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  std::vector<std::chrono::steady_clock::duration> took;
  const auto reason = rt.run([&] {
    for (auto d : {1ms, 10ms, 30ms})
      took.push_back(time_of([d] { otp::sleep(d); }));
  });
  REQUIRE(reason == otp::exit_reason::normal());
  REQUIRE(took.size() == 3);
  CHECK(took[0] >= 1ms);
  CHECK(took[1] >= 10ms);
  CHECK(took[2] >= 30ms);
}

TEST_CASE("messages that arrive during sleep stay queued in order",
          "[framework][this_process]") {
  // One scheduler thread: the sender can only run while the sleeper is
  // suspended, so this also shows that sleep does not hold the thread.
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  std::size_t len = 0;
  std::vector<int> got;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    otp::spawn([me] {
      // Send only once the parent is asleep (process_info says "waiting").
      while (otp::process_info(me)->status != "waiting")
        otp::yield();
      for (int i = 1; i <= 3; ++i)
        otp::send(me, i);
    });
    otp::sleep(50ms);
    len = otp::message_queue_len();
    while (auto v = otp::receive_as<int>(0ms))
      got.push_back(*v);
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(len == 3);
  CHECK(got == std::vector<int>{1, 2, 3});
  CHECK(otp_test::all_exited(rt));
}
