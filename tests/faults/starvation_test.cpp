// No process can starve others. A process that never suspends (a busy loop,
// or a blocking OS call made directly) holds one scheduler thread; the
// processes that were parked on that thread must still get their timeouts,
// `after` clauses and messages within a few milliseconds, from the other
// threads; when every thread is held, spare threads stand in.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct late {
  clock_type::duration by;
};
struct pong {
  clock_type::duration after;
};
struct poke {
  otp::pid from;
  clock_type::time_point sent;
};
struct hogging {};

enum class hog_kind { spin, sleep_for };

/// Hold the calling scheduler thread for `d` without suspending.
void hog(hog_kind how, clock_type::duration d) {
  if (how == hog_kind::sleep_for) {
    std::this_thread::sleep_for(d);
    return;
  }
  const auto until = clock_type::now() + d;
  while (clock_type::now() < until) {
  }
}

/// Spawn `n` processes on the calling process's thread (a spawned child
/// runs at once on its spawner's thread), each waiting `timeout` in a
/// receive ... after and then reporting how late the timeout came.
void spawn_waiters(int n, clock_type::duration timeout, const otp::pid& to) {
  for (int i = 0; i < n; ++i) {
    otp::spawn([to, timeout] {
      const auto start = clock_type::now();
      otp::receive(otp::after(timeout));
      otp::send(to, late{clock_type::now() - start - timeout});
    });
  }
}

clock_type::duration worst(const std::vector<clock_type::duration>& v) {
  return v.empty() ? clock_type::duration::max()
                   : *std::max_element(v.begin(), v.end());
}

} // namespace

TEST_CASE("timeouts parked behind a process that holds its thread fire on "
          "time on the other thread",
          "[faults][starvation][timing]") {
  const hog_kind how = GENERATE(hog_kind::spin, hog_kind::sleep_for);
  const unsigned threads = GENERATE(2u, 4u);
  INFO((how == hog_kind::spin ? "busy loop" : "sleep_for")
       << " on " << threads << " threads");
  otp_test::log_capture logs; // the long_schedule warnings are expected
  otp::runtime rt{{.threads = threads}};
  std::vector<clock_type::duration> lateness;
  rt.run([&] {
    const otp::pid me = otp::self();
    otp::spawn([me, how] {
      spawn_waiters(40, 30ms, me); // parked on this thread...
      hog(how, 1s);                // ...which this process now holds
    });
    for (int i = 0; i < 40; ++i) {
      const auto l = otp::receive_as<late>(5s);
      if (!l)
        break;
      lateness.push_back(l->by);
    }
  });
  REQUIRE(lateness.size() == 40);
  // "Within a few milliseconds of due", on a loaded two-core machine.
  CHECK(worst(lateness) < 25ms);
}

TEST_CASE("messages to processes parked behind a process that holds its "
          "thread are handled on the other thread",
          "[faults][starvation][timing]") {
  otp_test::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  std::vector<clock_type::duration> delays;
  rt.run([&] {
    const otp::pid me = otp::self();
    otp::spawn([me] {
      for (int i = 0; i < 20; ++i) {
        otp::send(me, otp::spawn([] {
                    const auto p = otp::receive_as<poke>();
                    otp::send(p.from, pong{clock_type::now() - p.sent});
                  }));
      }
      otp::send(me, hogging{}); // nothing suspends between this and the hog
      hog(hog_kind::spin, 1s);
    });
    std::vector<otp::pid> parked;
    for (int i = 0; i < 20; ++i)
      parked.push_back(otp::receive_as<otp::pid>());
    otp::receive([](hogging) {});
    for (const auto& p : parked)
      otp::send(p, poke{otp::self(), clock_type::now()});
    for (int i = 0; i < 20; ++i) {
      const auto r = otp::receive_as<pong>(5s);
      if (!r)
        break;
      delays.push_back(r->after);
    }
  });
  REQUIRE(delays.size() == 20);
  CHECK(worst(delays) < 25ms);
}

TEST_CASE("processes woken by a process that then holds its thread are "
          "taken over by the other thread",
          "[faults][starvation][timing]") {
  // A woken process is queued on its waker's thread. When the waker then
  // never suspends, what it woke sits behind it until an idle thread sees
  // that thread make no pick for 1 ms and steals.
  otp_test::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  std::vector<clock_type::duration> delays;
  rt.run([&] {
    const otp::pid me = otp::self();
    otp::spawn([me] {
      std::vector<otp::pid> parked; // each runs to its receive at once
      for (int i = 0; i < 20; ++i)
        parked.push_back(otp::spawn([me] {
          const auto p = otp::receive_as<poke>();
          otp::send(me, pong{clock_type::now() - p.sent});
        }));
      for (const auto& p : parked)
        otp::send(p, poke{me, clock_type::now()});
      hog(hog_kind::spin, 1s); // nothing suspends after the sends
    });
    for (int i = 0; i < 20; ++i) {
      const auto r = otp::receive_as<pong>(5s);
      if (!r)
        break;
      delays.push_back(r->after);
    }
  });
  REQUIRE(delays.size() == 20);
  CHECK(worst(delays) < 25ms);
}

TEST_CASE("when processes hold every scheduler thread, spare threads serve "
          "the others",
          "[faults][starvation][timing]") {
  otp_test::log_capture logs;
  otp::runtime rt{{.threads = 2}}; // and, by default, 2 spare threads
  std::vector<clock_type::duration> lateness;
  rt.run([&] {
    const otp::pid me = otp::self();
    // Two hogs, one per thread, each with waiters parked behind it.
    for (int h = 0; h < 2; ++h) {
      otp::spawn([me] {
        spawn_waiters(10, 50ms, me);
        hog(hog_kind::spin, 1s);
      });
    }
    for (int i = 0; i < 20; ++i) {
      const auto l = otp::receive_as<late>(5s);
      if (!l)
        break;
      lateness.push_back(l->by);
    }
  });
  REQUIRE(lateness.size() == 20);
  // The spares start within the watchdog's hand-off time (10 ms + a tick).
  CHECK(worst(lateness) < 40ms);
}

TEST_CASE("with no spare threads, processes that hold every thread stall "
          "the others until they suspend, and are reported",
          "[faults][starvation][timing]") {
  // What the README says happens without spares: nothing can preempt them.
  otp_test::log_capture logs;
  otp::runtime rt{{.threads = 1, .spare_threads = 0, .long_schedule = 100ms}};
  clock_type::duration waited{};
  otp::pid hogger;
  rt.run([&] {
    const otp::pid me = otp::self();
    hogger = otp::spawn([me] {
      spawn_waiters(1, 10ms, me);
      hog(hog_kind::spin, 400ms);
    });
    const auto l = otp::receive_as<late>(5s);
    REQUIRE(l.has_value());
    waited = l->by;
  });
  CHECK(waited > 300ms);
  REQUIRE(otp_test::eventually([&] {
    return logs.count(otp::log_level::warning) >= 3; // 100, 200 ms, the end
  }));
  CHECK(logs.count(otp::log_level::warning, hogger.to_string()) >= 3);
  CHECK(logs.count(otp::log_level::warning, "ran for") == 1);
}
