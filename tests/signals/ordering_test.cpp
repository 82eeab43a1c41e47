// Per-pair ordering: messages, exit signals and DOWN from one process to
// another arrive in the order they were sent, so a message sent just before
// dying precedes the EXIT and the DOWN [sem:16].

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// What reached the observer first from a child: its last message or its
/// end.
enum class first { message, end, nothing };

first first_from(const otp::pid& child, const otp::ref& mon, int expected) {
  return otp::receive(
      otp::guard([&](int v) { return v == expected; },
                 [](int) { return first::message; }),
      otp::guard([&](const otp::exit_message& m) { return m.from == child; },
                 [](otp::exit_message&&) { return first::end; }),
      otp::guard([&](const otp::down_message& d) { return d.monitor == mon; },
                 [](otp::down_message&&) { return first::end; }),
      otp::after(5s, [] { return first::nothing; }));
}

} // namespace

TEST_CASE("a message sent just before dying arrives before the "
          "exit_message, every time",
          "[signals][ordering][links][sem:16]") {
  otp::runtime rt{{.threads = 2}};
  const std::size_t n = sig::scaled(1000);
  std::size_t in_order = 0;
  rt.run([&] {
    otp::trap_exit(true);
    const otp::pid me = otp::self();
    for (std::size_t i = 0; i < n; ++i) {
      const int tag = static_cast<int>(i);
      const otp::pid child = otp::spawn_link([me, tag] {
        otp::send(me, tag);
        otp::exit(otp::exit_reason::user("bye"));
      });
      if (first_from(child, otp::ref(), tag) == first::message)
        ++in_order;
      REQUIRE(sig::exit_reason_from(child) == otp::exit_reason::user("bye"));
    }
  });
  CHECK(in_order == n);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a message sent just before dying arrives before the "
          "down_message, every time",
          "[signals][ordering][monitors][sem:16]") {
  otp::runtime rt{{.threads = 2}};
  const std::size_t n = sig::scaled(1000);
  std::size_t in_order = 0;
  rt.run([&] {
    const otp::pid me = otp::self();
    for (std::size_t i = 0; i < n; ++i) {
      const int tag = static_cast<int>(i);
      // Alternate between a child that ends by itself and one that is
      // killed right after it has sent its message.
      const bool killed = i % 2 == 1;
      const auto child = otp::spawn_monitor([me, tag, killed] {
        otp::send(me, tag);
        if (killed)
          sig::park();
      });
      if (killed)
        otp::exit(child.pid, otp::exit_reason::kill());
      if (first_from(child.pid, child.monitor, tag) == first::message)
        ++in_order;
      REQUIRE(sig::down_reason(child.monitor).has_value());
    }
  });
  CHECK(in_order == n);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("messages and exit signals from one sender arrive in the order "
          "they were sent",
          "[signals][ordering][exit][sem:16][sem:17]") {
  otp::runtime rt{{.threads = 2}};
  std::vector<std::string> seen;
  rt.run([&] {
    const otp::pid me = otp::self();
    const otp::pid target = otp::spawn([me] {
      otp::trap_exit(true);
      otp::send(me, sig::go{});
      std::vector<std::string> got;
      while (got.size() < 5) {
        otp::receive([&](int v) { got.push_back(std::to_string(v)); },
                     [&](otp::exit_message&& m) {
                       got.push_back(m.reason.to_string());
                     });
      }
      otp::send(me, got);
    });
    otp::receive([](sig::go) {}); // it traps now
    otp::send(target, 1);
    otp::exit(target, otp::exit_reason::user("a"));
    otp::send(target, 2);
    otp::exit(target, otp::exit_reason::user("b"));
    otp::send(target, 3);
    seen =
        otp::receive([](std::vector<std::string>&& v) { return v; },
                     otp::after(5s, [] { return std::vector<std::string>{}; }));
  });
  CHECK(seen == std::vector<std::string>{"1", "a", "2", "b", "3"});
  REQUIRE(sig::settles(rt));
}

TEST_CASE("messages sent before a kill are in the victim's mailbox when it "
          "dies, and an exit signal is not overtaken by later messages",
          "[signals][ordering][sem:16]") {
  // The victim handles exactly the messages that precede the exit signal in
  // its mailbox: it sees 1..k, never k+1, which was sent after the signal.
  otp::runtime rt{{.threads = 2}};
  const std::size_t n = sig::scaled(500);
  std::size_t violations = 0;
  rt.run([&] {
    const otp::pid me = otp::self();
    for (std::size_t i = 0; i < n; ++i) {
      const auto victim = otp::spawn_monitor([me] {
        for (;;)
          otp::receive([&](int v) { otp::send(me, v); });
      });
      const int before = static_cast<int>(i % 5);
      for (int k = 1; k <= before; ++k)
        otp::send(victim.pid, k);
      otp::exit(victim.pid, otp::exit_reason::user("stop"));
      otp::send(victim.pid, 100); // after the signal: never handled
      REQUIRE(sig::down_reason(victim.monitor)
              == otp::exit_reason::user("stop"));
      const auto echoed = sig::take_queued<int>();
      for (std::size_t k = 0; k < echoed.size(); ++k)
        if (echoed[k] != static_cast<int>(k) + 1)
          ++violations;
      if (echoed.size() > static_cast<std::size_t>(before))
        ++violations;
    }
  });
  CHECK(violations == 0);
  REQUIRE(sig::settles(rt));
}
