// Durations that overflow when a timeout becomes a deadline: every API that
// takes a timeout or a delay (timers, receive ... after, call, Task, start,
// sleep) with `duration::max()` of several types, 1000 years,
// `otp::infinity`, zero, negative, NaN and nanoseconds near overflow. The
// deadline saturates (framework/detail/deadline.hpp): "infinite" never
// fires, zero or negative polls, timers reject negative and NaN delays.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/waits.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ratio>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

using years = std::chrono::years;
using dsec = std::chrono::duration<double>;
using int_seconds = std::chrono::duration<int>;

/// Nothing arrives within a short bound: the refute of "it fires at once".
bool nothing_within(clock_type::duration d = 100ms) {
  return !otp::receive([](const otp::any_message&) { return true; },
                       otp::after(d, [] { return false; }));
}

/// A `send_after` and a `start_timer` of `d` never fire within a short
/// bound, read and cancel as `otp::infinity`, and leave no timer behind.
template <class D>
void check_never_fires(otp::runtime& rt, D d) {
  const otp::ref a = otp::send_after(otp::self(), d, std::string("fired"));
  const otp::ref b = otp::start_timer(otp::self(), d, 42);
  CHECK(nothing_within());
  CHECK(otp::read_timer(a) == otp::infinity);
  CHECK(otp::read_timer(b) == otp::infinity);
  CHECK(otp::cancel_timer(a) == otp::infinity);
  CHECK(otp::cancel_timer(b, {.flush = true}) == otp::infinity);
  CHECK_FALSE(otp::read_timer(a).has_value());
  CHECK(rt.timer_count() == 0);
}

/// A process that answers one `call_request<int>` with `n + 1` after
/// `delay`, timed by a timer of its own.
otp::pid slow_server(clock_type::duration delay) {
  return otp::spawn([delay] {
    auto req = otp::receive_as<otp::call_request<int>>();
    otp::send_after(otp::self(), delay, std::string("answer now"));
    otp::receive([](const std::string&) {});
    otp::reply(req.from, req.request + 1);
  });
}

} // namespace

TEST_CASE("timers of duration::max() of any type, 1000 years or infinity "
          "never fire and read as infinity, and once fired or cancelled read "
          "as nothing",
          "[faults][durations][timers]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    check_never_fires(rt, otp::infinity);
    check_never_fires(rt, std::chrono::nanoseconds::max());
    check_never_fires(rt, std::chrono::nanoseconds::max() - 1ns);
    check_never_fires(rt, std::chrono::microseconds::max());
    check_never_fires(rt, std::chrono::seconds::max());
    check_never_fires(rt, std::chrono::hours::max());
    check_never_fires(rt, years(1000));
    check_never_fires(rt, dsec(1e300));
    check_never_fires(rt, dsec(std::numeric_limits<double>::infinity()));
    check_never_fires(rt, clock_type::duration::max());
    // Fired or cancelled: nothing, never a left-over number.
    const otp::ref zero = otp::send_after(otp::self(), 0ms, 1);
    const otp::ref tiny = otp::send_after(otp::self(), 1ns, 2);
    const otp::ref frac = otp::start_timer(otp::self(), dsec(1e-9), 3);
    CHECK(otp::receive_as<int>(5s) == 1);
    CHECK(otp::receive_as<int>(5s) == 2);
    CHECK(otp::receive_as<otp::timeout_message<int>>(5s).has_value());
    for (const otp::ref& r : {zero, tiny, frac}) {
      CHECK_FALSE(otp::read_timer(r).has_value());
      CHECK_FALSE(otp::cancel_timer(r).has_value());
    }
  });
}

TEST_CASE("a long but finite timer reads back close to what was asked",
          "[faults][durations][timers]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    // 50 years, and an int count of seconds at its maximum (68 years):
    // finite, and far beyond what fits in nanoseconds times a few.
    const auto fifty =
        std::chrono::duration_cast<std::chrono::milliseconds>(years(50));
    const otp::ref a = otp::send_after(otp::self(), years(50), 1);
    const otp::ref b = otp::send_after(
        otp::self(), int_seconds(std::numeric_limits<int>::max()), 2);
    const otp::ref c = otp::start_timer(otp::self(), 1h, 3);
    // 99 years in thirds of a second: converting it to nanoseconds the
    // usual way (count * 10^9 / 3) overflows on the way.
    using thirds = std::chrono::duration<std::int64_t, std::ratio<1, 3>>;
    const auto ninety_nine = std::chrono::duration_cast<thirds>(years(99));
    const otp::ref d = otp::send_after(otp::self(), ninety_nine, 4);
    const auto la = otp::read_timer(a);
    const auto lb = otp::read_timer(b);
    const auto lc = otp::read_timer(c);
    const auto ld = otp::read_timer(d);
    REQUIRE(la.has_value());
    REQUIRE(lb.has_value());
    REQUIRE(lc.has_value());
    REQUIRE(ld.has_value());
    CHECK(*la <= fifty);
    CHECK(*la > fifty - 10s);
    CHECK(*lb <= int_seconds(std::numeric_limits<int>::max()));
    CHECK(*lb > int_seconds(std::numeric_limits<int>::max()) - 10s);
    CHECK(*lc <= 1h);
    CHECK(*lc > 1h - 10s);
    CHECK(*ld <= years(99));
    CHECK(*ld > years(99) - 10s);
    CHECK(nothing_within(20ms));
    CHECK(otp::cancel_timer(a).has_value());
    CHECK(otp::cancel_timer(b).has_value());
    CHECK(otp::cancel_timer(c).has_value());
    CHECK(otp::cancel_timer(d).has_value());
  });
  CHECK(rt.timer_count() == 0);
}

TEST_CASE("a negative or NaN timer delay is rejected with invalid_argument "
          "naming the delay, as Erlang's badarg",
          "[faults][durations][timers]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const std::string name = "durations_test_target";
    otp::register_name(name, me);
    CHECK_THROWS_WITH(otp::send_after(me, -1ms, 1),
                      Catch::Contains("otp::send_after: delay")
                          && Catch::Contains("negative"));
    CHECK_THROWS_WITH(otp::send_after(name, std::chrono::hours::min(), 1),
                      Catch::Contains("otp::send_after: delay"));
    CHECK_THROWS_WITH(otp::start_timer(me, -1ns, 1),
                      Catch::Contains("otp::start_timer: delay"));
    CHECK_THROWS_WITH(otp::send_after(me, dsec(std::nan("")), 1),
                      Catch::Contains("otp::send_after: delay is NaN"));
    CHECK_THROWS_AS(otp::start_timer(me, dsec(-0.5), 1), std::invalid_argument);
    CHECK(rt.timer_count() == 0);
    CHECK(nothing_within(20ms));
    CHECK(otp::message_queue_len() == 0);
  });
}

TEST_CASE("receive after never fires for infinite durations of any type and "
          "polls for zero or negative ones",
          "[faults][durations][receive]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    // Each waiter reports if its after clause fires.
    auto waiter = [me](auto d) {
      return otp::spawn([me, d] {
        otp::receive([](int) {}, otp::after(d, [me] { otp::send(me, 0); }));
      });
    };
    const otp::pid inf[] = {
        waiter(std::chrono::hours::max()),
        waiter(std::chrono::nanoseconds::max()),
        waiter(std::chrono::nanoseconds::max() - 1ns),
        waiter(years(1000)),
        waiter(otp::infinity),
        waiter(dsec(std::numeric_limits<double>::infinity())),
        waiter(dsec(1e300)),
    };
    CHECK(nothing_within());
    for (const otp::pid& p : inf) {
      CHECK(otp::alive(p));
      otp::send(p, 1); // let it end
    }
    // Finite ones fire: an int count of seconds (100 years do not fit in
    // an int), zero, negative. In a process of its own, so that one that
    // waits forever fails the bounded wait below instead of hanging.
    const otp::pid poller = otp::spawn([me] {
      const bool none =
          !otp::receive_as<std::string>(int_seconds(0)).has_value()
          && !otp::receive_as<std::string>(int_seconds(-3)).has_value()
          && !otp::receive_as<std::string>(-5ms).has_value()
          && !otp::receive_as<std::string>(std::chrono::hours::min())
                  .has_value()
          && !otp::receive_as<std::string>(dsec(0.001)).has_value();
      otp::send(me, none);
    });
    CHECK(otp::receive_as<bool>(2s) == true);
    otp::exit(poller, otp::exit_reason::kill());
    CHECK_THROWS_AS(otp::receive_as<std::string>(dsec(std::nan(""))),
                    std::invalid_argument);
    // sleep saturates the same way: negative returns at once, infinite
    // does not return.
    otp::sleep(-1s);
    const otp::pid sleeper = otp::spawn([me] {
      otp::sleep(std::chrono::nanoseconds::max());
      otp::send(me, 0);
    });
    CHECK(nothing_within());
    CHECK(otp::alive(sleeper));
    otp::exit(sleeper, otp::exit_reason::kill());
  });
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("try_call with a 1000-year or infinite timeout gets the answer of "
          "a server that answers after 50 ms",
          "[faults][durations][call]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    CHECK(otp::try_call<int>(slow_server(50ms), 1, years(1000)).value() == 2);
    CHECK(otp::try_call<int>(slow_server(50ms), 2, std::chrono::hours::max())
              .value()
          == 3);
    CHECK(otp::call<int>(slow_server(50ms), 3, std::chrono::nanoseconds::max())
          == 4);
    CHECK(otp::call<int>(slow_server(50ms), 4, otp::infinity) == 5);
    CHECK(otp::call<int>(slow_server(50ms), 5,
                         dsec(std::numeric_limits<double>::infinity()))
          == 6);
    CHECK(otp::call<int>(slow_server(50ms), 6, dsec(30.0)) == 7);
    CHECK(otp::message_queue_len() == 0);
  });
}

TEST_CASE("a call's timeout prints as infinity or milliseconds whatever its "
          "type, and zero or negative times out at once",
          "[faults][durations][call]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid dead = otp::spawn([] {});
    REQUIRE(otp_test::eventually([&] { return !otp::alive(dead); }));
    auto printed = [&](auto d) {
      return otp::try_call<int>(dead, 1, d).error().to_string();
    };
    CHECK_THAT(printed(std::chrono::hours::max()),
               Catch::EndsWith(",int,infinity]}}"));
    CHECK_THAT(printed(years(1000)), Catch::EndsWith(",int,infinity]}}"));
    CHECK_THAT(printed(otp::infinity), Catch::EndsWith(",int,infinity]}}"));
    CHECK_THAT(printed(1500ms), Catch::EndsWith(",int,1500]}}"));
    CHECK_THAT(printed(dsec(0.0015)), Catch::EndsWith(",int,2]}}"));
    CHECK_THAT(printed(std::chrono::seconds(7)),
               Catch::EndsWith(",int,7000]}}"));
    CHECK_THROWS_AS(otp::try_call<int>(dead, 1, dsec(std::nan(""))),
                    std::invalid_argument);

    const otp::pid slow = slow_server(1s);
    const auto t0 = clock_type::now();
    const auto r = otp::try_call<int>(slow, 1, -5ms);
    CHECK(clock_type::now() - t0 < 500ms);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().inner() == otp::exit_reason::timeout());
    CHECK_THAT(r.error().to_string(), Catch::EndsWith(",int,0]}}"));
    otp::exit(slow, otp::exit_reason::kill());
    CHECK(otp::message_queue_len() == 0);
  });
}

TEST_CASE("Task.await and start_link with a 1000-year timeout wait for the "
          "answer instead of timing out at once",
          "[faults][durations][task]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    auto t = otp::async([] {
      otp::receive(otp::after(50ms));
      return 7;
    });
    CHECK(t.await(years(1000)) == 7);
    auto u = otp::async([] {
      otp::receive(otp::after(50ms));
      return 8;
    });
    const auto y = u.yield(std::chrono::hours::max());
    REQUIRE(y.has_value());
    CHECK(y->value() == 8);

    otp::trap_exit(true);
    const otp::start_result s = otp::start_link(
        {.name = {}, .timeout = years(1000)}, [](otp::starter& st) {
          otp::receive(otp::after(50ms));
          st.ack();
        });
    CHECK(s.ok());
    CHECK(otp_test::exit_reason_from(s.pid()) == otp::exit_reason::normal());
  });
}

TEST_CASE("never-firing timers of ended processes are swept, not kept "
          "forever",
          "[faults][durations][timers]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    // 1500 timers of 50 years from a process that then ends: void, and
    // without the sweep they would stay until 2075.
    const auto done = otp::spawn_monitor([] {
      for (int i = 0; i < 1500; ++i)
        otp::send_after(otp::self(), years(50), i);
    });
    REQUIRE(otp_test::down_reason(done.monitor).has_value());
    CHECK(rt.timer_count() == 1500);
    // Adding timers of a live process past the next doubling sweeps them.
    for (int i = 0; i < 600; ++i)
      otp::send_after(otp::self(), years(50), i);
    CHECK(rt.timer_count() <= 600);
    CHECK(rt.timer_count() > 0);
  });
}
