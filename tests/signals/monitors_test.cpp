// Monitors: DOWN noproc for dead pids and unknown names, independent
// monitors, one-way, demonitor with and without flush [sem:12, 13, 14].

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// A process that ends at once, and has ended when this returns.
otp::pid dead_process() {
  const auto s = otp::spawn_monitor([] {});
  REQUIRE(sig::down_reason(s.monitor) == otp::exit_reason::normal());
  return s.pid;
}

/// The DOWN messages queued right now (a poll).
std::vector<otp::down_message> queued_downs() {
  return sig::take_queued<otp::down_message>();
}

} // namespace

TEST_CASE("monitoring a dead process delivers DOWN noproc at once",
          "[signals][monitors][sem:12]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid dead = dead_process();
    const otp::ref r = otp::monitor(dead);
    CHECK(r);
    const auto downs = queued_downs(); // no waiting: it is already here
    REQUIRE(downs.size() == 1);
    CHECK(downs[0].monitor == r);
    CHECK(downs[0].who == dead);
    CHECK(downs[0].name.empty());
    CHECK(downs[0].reason == otp::exit_reason::noproc());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("monitoring the null pid, which names no process, delivers DOWN "
          "noproc at once",
          "[signals][monitors][sem:12]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::ref r = otp::monitor(otp::pid());
    const auto downs = queued_downs();
    REQUIRE(downs.size() == 1);
    CHECK(downs[0].monitor == r);
    CHECK_FALSE(downs[0].who);
    CHECK(downs[0].reason == otp::exit_reason::noproc());
  });
}

TEST_CASE("monitoring a name that is not registered delivers DOWN noproc "
          "naming it",
          "[signals][monitors][registry][sem:12]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::ref r = otp::monitor(std::string("nobody_here"));
    const auto downs = queued_downs();
    REQUIRE(downs.size() == 1);
    CHECK(downs[0].monitor == r);
    CHECK_FALSE(downs[0].who);
    CHECK(downs[0].name == "nobody_here");
    CHECK(downs[0].reason == otp::exit_reason::noproc());
  });
}

TEST_CASE("monitoring a registered name watches the process behind it",
          "[signals][monitors][registry]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid target = otp::spawn([] { sig::park(); });
    otp::register_name("watched", target);
    const otp::ref r = otp::monitor(std::string("watched"));
    CHECK(queued_downs().empty());
    otp::exit(target, otp::exit_reason::kill());
    const auto d =
        otp::receive([](otp::down_message&& m) { return std::move(m); },
                     otp::after(5s, [] { return otp::down_message{}; }));
    CHECK(d.monitor == r);
    CHECK(d.who == target);
    CHECK(d.reason == otp::exit_reason::killed());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("two monitors on one process are independent: two DOWN messages, "
          "each with its own ref",
          "[signals][monitors][sem:13]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid target = otp::spawn([] {
      otp::receive([](sig::go) {});
      otp::exit(otp::exit_reason::user("boom"));
    });
    const otp::ref r1 = otp::monitor(target);
    const otp::ref r2 = otp::monitor(target);
    CHECK(r1 != r2);
    otp::send(target, sig::go{});
    CHECK(sig::down_reason(r2) == otp::exit_reason::user("boom"));
    CHECK(sig::down_reason(r1) == otp::exit_reason::user("boom"));
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a monitor is one-way: the watcher's end does not affect the "
          "watched process and removes the monitor",
          "[signals][monitors][sem:13]") {
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid target = otp::spawn([] {
      for (;;) {
        otp::receive([](otp::pid&& from) { otp::send(from, sig::pong{}); });
      }
    });
    const auto watcher = otp::spawn_monitor([target] {
      otp::monitor(target);
      throw std::runtime_error("watcher crashed");
    });
    REQUIRE(sig::down_reason(watcher.monitor).has_value());
    otp::send(target, otp::self());
    CHECK(otp::receive_as<sig::pong>(5s).has_value());
    CHECK(sig::eventually([&] {
      auto info = otp::process_info(target);
      return info && info->monitored_by.empty();
    }));
    otp::exit(target, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("spawn_monitor reports the child's end under the returned ref",
          "[signals][monitors]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto s = otp::spawn_monitor(
        [] { otp::exit(otp::exit_reason::shutdown("finished")); });
    CHECK(s.pid);
    CHECK(s.monitor);
    const auto d = otp::receive([](otp::down_message&& m) { return m; });
    CHECK(d.monitor == s.monitor);
    CHECK(d.who == s.pid);
    CHECK(d.reason == otp::exit_reason::shutdown("finished"));
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("demonitor returns true while the monitor is active and false "
          "once it was removed",
          "[signals][monitors][sem:14]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid target = otp::spawn([] { sig::park(); });
    const otp::ref r = otp::monitor(target);
    CHECK(otp::demonitor(r));
    CHECK_FALSE(otp::demonitor(r));
    CHECK_FALSE(otp::demonitor(otp::make_ref())); // never a monitor
    otp::exit(target, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("demonitor returns false when the DOWN has already arrived, and "
          "without flush the DOWN stays queued",
          "[signals][monitors][sem:14]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid target = otp::spawn([] { sig::park(); });
    const otp::ref r = otp::monitor(target);
    otp::exit(target, otp::exit_reason::kill());
    REQUIRE(sig::eventually([] { return otp::message_queue_len() == 1; }));
    CHECK_FALSE(otp::demonitor(r));
    const auto downs = queued_downs();
    REQUIRE(downs.size() == 1);
    CHECK(downs[0].monitor == r);
    CHECK(downs[0].reason == otp::exit_reason::killed());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("demonitor with flush removes a DOWN already queued, and only "
          "that one",
          "[signals][monitors][sem:14]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid target = otp::spawn([] { sig::park(); });
    const otp::ref r1 = otp::monitor(target);
    const otp::ref r2 = otp::monitor(target);
    otp::exit(target, otp::exit_reason::kill());
    REQUIRE(sig::eventually([] { return otp::message_queue_len() == 2; }));
    CHECK_FALSE(otp::demonitor(r1, {.flush = true}));
    CHECK(otp::message_queue_len() == 1);
    const auto downs = queued_downs();
    REQUIRE(downs.size() == 1);
    CHECK(downs[0].monitor == r2);
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("demonitor with flush on an active monitor returns true and "
          "leaves nothing behind",
          "[signals][monitors][sem:14]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid target = otp::spawn([] { sig::park(); });
    const otp::ref r = otp::monitor(target);
    CHECK(otp::demonitor(r, {.flush = true}));
    const otp::ref barrier = otp::monitor(target);
    otp::exit(target, otp::exit_reason::kill());
    CHECK(sig::down_reason(barrier) == otp::exit_reason::killed());
    REQUIRE(sig::settles(rt, 1)); // the target has finished signalling
    CHECK(queued_downs().empty());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("after demonitor returns no DOWN for that monitor arrives, while "
          "other monitors still fire",
          "[signals][monitors][sem:13][sem:14]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid target = otp::spawn([] { sig::park(); });
    const otp::ref off = otp::monitor(target);
    const otp::ref on = otp::monitor(target);
    CHECK(otp::demonitor(off));
    const auto info = otp::process_info(otp::self());
    REQUIRE(info.has_value());
    CHECK(info->monitors == std::vector<otp::pid>{target});
    otp::exit(target, otp::exit_reason::kill());
    CHECK(sig::down_reason(on) == otp::exit_reason::killed());
    REQUIRE(sig::settles(rt, 1)); // the target has finished signalling
    CHECK(queued_downs().empty());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a process can monitor many processes and gets one DOWN from each",
          "[signals][monitors][sem:13]") {
  otp::runtime rt{{.threads = 2}};
  const std::size_t n = sig::scaled(1000);
  std::size_t downs = 0;
  rt.run([&] {
    std::set<otp::ref> refs;
    for (std::size_t i = 0; i < n; ++i)
      refs.insert(otp::spawn_monitor([] {}).monitor);
    while (!refs.empty()) {
      const auto d = otp::receive([](otp::down_message&& m) { return m; });
      CHECK(refs.erase(d.monitor) == 1);
      CHECK(d.reason == otp::exit_reason::normal());
      ++downs;
    }
    REQUIRE(sig::settles(rt, 1));
    CHECK(queued_downs().empty());
  });
  CHECK(downs == n);
  REQUIRE(sig::settles(rt));
}
