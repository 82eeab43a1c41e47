// Timers: send_after, start_timer, cancel_timer (with and without flush),
// read_timer; timers to dead pids are void, timers to names resolve when
// they fire; a million pending timers [sem:18].

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

TEST_CASE("send_after returns a ref and delivers the message after the "
          "delay, not before",
          "[signals][timers][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  clock_type::duration elapsed{};
  bool early = false;
  std::optional<std::string> got;
  rt.run([&] {
    const auto t0 = clock_type::now();
    const otp::ref r = otp::send_after(otp::self(), 50ms, "tick");
    CHECK(r);
    const auto now = otp::receive_as<std::string>(0ms);
    if (clock_type::now() - t0 < 45ms) // only meaningful if we were quick
      early = now.has_value();
    got = otp::receive_as<std::string>(5s);
    elapsed = clock_type::now() - t0;
  });
  CHECK_FALSE(early);
  CHECK(got == "tick");
  CHECK(elapsed >= 50ms);
  CHECK(rt.timer_count() == 0);
}

TEST_CASE("a timer delivers even after the process that started it has "
          "ended",
          "[signals][timers][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto starter = otp::spawn_monitor(
        [me] { otp::send_after(me, 20ms, std::string("from the grave")); });
    REQUIRE(sig::down_reason(starter.monitor).has_value());
    CHECK(otp::receive_as<std::string>(5s) == "from the grave");
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("cancel_timer returns the time that was left, and the message "
          "never arrives",
          "[signals][timers][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::ref r = otp::send_after(otp::self(), 10s, std::string("x"));
    CHECK(rt.timer_count() == 1);
    const auto left = otp::cancel_timer(r);
    REQUIRE(left.has_value());
    CHECK(*left > 9s);
    CHECK(*left <= 10s);
    CHECK(rt.timer_count() == 0); // nothing left that could deliver
    CHECK_FALSE(otp::receive_as<std::string>(0ms).has_value());
    // Cancelled already: nothing left to cancel or read.
    CHECK_FALSE(otp::cancel_timer(r).has_value());
    CHECK_FALSE(otp::read_timer(r).has_value());
    CHECK_FALSE(otp::cancel_timer(otp::make_ref()).has_value());
  });
}

TEST_CASE("cancel_timer returns nothing for a timer that has fired and "
          "leaves its message in the mailbox",
          "[signals][timers][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::ref r = otp::send_after(otp::self(), 1ms, std::string("x"));
    REQUIRE(sig::eventually([] { return otp::message_queue_len() == 1; }));
    CHECK_FALSE(otp::cancel_timer(r).has_value());
    CHECK(otp::receive_as<std::string>(0ms) == "x");
  });
}

TEST_CASE("cancel_timer with flush also removes the timer's message, and "
          "only that one",
          "[signals][timers][sem:18]") {
  const bool use_start_timer = GENERATE(false, true);
  INFO((use_start_timer ? "start_timer" : "send_after"));
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    otp::send(otp::self(), std::string("mine"));
    otp::send(otp::self(), otp::timeout_message<std::string>{otp::ref(), "y"});
    const otp::ref r =
        use_start_timer
            ? otp::start_timer(otp::self(), 1ms, std::string("timer"))
            : otp::send_after(otp::self(), 1ms, std::string("timer"));
    REQUIRE(sig::eventually([] { return otp::message_queue_len() == 3; }));
    CHECK_FALSE(otp::cancel_timer(r, {.flush = true}).has_value());
    CHECK(otp::message_queue_len() == 2);
    CHECK(otp::receive_as<std::string>(0ms) == "mine");
    const auto t = otp::receive_as<otp::timeout_message<std::string>>(0ms);
    REQUIRE(t.has_value());
    CHECK(t->msg == "y");
    CHECK(otp::message_queue_len() == 0);
  });
}

TEST_CASE("cancel_timer with flush on a pending timer returns the time left "
          "and nothing is ever delivered",
          "[signals][timers][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::ref r = otp::send_after(otp::self(), 1h, std::string("x"));
    const auto left = otp::cancel_timer(r, {.flush = true});
    REQUIRE(left.has_value());
    CHECK(*left > 59min);
    CHECK(rt.timer_count() == 0);
    CHECK(otp::message_queue_len() == 0);
  });
}

TEST_CASE("a timer aimed at a process that has ended is void",
          "[signals][timers][sem:18]") {
  const bool cancel = GENERATE(true, false);
  INFO((cancel ? "then cancelled" : "left to expire"));
  otp::runtime rt{{.threads = 2}};
  const auto payload = std::make_shared<const int>(7);
  rt.run([&] {
    const auto target = otp::spawn_monitor([] { sig::park(); });
    const otp::ref r = otp::send_after(target.pid, 50ms, payload);
    CHECK(otp::read_timer(r).has_value());
    otp::exit(target.pid, otp::exit_reason::kill());
    REQUIRE(sig::down_reason(target.monitor).has_value());
    CHECK_FALSE(otp::read_timer(r).has_value());
    if (cancel)
      CHECK_FALSE(otp::cancel_timer(r).has_value());
    REQUIRE(sig::eventually([&] { return rt.timer_count() == 0; }));
  });
  // Whether cancelled or expired, the message was destroyed, not delivered
  // or kept.
  CHECK(payload.use_count() == 1);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a timer aimed at a name looks the name up when it fires",
          "[signals][timers][registry][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    auto forwarder = [me](std::string tag) {
      otp::receive([&](std::string&& s) { otp::send(me, tag + ":" + s); });
    };
    // Registered only after the timer was started.
    const otp::ref r1 = otp::send_after("late", 500ms, std::string("one"));
    const auto a = otp::spawn_monitor(forwarder, std::string("a"));
    otp::register_name("late", a.pid);
    REQUIRE(otp::read_timer(r1).has_value()); // it fires after registration
    CHECK(otp::receive_as<std::string>(5s) == "a:one");
    REQUIRE(sig::down_reason(a.monitor).has_value());

    // Registered to b when started, to c when it fires: c gets it.
    const auto b = otp::spawn_monitor(forwarder, std::string("b"));
    otp::register_name("moving", b.pid);
    const otp::ref r2 = otp::send_after("moving", 500ms, std::string("two"));
    otp::unregister_name("moving");
    const auto c = otp::spawn_monitor(forwarder, std::string("c"));
    otp::register_name("moving", c.pid);
    REQUIRE(otp::read_timer(r2).has_value());
    CHECK(otp::receive_as<std::string>(5s) == "c:two");
    otp::exit(b.pid, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a timer aimed at a name nobody holds when it fires delivers "
          "nothing",
          "[signals][timers][registry][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  const auto payload = std::make_shared<const int>(7);
  const auto reason = rt.run([&] {
    otp::send_after("nobody", 1ms, payload);
    REQUIRE(sig::eventually([&] { return rt.timer_count() == 0; }));
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK(payload.use_count() == 1);
}

TEST_CASE("start_timer delivers a timeout_message carrying the same ref",
          "[signals][timers][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::ref r = otp::start_timer(otp::self(), 5ms, std::string("data"));
    CHECK(r);
    const auto m = otp::receive_as<otp::timeout_message<std::string>>(5s);
    REQUIRE(m.has_value());
    CHECK(m->timer == r);
    CHECK(m->msg == "data");
    std::ostringstream os;
    os << *m;
    CHECK(os.str() == "{timeout," + r.to_string() + ",data}");
    CHECK_FALSE(otp::cancel_timer(r).has_value());
  });
}

TEST_CASE("read_timer tells the time left, and nothing once the timer fired "
          "or was cancelled",
          "[signals][timers][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::ref slow = otp::send_after(otp::self(), 10s, 1);
    const auto left = otp::read_timer(slow);
    REQUIRE(left.has_value());
    CHECK(*left > 9s);
    CHECK(*left <= 10s);
    CHECK(otp::read_timer(slow).has_value()); // reading does not cancel
    CHECK(otp::cancel_timer(slow).has_value());
    CHECK_FALSE(otp::read_timer(slow).has_value());

    const otp::ref fast = otp::send_after(otp::self(), 1ms, 2);
    CHECK(otp::receive_as<int>(5s) == 2);
    CHECK_FALSE(otp::read_timer(fast).has_value());
  });
}

TEST_CASE("send_after with a zero delay delivers at once and a negative one "
          "is rejected (badarg)",
          "[signals][timers][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  bool finished = false; // set only if the process ran to its end
  rt.run([&] {
    otp::send_after(otp::self(), 0ms, 1);
    CHECK_THROWS_AS(otp::send_after(otp::self(), -5ms, 2),
                    std::invalid_argument);
    CHECK(otp::receive_as<int>(5s) == 1);
    CHECK_FALSE(otp::receive_as<int>(20ms).has_value());
    finished = true;
  });
  CHECK(finished);
}

TEST_CASE("a million pending timers can be started, counted and cancelled",
          "[signals][timers][stress][sem:18]") {
  otp::runtime rt{{.threads = 2}};
  const std::size_t n = sig::scaled(1'000'000);
  const std::size_t baseline = rt.timer_count();
  std::size_t pending = 0;
  std::size_t cancelled = 0;
  std::size_t after_cancel = 99;
  const auto t0 = clock_type::now();
  rt.run([&] {
    std::vector<otp::ref> refs;
    refs.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      refs.push_back(otp::send_after(
          otp::self(), 1h + std::chrono::microseconds(i), static_cast<int>(i)));
    pending = rt.timer_count();
    for (const otp::ref& r : refs)
      if (otp::cancel_timer(r).has_value())
        ++cancelled;
    after_cancel = rt.timer_count();
    CHECK(otp::message_queue_len() == 0);
  });
  const auto took = clock_type::now() - t0;
  CHECK(pending == baseline + n);
  CHECK(cancelled == n);
  CHECK(after_cancel == baseline);
  CHECK(took < 20s);
}
