// The long_schedule watchdog: a process that holds its scheduler thread
// without suspending is reported with a warning naming it, again each time
// its running time doubles, and once more with the total when it suspends;
// a process that yields regularly is not.

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

otp::runtime_options watched() {
  return {.threads = 2, .long_schedule = 50ms};
}

/// Busy for `d` without suspending: the subject of these tests.
void spin_for(clock_type::duration d) {
  const auto until = clock_type::now() + d;
  while (clock_type::now() < until) {
  }
}

} // namespace

namespace {

/// Spin 200 ms in a process spawned under a monitor (after suspending once
/// if `yield_first`); returns its pid once it has ended.
otp::pid run_spinner(otp::runtime& rt, bool yield_first) {
  otp::pid spinner;
  rt.run([&] {
    const auto s = otp::spawn_monitor([yield_first] {
      if (yield_first)
        otp::yield();
      spin_for(200ms);
    });
    spinner = s.pid;
    CHECK(sig::down_reason(s.monitor) == otp::exit_reason::normal());
  });
  return spinner;
}

} // namespace

TEST_CASE("a process that runs 200 ms without suspending is reported with a "
          "warning naming it, again as it goes on, and with its total at the "
          "end",
          "[signals][watchdog]") {
  sig::log_capture logs;
  otp::runtime rt{watched()};
  const otp::pid spinner = run_spinner(rt, true);
  // The final report comes when the watchdog sees it suspend (ms later).
  REQUIRE(sig::eventually(
      [&] { return logs.count(otp::log_level::warning, "ran for") == 1; }));
  // At 50 ms and at 100 ms (200 ms is only just reached, if at all).
  CHECK(logs.count(otp::log_level::warning, "has run for") >= 2);
  CHECK(logs.count(otp::log_level::warning, "has run for") <= 3);
  CHECK(logs.count(otp::log_level::warning, spinner.to_string())
        == logs.count(otp::log_level::warning));
  CHECK(logs.count(otp::log_level::warning, "long_schedule")
        == logs.count(otp::log_level::warning));
  CHECK(logs.count(otp::log_level::error) == 0);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a process that spins from its very start, before it ever "
          "suspended, is reported under its own pid",
          "[signals][watchdog]") {
  // The spinner runs at once when spawned, on its spawner's thread; the
  // spawner suspended before, so the watchdog knows it.
  sig::log_capture logs;
  otp::runtime rt{watched()};
  otp::pid spawner;
  otp::pid spinner;
  rt.run([&] {
    otp::yield();
    spawner = otp::self();
    const auto s = otp::spawn_monitor([] { spin_for(200ms); });
    spinner = s.pid;
    CHECK(sig::down_reason(s.monitor) == otp::exit_reason::normal());
  });
  REQUIRE(sig::eventually(
      [&] { return logs.count(otp::log_level::warning, "ran for") == 1; }));
  CHECK(logs.count(otp::log_level::warning, spinner.to_string()) >= 2);
  CHECK(logs.count(otp::log_level::warning, spawner.to_string()) == 0);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("the long_schedule warnings name the process in log_event::who",
          "[signals][watchdog]") {
  // log_event::who is "the process it is about"; a sink that filters by pid
  // needs it.
  sig::log_capture logs;
  otp::runtime rt{watched()};
  const otp::pid spinner = run_spinner(rt, true);
  REQUIRE(sig::eventually(
      [&] { return logs.count(otp::log_level::warning, "ran for") == 1; }));
  const auto warnings = logs.events(otp::log_level::warning);
  REQUIRE(warnings.size() >= 2);
  for (const auto& w : warnings)
    CHECK(w.who == spinner);
}

TEST_CASE("a process that yields regularly for 200 ms produces no warning",
          "[signals][watchdog]") {
  sig::log_capture logs;
  otp::runtime rt{watched()};
  otp::pid worker;
  std::size_t yields = 0;
  rt.run([&] {
    const auto s = otp::spawn_monitor([&yields] {
      const auto until = clock_type::now() + 200ms;
      while (clock_type::now() < until) {
        spin_for(100us);
        otp::yield();
        ++yields;
      }
    });
    worker = s.pid;
    CHECK(sig::down_reason(s.monitor) == otp::exit_reason::normal());
  });
  CHECK(yields > 100);
  CHECK(logs.count(otp::log_level::warning, worker.to_string()) == 0);
  CHECK(logs.count(otp::log_level::warning) == 0);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("the watchdog is off with long_schedule = 0", "[signals][watchdog]") {
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2, .long_schedule = 0ms}};
  rt.run([&] {
    const auto s = otp::spawn_monitor([] { spin_for(100ms); });
    CHECK(sig::down_reason(s.monitor) == otp::exit_reason::normal());
  });
  CHECK(logs.count(otp::log_level::warning) == 0);
}

TEST_CASE("a process queued behind a long-running one is taken over by the "
          "idle scheduler thread",
          "[signals][watchdog]") {
  // runtime.hpp: "an idle thread steals from a busy one". The spinner runs
  // at once on this process's thread and holds it; this process is ready
  // behind it, and the second thread is idle. The spin is bounded (2 s) so
  // that the test cannot hang if nobody takes this process over.
  otp::runtime rt{{.threads = 2, .long_schedule = 0ms}};
  std::atomic<bool> stop{false};
  std::atomic<bool> stopped_by_other{false};
  rt.run([&] {
    otp::sleep(20ms); // the other thread is idle long enough to sleep
    otp::spawn([&] {
      const auto give_up = clock_type::now() + 2s;
      while (!stop && clock_type::now() < give_up) {
      }
      stopped_by_other = stop.load();
    });
    stop = true; // runs only once another thread has taken this process
  });
  // The spinner stores its verdict after run() returns (it runs on the other
  // thread): wait for it to end before reading it.
  REQUIRE(sig::settles(rt));
  CHECK(stopped_by_other);
}
