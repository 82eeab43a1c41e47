// yield [sem:56], shutdown [sem:57] and ignore [sem:58].

#include "support.hpp"

#include <algorithm>
#include <stdexcept>

using namespace task_test;

TEST_CASE("yield returns nothing while the task runs and can be called again",
          "[task][sem:56]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async([] {
      wait_go();
      return 4;
    });
    CHECK_FALSE(t.yield(10ms));
    CHECK_FALSE(t.yield(0ms));
    otp::send(t.pid(), go{});
    const auto r = t.yield();
    REQUIRE(r);
    CHECK(r->ok());
    CHECK(r->value() == 4);
    CHECK_FALSE(r->exited());
    CHECK(otp::message_queue_len() == 0); // the DOWN was flushed
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("yield reports the exit of a task that ended normal without a "
          "reply",
          "[task][sem:56]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async([]() -> int { otp::exit(otp::exit_reason::normal()); });
    const auto r = t.yield();
    REQUIRE(r);
    CHECK(r->exited());
    CHECK(r->reason() == otp::exit_reason::normal());
    CHECK_THROWS_AS(r->value(), otp::exit_error);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("yield reports the crash of a task to a trapping caller",
          "[task][sem:56]") {
  otp_test::log_capture logs;
  otp::runtime rt{two_threads()};
  rt.run([] {
    otp::trap_exit(true);
    auto t = otp::async([]() -> int { throw std::runtime_error("bad"); });
    const auto r = t.yield();
    REQUIRE(r);
    REQUIRE(r->exited());
    CHECK(r->reason().detail() == "bad");
    CHECK(exit_queued(t.pid()));
    CHECK_FALSE(t.yield(20ms)); // settled: nothing more comes
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("shutdown of a running task returns nothing and the task ends with "
          "shutdown",
          "[task][sem:57]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async([]() -> int { park(); });
    const otp::ref watch = otp::monitor(t.pid());
    CHECK_FALSE(t.shutdown());
    CHECK(down_reason(watch) == otp::exit_reason::shutdown());
    CHECK(otp::message_queue_len() == 0);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("shutdown returns the reply of a task that already completed",
          "[task][sem:57]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async([] { return 7; });
    const otp::pid p = t.pid();
    REQUIRE(eventually([&] { return !otp::alive(p); }));
    const auto r = t.shutdown();
    REQUIRE(r);
    CHECK(r->value() == 7);
    CHECK(otp::message_queue_len() == 0);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("shutdown kills a task that traps exits once the timeout passed",
          "[task][sem:57]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    const otp::pid me = otp::self();
    auto t = otp::async([me]() -> int {
      otp::trap_exit(true);
      otp::send(me, go{});
      park();
    });
    wait_go();
    const auto r = t.shutdown(50ms);
    REQUIRE(r);
    CHECK(r->reason() == otp::exit_reason::killed());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE(
    "shutdown with brutal_kill kills the task at once and returns nothing",
    "[task][sem:57]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    const otp::pid me = otp::self();
    auto t = otp::async([me]() -> int {
      otp::trap_exit(true);
      otp::send(me, go{});
      park();
    });
    wait_go();
    const otp::ref watch = otp::monitor(t.pid());
    CHECK_FALSE(t.shutdown(otp::brutal_kill));
    CHECK(down_reason(watch, 0ms) == otp::exit_reason::killed());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("shutdown reports a task that ended for another reason",
          "[task][sem:57]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    const otp::pid me = otp::self();
    auto t = otp::async([me]() -> int {
      otp::trap_exit(true);
      otp::send(me, go{});
      otp::receive([](otp::exit_message) {});
      otp::exit(otp::exit_reason::user("cleanup_failed"));
    });
    wait_go();
    const auto r = t.shutdown();
    REQUIRE(r);
    CHECK(r->reason() == otp::exit_reason::user("cleanup_failed"));
    // Unlinked first: the task's exit did not reach the caller.
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("shutdown of a task that was already awaited returns exit noproc",
          "[task][sem:57]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async([] { return 1; });
    CHECK(t.await() == 1);
    const auto r = t.shutdown();
    REQUIRE(r);
    CHECK(r->reason() == otp::exit_reason::noproc());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("ignore returns nothing and the task keeps running unlinked",
          "[task][sem:58]") {
  otp_test::log_capture logs;
  otp::runtime rt{two_threads()};
  const auto reason = rt.run([] {
    auto t = otp::async([]() -> int {
      wait_go();
      throw std::runtime_error("after ignore");
    });
    const otp::pid p = t.pid();
    CHECK_FALSE(t.ignore());
    CHECK(otp::alive(p));
    const auto info = otp::process_info(otp::self());
    REQUIRE(info);
    CHECK(std::find(info->links.begin(), info->links.end(), p)
          == info->links.end());
    const otp::ref watch = otp::monitor(p);
    otp::send(p, go{});
    CHECK(down_reason(watch)->detail() == "after ignore");
    CHECK(otp::message_queue_len() == 0); // no DOWN of the task's monitor
  });
  CHECK(reason == otp::exit_reason::normal()); // the crash did not reach us
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("ignore returns the task result when it is already there",
          "[task][sem:58]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async([] { return 3; });
    const otp::pid p = t.pid();
    REQUIRE(eventually([&] { return !otp::alive(p); }));
    const auto r = t.ignore();
    REQUIRE(r);
    CHECK(r->value() == 3);
    CHECK(otp::message_queue_len() == 0);
    CHECK_FALSE(t.ignore()); // settled
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("ignore racing with the task reply leaves no reply behind",
          "[task][sem:58]") {
  otp::runtime rt{two_threads()};
  rt.run([&] {
    for (std::size_t i = 0; i < otp_test::scaled(300); ++i) {
      auto t = otp::async([i] {
        spin_for(std::chrono::microseconds(i % 60));
        return static_cast<int>(i);
      });
      spin_for(std::chrono::microseconds((i * 7) % 50));
      const auto r = t.ignore();
      if (r)
        CHECK(r->value() == static_cast<int>(i));
    }
    REQUIRE(eventually([&] { return rt.process_count() == 1; }));
    CHECK(otp::message_queue_len() == 0);
  });
  REQUIRE(otp_test::all_exited(rt));
}
