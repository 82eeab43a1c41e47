// `send_interval` (`timer:send_interval/2,3`): a copy of the message every
// interval, at a fixed rate, until `cancel_timer` or until the target ends;
// a zero, negative or NaN interval is Erlang's badarg.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/scale.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

std::atomic<int> beat_copies{0};

/// Counts its copies, so a test can see that each tick is a fresh copy.
struct beat {
  int id = 0;
  std::string text;
  beat(int i, std::string t) : id(i), text(std::move(t)) {}
  beat(const beat& o) : id(o.id), text(o.text) { ++beat_copies; }
  beat(beat&&) noexcept = default;
  beat& operator=(const beat&) = default;
  beat& operator=(beat&&) noexcept = default;
};

/// The next `beat` (of timer `id` if given), or nothing after `timeout`.
std::optional<beat> next_beat(clock_type::duration timeout,
                              std::optional<int> id = std::nullopt) {
  return otp::receive(
      otp::guard([&](const beat& b) { return !id || b.id == *id; },
                 [](beat&& b) { return std::optional<beat>(std::move(b)); }),
      otp::after(timeout, [] { return std::optional<beat>(); }));
}

struct stop_now {};

} // namespace

TEST_CASE("send_interval sends a copy of its message every interval, at a "
          "fixed rate, until cancel_timer stops it",
          "[faults][timer][send_interval][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([] {
    beat_copies = 0;
    const auto start = clock_type::now();
    const otp::timer_ref t =
        otp::send_interval(otp::self(), 10ms, beat{1, "tick"});
    for (int i = 0; i < 4; ++i) {
      auto b = next_beat(5s);
      REQUIRE(b);
      CHECK(b->id == 1);
      CHECK(b->text == "tick");
    }
    // Tick n is due at start + n * interval, never earlier.
    CHECK(clock_type::now() - start >= 40ms);
    CHECK(beat_copies >= 4);
    const auto left = otp::cancel_timer(t);
    REQUIRE(left);
    CHECK(*left <= 10ms);
    // Cancelled under the timer's lock: no copy can be sent after it.
    otp::flush();
    CHECK_FALSE(next_beat(50ms));
    CHECK_FALSE(otp::cancel_timer(t));
    CHECK_FALSE(otp::read_timer(t));
  });
}

TEST_CASE("send_interval/2 sends to the calling process and read_timer "
          "reports the time to the next tick",
          "[faults][timer][send_interval][sem:18]") {
  otp::runtime rt{{.threads = 1}};
  rt.run([] {
    const auto t = otp::send_interval(1h, std::string("hourly"));
    const auto left = otp::read_timer(t);
    REQUIRE(left);
    CHECK(*left > 59min);
    CHECK(*left <= 1h);
    const auto quick = otp::send_interval(1ms, std::string("quick"));
    CHECK(otp::receive_as<std::string>(5s) == "quick");
    CHECK(otp::cancel_timer(quick));
    CHECK(otp::cancel_timer(t));
  });
}

TEST_CASE("an interval timer ends with its target pid: nothing is pending "
          "and cancel_timer reports nothing",
          "[faults][timer][send_interval][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto before = rt.timer_count();
    const otp::pid test = otp::self();
    auto target = otp::spawn_monitor([test] {
      otp::receive([](const beat&) {});
      otp::send(test, stop_now{});
    });
    const auto t = otp::send_interval(target.pid, 2ms, beat{7, "x"});
    otp::receive([](stop_now) {});
    otp::receive([](otp::down_message) {});
    CHECK(otp_test::eventually([&] { return rt.timer_count() == before; }));
    CHECK_FALSE(otp::read_timer(t));
    CHECK_FALSE(otp::cancel_timer(t));
  });
}

TEST_CASE("an interval aimed at a name looks it up at each tick and ends "
          "with the process registered under it when it was created, and "
          "one without a process ends at once",
          "[faults][timer][send_interval][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto before = rt.timer_count();
    const otp::pid test = otp::self();
    auto target = otp::spawn_monitor([test] {
      for (int i = 0; i < 2; ++i)
        otp::receive([&](const beat& b) { otp::send(test, b.id); });
    });
    otp::register_name("interval_target", target.pid);
    const auto t =
        otp::send_interval(std::string("interval_target"), 2ms, beat{3, "n"});
    CHECK(otp::receive_as<int>(5s) == 3);
    CHECK(otp::receive_as<int>(5s) == 3);
    otp::receive([](otp::down_message) {});
    CHECK(otp_test::eventually([&] { return rt.timer_count() == before; }));
    CHECK_FALSE(otp::cancel_timer(t));
    // A name nobody has: nothing to outlive, the interval ends at once.
    const auto none =
        otp::send_interval(std::string("nobody_here"), 1ms, beat{4, "n"});
    CHECK_FALSE(otp::read_timer(none));
    const auto null_target = otp::send_interval(otp::pid(), 1ms, beat{5, "n"});
    CHECK_FALSE(otp::read_timer(null_target));
    CHECK(rt.timer_count() == before);
  });
}

TEST_CASE("send_interval rejects a zero, negative or NaN interval with "
          "invalid_argument, as Erlang's badarg",
          "[faults][timer][send_interval][sem:18]") {
  otp::runtime rt{{.threads = 1}};
  rt.run([&] {
    const auto before = rt.timer_count();
    const auto what = [](auto interval) {
      try {
        (void)otp::send_interval(otp::self(), interval, 1);
      } catch (const std::invalid_argument& e) {
        return std::string(e.what());
      }
      return std::string("no exception");
    };
    CHECK(what(0ms)
          == "otp::send_interval: interval is zero; an interval "
             "must be > 0 (Erlang: badarg)");
    CHECK(what(-5ms).find("otp::send_interval: interval is negative") == 0);
    const std::chrono::duration<double> nan{
        std::numeric_limits<double>::quiet_NaN()};
    CHECK(what(nan) == "otp::send_interval: interval is NaN");
    CHECK(rt.timer_count() == before);
  });
  CHECK_THROWS_AS(otp::send_interval(otp::pid(), 1ms, 1), std::logic_error);
}

TEST_CASE("cancel_timer with flush removes every copy an interval already "
          "queued, however the cancel races the ticks",
          "[faults][timer][send_interval][sem:18][stress]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto before = rt.timer_count();
    // Copies pile up unread, then one flush takes them all.
    const auto t = otp::send_interval(otp::self(), 1ms, beat{0, "pile"});
    REQUIRE(otp_test::eventually(
        [] { return otp::process_info(otp::self())->message_queue_len >= 3; }));
    REQUIRE(otp::cancel_timer(t, {.flush = true}));
    CHECK(otp::process_info(otp::self())->message_queue_len == 0);
    // Cancel while ticks are in flight: nothing of a cancelled timer is
    // seen afterwards.
    const int rounds = static_cast<int>(otp_test::scaled(200));
    for (int i = 1; i <= rounds; ++i) {
      const auto r = otp::send_interval(otp::self(), 1ms, beat{i, "race"});
      REQUIRE(next_beat(5s, i));
      if (i % 2 == 0)
        otp::yield();
      REQUIRE(otp::cancel_timer(r, {.flush = true}));
      CHECK_FALSE(next_beat(i % 20 == 0 ? 3ms : 0ms, i));
    }
    CHECK(rt.timer_count() == before);
  });
}
