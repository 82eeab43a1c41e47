// Task.Supervisor: start_child and async_nolink; a task crash never
// touches the caller [sem:61].

#include "support.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace sup_test;
namespace ts = otp::task_supervisor;

TEST_CASE("async_nolink returns the task result to its owner",
          "[supervision][task_supervisor][sem:61]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    auto sup = ts::start_link({.name = "tasks"});
    REQUIRE(sup.ok());
    otp::task<int> t = ts::async_nolink(
        "tasks", [](int x) { return x * 2; }, 21);
    CHECK(t.await() == 42);
    REQUIRE(otp::supervisor::try_stop("tasks").ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a crashing async_nolink task does not touch the caller",
          "[supervision][task_supervisor][sem:61]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto sup = ts::start_link();
    REQUIRE(sup.ok());
    otp::task<int> t = ts::async_nolink(
        sup.pid(), []() -> int { throw std::runtime_error("task failed"); });
    auto r = t.yield(10000ms);
    REQUIRE(r);
    CHECK(r->exited());
    CHECK(r->reason().what_kind() == otp::exit_reason::kind::exception);
    // The supervisor reports the crash and keeps serving.
    CHECK(otp::supervisor::count_children(sup.pid())->specs == 0);
    otp::task<int> u = ts::async_nolink(
        sup.pid(), []() -> int { otp::exit(otp::exit_reason::user("gone")); });
    try {
      (void)u.await(10000ms);
      FAIL("await should have exited");
    } catch (const otp::exit_error& e) {
      CHECK(e.reason().inner() == otp::exit_reason::user("gone"));
    }
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("start_child runs a temporary task under the supervisor",
          "[supervision][task_supervisor][sem:61]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    auto sup = ts::start_link({.max_children = 1});
    REQUIRE(sup.ok());
    const otp::pid me = otp::self();
    auto c = ts::start_child(sup.pid(), [me] {
      otp::send(me, std::string("ran"));
      otp::receive([](never) {});
    });
    REQUIRE(c.ok());
    CHECK(otp::receive_as<std::string>(10s)
          == std::optional<std::string>("ran"));
    CHECK(ts::start_child(sup.pid(), [] {}).error()
          == otp::supervisor_error::max_children());
    // A task that cannot start ends at once with noproc.
    otp::task<int> t = ts::async_nolink(sup.pid(), [] { return 1; });
    auto r = t.yield(10000ms);
    REQUIRE(r);
    CHECK(r->reason() == otp::exit_reason::noproc());
    const otp::ref mon = otp::monitor(c.pid());
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
    CHECK(down_reason(mon) == otp::exit_reason::shutdown());
  });
  REQUIRE(otp_test::all_exited(rt));
}
