// await_many and yield_many [sem:59].

#include "support.hpp"

#include <stdexcept>
#include <vector>

using namespace task_test;

namespace {

/// A task that waits for `go`, then returns `n`.
otp::task<int> on_go(int n) {
  return otp::async([n] {
    wait_go();
    return n;
  });
}

} // namespace

TEST_CASE("await_many returns the task results in input order",
          "[task][sem:59]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    std::vector<otp::task<int>> ts;
    for (int i = 0; i < 4; ++i)
      ts.push_back(on_go(i * 10));
    for (int i = 3; i >= 0; --i) // they finish in reverse order
      otp::send(ts[static_cast<std::size_t>(i)].pid(), go{});
    CHECK(otp::await_many(ts) == std::vector<int>{0, 10, 20, 30});
    CHECK(otp::message_queue_len() == 0);
    std::vector<otp::task<int>> none;
    CHECK(otp::await_many(none).empty());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("await_many exits the caller when its tasks time out with Task "
          "await_many",
          "[task][sem:59]") {
  otp::runtime rt{two_threads()};
  std::vector<otp::pid> pids;
  const auto reason = rt.run([&] {
    std::vector<otp::task<int>> ts;
    ts.push_back(otp::async([] { return 1; }));
    ts.push_back(on_go(2));
    for (auto& t : ts)
      pids.push_back(t.pid());
    otp::await_many(ts, 50ms);
  });
  REQUIRE(pids.size() == 2);
  CHECK(reason.inner() == otp::exit_reason::timeout());
  CHECK(reason.where()
        == "{Task,await_many,[[" + pids[0].to_string() + ","
               + pids[1].to_string() + "],50]}");
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("await_many exits a trapping caller when one task dies and leaves "
          "no reply behind",
          "[task][sem:59]") {
  otp_test::log_capture logs;
  otp::runtime rt{two_threads()};
  rt.run([&] {
    otp::trap_exit(true);
    std::vector<otp::task<int>> ts;
    ts.push_back(on_go(1));
    ts.push_back(otp::async([]() -> int { throw std::runtime_error("x"); }));
    ts.push_back(on_go(3));
    try {
      otp::await_many(ts);
      FAIL("await_many returned");
    } catch (const otp::exit_error& e) {
      CHECK(e.reason().inner().detail() == "x");
      CHECK(e.reason().where().rfind("{Task,await_many,[[", 0) == 0);
    }
    otp::send(ts[0].pid(), go{});
    otp::send(ts[2].pid(), go{});
    REQUIRE(eventually([&] { return rt.process_count() == 1; }));
    CHECK(take_all<otp::task_reply<int>>() == 0);
    CHECK(take_all<otp::down_message>() == 0);
    CHECK(take_all<otp::exit_message>() == 3); // trapped: kept
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("yield_many returns results in input order and nothing for tasks "
          "still running",
          "[task][sem:59]") {
  otp_test::log_capture logs;
  otp::runtime rt{two_threads()};
  rt.run([] {
    otp::trap_exit(true);
    std::vector<otp::task<int>> ts;
    ts.push_back(on_go(1));
    ts.push_back(otp::async([] { return 2; }));
    ts.push_back(otp::async([]() -> int { throw std::runtime_error("y"); }));
    const auto rs = otp::yield_many(ts, 100ms);
    REQUIRE(rs.size() == 3);
    CHECK_FALSE(rs[0]);
    REQUIRE(rs[1]);
    CHECK(rs[1]->value() == 2);
    REQUIRE(rs[2]);
    CHECK(rs[2]->reason().detail() == "y");
    // on_timeout nothing: the first task is still watched.
    otp::send(ts[0].pid(), go{});
    CHECK(ts[0].await() == 1);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("yield_many with a limit returns once that many tasks answered",
          "[task][sem:59]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    std::vector<otp::task<int>> ts;
    ts.push_back(otp::async([] { return 1; }));
    ts.push_back(on_go(2));
    ts.push_back(otp::async([] { return 3; }));
    const auto start = std::chrono::steady_clock::now();
    const auto rs = otp::yield_many(
        ts,
        {.limit = 2, .timeout = 10s, .on_timeout = otp::on_timeout::kill_task});
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    REQUIRE(rs.size() == 3);
    CHECK(rs[0]->value() == 1);
    CHECK_FALSE(rs[1]);
    CHECK(rs[2]->value() == 3);
    CHECK(otp::alive(ts[1].pid())); // the limit does not apply on_timeout
    CHECK_FALSE(ts[1].shutdown(otp::brutal_kill));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("yield_many with kill_task kills the tasks that did not answer",
          "[task][sem:59]") {
  otp::runtime rt{two_threads()};
  const auto reason = rt.run([] {
    std::vector<otp::task<int>> ts;
    ts.push_back(on_go(1));
    ts.push_back(otp::async([] { return 2; }));
    const otp::ref watch = otp::monitor(ts[0].pid());
    const auto rs = otp::yield_many(
        ts, {.timeout = 50ms, .on_timeout = otp::on_timeout::kill_task});
    CHECK_FALSE(rs[0]);
    CHECK(rs[1]->value() == 2);
    CHECK(down_reason(watch, 0ms) == otp::exit_reason::killed());
    CHECK(otp::message_queue_len() == 0);
  });
  CHECK(reason == otp::exit_reason::normal()); // unlinked before the kill
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("yield_many with ignore leaves the late tasks running unlinked",
          "[task][sem:59]") {
  otp::runtime rt{two_threads()};
  rt.run([&] {
    std::vector<otp::task<int>> ts;
    ts.push_back(on_go(1));
    const auto rs = otp::yield_many(
        ts, {.timeout = 30ms, .on_timeout = otp::on_timeout::ignore});
    CHECK_FALSE(rs[0]);
    const otp::pid p = ts[0].pid();
    CHECK(otp::alive(p));
    const auto info = otp::process_info(otp::self());
    REQUIRE(info);
    CHECK(info->links.empty());
    CHECK(info->monitors.empty());
    otp::send(p, go{});
    REQUIRE(eventually([&] { return !otp::alive(p); }));
    CHECK(otp::message_queue_len() == 0); // its reply was dropped
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("yield_many rejects on_timeout exit for its tasks",
          "[task][sem:59]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    std::vector<otp::task<int>> ts;
    ts.push_back(otp::async([] { return 1; }));
    CHECK_THROWS_AS(otp::yield_many(ts, {.on_timeout = otp::on_timeout::exit}),
                    std::invalid_argument);
    CHECK(ts[0].await() == 1);
  });
  REQUIRE(otp_test::all_exited(rt));
}
