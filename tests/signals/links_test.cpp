// Links: both ways, a set, trappable; linking to a dead process; unlink
// [sem:4, 5, 7, 8, 9, 10, 11].
//
// To know that a link's exit signal has been handled without sleeping, the
// tests also monitor the partner: its exit signal and its DOWN come from the
// same process, and the exit signal is sent first, so once the DOWN is
// received the exit signal has been handled.

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct pid_msg {
  otp::pid pid;
};

/// Waits for `go`, then exits with `reason`.
void exit_on_go(otp::exit_reason reason) {
  otp::receive([](sig::go) {});
  otp::exit(std::move(reason));
}

otp::pid receive_pid() {
  return otp::receive([](pid_msg&& m) { return std::move(m.pid); });
}

} // namespace

TEST_CASE("a linked process that exits normal leaves a non-trapping partner "
          "running",
          "[signals][links][sem:7]") {
  otp::runtime rt{{.threads = 2}};
  bool survived = false;
  const auto reason = rt.run([&] {
    const otp::pid child = otp::spawn_link(exit_on_go, otp::exit_reason());
    const otp::ref mon = otp::monitor(child);
    otp::send(child, sig::go{});
    REQUIRE(sig::down_reason(mon) == otp::exit_reason::normal());
    otp::yield(); // one more suspension point after the exit signal
    survived = true;
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK(survived);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a linked process that exits abnormally ends a non-trapping "
          "partner with the same reason",
          "[signals][links][sem:7]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto parent = otp::spawn_monitor([] {
      otp::pid child =
          otp::spawn_link(exit_on_go, otp::exit_reason::user("boom"));
      otp::send(child, sig::go{});
      sig::park();
    });
    CHECK(sig::down_reason(parent.monitor) == otp::exit_reason::user("boom"));
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a link works both ways: the parent's end also ends its child",
          "[signals][links][sem:7]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const otp::pid parent = otp::spawn([me] {
      otp::send(me, pid_msg{otp::spawn_link([] { sig::park(); })});
      otp::receive([](sig::go) {});
      otp::exit(otp::exit_reason::shutdown("parent_done"));
    });
    const otp::pid child = receive_pid();
    const otp::ref mon = otp::monitor(child);
    otp::send(parent, sig::go{});
    CHECK(sig::down_reason(mon) == otp::exit_reason::shutdown("parent_done"));
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a trapping process receives an exit_message for every linked "
          "exit, normal included",
          "[signals][links][sem:8]") {
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    otp::trap_exit(true);
    const std::vector<otp::exit_reason> reasons{
        otp::exit_reason::normal(), otp::exit_reason::shutdown(),
        otp::exit_reason::user("boom"), otp::exit_reason::timeout()};
    std::vector<otp::pid> children;
    for (const auto& r : reasons) {
      children.push_back(otp::spawn_link(exit_on_go, r));
      otp::send(children.back(), sig::go{});
    }
    for (std::size_t i = 0; i < children.size(); ++i)
      CHECK(sig::exit_reason_from(children[i]) == reasons[i]);
    otp::trap_exit(false);
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("the linked partners of a killed process receive killed, an "
          "ordinary reason that they can trap",
          "[signals][links][sem:3][sem:4]") {
  // The chain A - B - C: C is killed; B traps and survives, so A never
  // hears of it.
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto a = otp::spawn_monitor([me] {
      otp::spawn_link([me] {
        otp::trap_exit(true);
        const otp::pid c = otp::spawn_link([] { sig::park(); });
        otp::send(me, pid_msg{c});
        const auto r = sig::exit_reason_from(c);
        otp::send(me, r.value_or(otp::exit_reason::timeout()));
        // Trapping, B outlives A's end by a message: then it returns.
        otp::receive([](otp::exit_message&&) {});
      });
      sig::park();
    });
    const otp::pid c = receive_pid();
    const otp::ref cmon = otp::monitor(c);
    otp::exit(c, otp::exit_reason::kill());
    CHECK(sig::down_reason(cmon) == otp::exit_reason::killed());
    CHECK(otp::receive_as<otp::exit_reason>(5s) == otp::exit_reason::killed());
    CHECK(otp::alive(a.pid));
    // The end of the test: A ends, and B (trapping) returns on hearing it.
    otp::exit(a.pid, otp::exit_reason::user("done"));
    CHECK(sig::down_reason(a.monitor) == otp::exit_reason::user("done"));
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("killed travels on through a chain of non-trapping links as an "
          "ordinary reason",
          "[signals][links][sem:4]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto a = otp::spawn_monitor([me] {
      otp::spawn_link([me] {
        otp::send(me, pid_msg{otp::spawn_link([] { sig::park(); })});
        sig::park();
      });
      sig::park();
    });
    otp::exit(receive_pid(), otp::exit_reason::kill());
    CHECK(sig::down_reason(a.monitor) == otp::exit_reason::killed());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a process that exits with kill itself passes kill on: a trapping "
          "partner gets it as a message, a non-trapping one dies with kill",
          "[signals][links][sem:5]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    otp::trap_exit(true);
    const otp::pid child =
        otp::spawn_link(exit_on_go, otp::exit_reason::kill());
    otp::send(child, sig::go{});
    CHECK(sig::exit_reason_from(child) == otp::exit_reason::kill());
    otp::trap_exit(false);

    const auto partner = otp::spawn_monitor([] {
      otp::send(otp::spawn_link(exit_on_go, otp::exit_reason::kill()),
                sig::go{});
      sig::park();
    });
    CHECK(sig::down_reason(partner.monitor) == otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("linking to a dead process throws exit_error with reason noproc "
          "when the caller does not trap exits",
          "[signals][links][sem:9]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto dead = otp::spawn_monitor([] {});
    REQUIRE(sig::down_reason(dead.monitor) == otp::exit_reason::normal());
    bool thrown = false;
    try {
      otp::link(dead.pid);
    } catch (const otp::exit_error& e) {
      thrown = true;
      CHECK(e.reason() == otp::exit_reason::noproc());
    }
    CHECK(thrown);
    // Uncaught, it ends the caller with exactly noproc.
    const auto linker = otp::spawn_monitor([p = dead.pid] { otp::link(p); });
    CHECK(sig::down_reason(linker.monitor) == otp::exit_reason::noproc());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("linking to a dead process delivers exit_message noproc when the "
          "caller traps exits",
          "[signals][links][sem:9]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto dead = otp::spawn_monitor([] {});
    REQUIRE(sig::down_reason(dead.monitor) == otp::exit_reason::normal());
    otp::trap_exit(true);
    otp::link(dead.pid); // does not throw
    CHECK(sig::exit_reason_from(dead.pid) == otp::exit_reason::noproc());
    const auto info = otp::process_info(otp::self());
    REQUIRE(info.has_value());
    CHECK(info->links.empty());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("linking to the null pid throws invalid_argument",
          "[signals][links]") {
  otp::runtime rt{{.threads = 2}};
  bool thrown = false;
  rt.run([&] {
    try {
      otp::link(otp::pid());
    } catch (const std::invalid_argument& e) {
      thrown = std::string(e.what()).find("null pid") != std::string::npos;
    }
  });
  CHECK(thrown);
}

TEST_CASE("links are a set: linking twice and unlinking once removes the "
          "link",
          "[signals][links][sem:10]") {
  const bool trap = GENERATE(false, true);
  INFO((trap ? "trapping" : "not trapping"));
  otp::runtime rt{{.threads = 2}};
  std::size_t exits = 99;
  const auto reason = rt.run([&] {
    otp::trap_exit(trap);
    const otp::pid child =
        otp::spawn(exit_on_go, otp::exit_reason::user("boom"));
    otp::link(child);
    otp::link(child);
    otp::unlink(child);
    const otp::ref mon = otp::monitor(child);
    otp::send(child, sig::go{});
    REQUIRE(sig::down_reason(mon) == otp::exit_reason::user("boom"));
    otp::yield();
    exits = sig::take_queued<otp::exit_message>().size();
  });
  CHECK(reason == otp::exit_reason::normal()); // survived
  CHECK(exits == 0);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("linking to self does nothing", "[signals][links][sem:10]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    otp::link(otp::self());
    otp::link(otp::self());
    const auto info = otp::process_info(otp::self());
    REQUIRE(info.has_value());
    CHECK(info->links.empty());
    otp::unlink(otp::self()); // also nothing
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a link shows on both sides once established, and unlink removes "
          "it from both",
          "[signals][links][sem:10]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid other = otp::spawn([] { sig::park(); });
    otp::link(other);
    auto links_of = [](const otp::pid& p) {
      auto info = otp::process_info(p);
      return info ? info->links : std::vector<otp::pid>{};
    };
    CHECK(links_of(otp::self()) == std::vector<otp::pid>{other});
    CHECK(sig::eventually(
        [&] { return links_of(other) == std::vector<otp::pid>{otp::self()}; }));
    otp::unlink(other);
    CHECK(links_of(otp::self()).empty());
    CHECK(sig::eventually([&] { return links_of(other).empty(); }));
    otp::exit(other, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("unlink does not retract an exit_message that already arrived",
          "[signals][links][sem:11]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    otp::trap_exit(true);
    const otp::pid child =
        otp::spawn_link(exit_on_go, otp::exit_reason::user("boom"));
    const otp::ref mon = otp::monitor(child);
    otp::send(child, sig::go{});
    REQUIRE(sig::down_reason(mon) == otp::exit_reason::user("boom"));
    // The exit_message is in the mailbox (it came before the DOWN).
    otp::unlink(child);
    CHECK(sig::exit_reason_from(child, 0ms) == otp::exit_reason::user("boom"));
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("after unlink returns the former partner's end has no effect",
          "[signals][links][sem:10]") {
  const bool trap = GENERATE(false, true);
  INFO((trap ? "trapping" : "not trapping"));
  otp::runtime rt{{.threads = 2}};
  std::size_t exits = 99;
  const auto reason = rt.run([&] {
    otp::trap_exit(trap);
    const otp::pid child =
        otp::spawn_link(exit_on_go, otp::exit_reason::user("boom"));
    otp::unlink(child);
    const otp::ref mon = otp::monitor(child);
    otp::send(child, sig::go{});
    REQUIRE(sig::down_reason(mon) == otp::exit_reason::user("boom"));
    otp::yield();
    exits = sig::take_queued<otp::exit_message>().size();
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK(exits == 0);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("spawn_link links before the child runs: a child that crashes at "
          "once still takes its parent along",
          "[signals][links][sem:7][sem:20]") {
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto parent = otp::spawn_monitor([] {
      otp::spawn_link([] { throw std::logic_error("at once"); });
      sig::park();
    });
    CHECK(sig::down_reason(parent.monitor)
          == otp::exit_reason::exception("std::logic_error", "at once"));
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a trapping process picks exit_messages out of its mailbox with "
          "selective receive, leaving other messages in order",
          "[signals][links][sem:8][sem:17]") {
  otp::runtime rt{{.threads = 2}};
  std::vector<int> rest;
  rt.run([&] {
    otp::trap_exit(true);
    const otp::pid me = otp::self();
    otp::send(me, 1);
    const otp::pid child = otp::spawn_link(exit_on_go, otp::exit_reason());
    const otp::ref mon = otp::monitor(child);
    otp::send(me, 2);
    otp::send(child, sig::go{});
    REQUIRE(sig::down_reason(mon) == otp::exit_reason::normal());
    otp::send(me, 3);
    // The exit_message is in the middle of the queue: taken first.
    CHECK(sig::exit_reason_from(child, 0ms) == otp::exit_reason::normal());
    for (int i = 0; i < 3; ++i)
      rest.push_back(otp::receive([](int v) { return v; }));
    CHECK(otp::receive([](otp::any_message) { return true; },
                       otp::after(0ms, [] { return false; }))
          == false);
  });
  CHECK(rest == std::vector<int>{1, 2, 3});
  REQUIRE(sig::settles(rt));
}
