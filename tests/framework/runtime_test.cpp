// otp::runtime: options, run(fn), spawning from outside, the process table,
// and a clean shutdown whatever the processes are doing.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using otp_test::eventually;
using otp_test::log_capture;

namespace {

struct release {};

/// Counts destructions: shows that a process's stack was unwound.
struct unwind_counter {
  std::atomic<int>* count;
  ~unwind_counter() { count->fetch_add(1); }
};

/// The `what()` of the `std::invalid_argument` thrown by building a runtime
/// with `opts`, or a note if it threw nothing or something else.
std::string construction_error(const otp::runtime_options& opts) {
  try {
    otp::runtime rt{opts};
    return "<no exception>";
  } catch (const std::invalid_argument& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<wrong exception type: ") + e.what() + ">";
  }
}

} // namespace

TEST_CASE("a runtime starts with the requested options",
          "[framework][runtime]") {
  otp::runtime rt{otp::runtime_options{.threads = 2, .stack_size = 128 * 1024}};
  CHECK(rt.threads() == 2);
  CHECK(rt.options().threads == 2);
  CHECK(rt.options().stack_size == 128 * 1024);
  CHECK(rt.process_count() == 0);
  CHECK(rt.processes().empty());
}

TEST_CASE("a runtime with threads = 0 uses one thread per core",
          "[framework][runtime]") {
  otp::runtime rt;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  CHECK(rt.threads() == cores);
}

TEST_CASE("invalid runtime options are rejected with an error naming the "
          "option",
          "[framework][runtime]") {
  SECTION("a stack below 16 KiB") {
    CHECK_THAT(construction_error({.stack_size = 1024}),
               Contains("stack_size"));
    CHECK_THAT(construction_error({.stack_size = 16 * 1024 - 1}),
               Contains("stack_size"));
  }
  SECTION("more than 1024 scheduler threads") {
    CHECK_THAT(construction_error({.threads = 1025}), Contains("threads"));
    CHECK_THAT(construction_error({.threads = 100000}), Contains("threads"));
  }
  SECTION("the limits themselves are accepted") {
    CHECK(construction_error({.threads = 1, .stack_size = 16 * 1024})
          == "<no exception>");
  }
}

TEST_CASE("run executes fn as a process and returns normal when it returns",
          "[framework][runtime]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  otp::pid me;
  bool alive_inside = false;
  int echoed = 0;
  const auto reason = rt.run([&] {
    me = otp::self();
    alive_inside = otp::alive(me);
    otp::send(me, 5);
    echoed = otp::receive_as<int>();
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK(me);
  CHECK(alive_inside);
  CHECK(echoed == 5);
  CHECK_FALSE(otp::alive(me));
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("run returns the exception that escaped fn as the exit reason",
          "[framework][runtime]") {
  log_capture logs; // the crash report is expected, keep it off stderr
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  const auto reason = rt.run([] { throw std::invalid_argument("bad input"); });
  CHECK(reason
        == otp::exit_reason::exception("std::invalid_argument", "bad input"));
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("run can be called several times on one runtime",
          "[framework][runtime]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  std::vector<otp::pid> pids;
  for (int i = 0; i < 5; ++i)
    CHECK(rt.run([&] { pids.push_back(otp::self()); })
          == otp::exit_reason::normal());
  REQUIRE(pids.size() == 5);
  for (std::size_t i = 1; i < pids.size(); ++i)
    CHECK(pids[i - 1] < pids[i]);
}

TEST_CASE("rt.spawn starts a process from a thread outside the runtime",
          "[framework][runtime]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  std::atomic<int> result{0};
  const otp::pid p = rt.spawn(
      [&result](int a, const std::string& b) {
        const int c = otp::receive_as<int>();
        result = a + static_cast<int>(b.size()) + c;
      },
      10, std::string("four"));
  REQUIRE(p);
  CHECK(otp::alive(p));
  otp::send(p, 100); // sending works from any thread
  REQUIRE(eventually([&] { return result.load() == 114; }));
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("process_count and processes() list the processes alive now",
          "[framework][runtime]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  std::size_t count_inside = 0;
  std::vector<otp::pid> listed;
  std::vector<otp::pid> expected;
  bool back_to_one = false;
  const auto reason = rt.run([&] {
    expected.push_back(otp::self());
    for (int i = 0; i < 3; ++i)
      expected.push_back(otp::spawn([] { otp::receive_as<release>(); }));
    count_inside = rt.process_count();
    listed = rt.processes();
    for (std::size_t i = 1; i < expected.size(); ++i)
      otp::send(expected[i], release{});
    back_to_one = eventually([&] { return rt.process_count() == 1; });
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(count_inside == 4);
  std::sort(listed.begin(), listed.end());
  std::sort(expected.begin(), expected.end());
  CHECK(listed == expected);
  CHECK(back_to_one);
  CHECK(otp_test::all_exited(rt));
  CHECK(rt.processes().empty());
}

TEST_CASE("shutdown stops processes whatever they are doing, unwinds them "
          "and reports nothing",
          "[framework][runtime]") {
  const auto state = GENERATE(as<std::string>{}, "blocked in receive",
                              "sleeping", "inside blocking()", "hibernated",
                              "yielding in a loop", "all of these at once");
  INFO(state);
  log_capture logs;
  constexpr int per_state = 10;
  std::atomic<int> started{0};
  std::atomic<int> unwound{0};
  auto receiver = [&] {
    unwind_counter c{&unwound};
    started.fetch_add(1);
    otp::receive_as<release>();
  };
  auto sleeper = [&] {
    unwind_counter c{&unwound};
    started.fetch_add(1);
    otp::sleep(1h);
  };
  auto blocker = [&] {
    unwind_counter c{&unwound};
    started.fetch_add(1);
    otp::blocking([] { std::this_thread::sleep_for(100ms); });
    otp::receive_as<release>();
  };
  auto hibernator = [&] {
    unwind_counter c{&unwound}; // runs when the process hibernates
    started.fetch_add(1);
    otp::hibernate([] { otp::receive_as<release>(); });
  };
  auto yielder = [&] {
    unwind_counter c{&unwound};
    started.fetch_add(1);
    for (;;)
      otp::yield();
  };

  int expected = 0;
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  auto start = [&](auto& fn) {
    for (int i = 0; i < per_state; ++i)
      rt.spawn(fn);
    expected += per_state;
  };
  const bool all = state == "all of these at once";
  if (all || state == "blocked in receive")
    start(receiver);
  if (all || state == "sleeping")
    start(sleeper);
  if (all || state == "inside blocking()")
    start(blocker);
  if (all || state == "hibernated")
    start(hibernator);
  if (all || state == "yielding in a loop")
    start(yielder);
  REQUIRE(eventually([&] { return started.load() == expected; }));
  if (state == "hibernated")
    REQUIRE(eventually([&] { return unwound.load() == expected; }));
  CHECK(rt.process_count() == static_cast<std::size_t>(expected));

  const auto begin = std::chrono::steady_clock::now();
  rt.shutdown();
  const auto took = std::chrono::steady_clock::now() - begin;

  CHECK(rt.process_count() == 0);
  CHECK(rt.processes().empty());
  CHECK(unwound.load() == expected);
  CHECK(took < 5s);
  CHECK(logs.count(otp::log_level::error) == 0);
}

TEST_CASE("shutdown is idempotent and the destructor shuts down too",
          "[framework][runtime]") {
  std::atomic<int> started{0};
  std::atomic<int> unwound{0};
  auto waiter = [&] {
    unwind_counter c{&unwound};
    started.fetch_add(1);
    otp::receive_as<release>();
  };
  {
    otp::runtime rt{otp::runtime_options{.threads = 2}};
    rt.spawn(waiter);
    REQUIRE(eventually([&] { return started.load() == 1; }));
    rt.shutdown();
    CHECK(rt.process_count() == 0);
    rt.shutdown();
    CHECK(rt.process_count() == 0);
  }
  CHECK(unwound.load() == 1);
  {
    otp::runtime rt{otp::runtime_options{.threads = 2}};
    for (int i = 0; i < 5; ++i)
      rt.spawn(waiter);
    REQUIRE(eventually([&] { return started.load() == 6; }));
  } // ~runtime with five processes blocked in receive
  CHECK(unwound.load() == 6);
}

TEST_CASE("many runtimes can be created and destroyed in a row",
          "[framework][runtime]") {
  for (int i = 0; i < 20; ++i) {
    otp::runtime rt{otp::runtime_options{.threads = 2}};
    CHECK(rt.run([] { otp::yield(); }) == otp::exit_reason::normal());
  }
}
