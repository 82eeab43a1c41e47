// async_stream [sem:60], task_start / task_start_link [sem:62], and
// async_nolink_via with a plain spawn as the spawner [sem:61].

#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace task_test;

namespace {

/// Counts the tasks running at once and the most seen.
struct gauge {
  std::atomic<int> now{0};
  std::atomic<int> most{0};
  void enter() {
    const int n = ++now;
    int m = most.load();
    while (n > m && !most.compare_exchange_weak(m, n)) {
    }
  }
  void leave() { --now; }
};

otp::pid plain_spawn(otp::detail::unique_task body) {
  return otp::spawn(std::move(body));
}

} // namespace

TEST_CASE("async_stream maps every input in a task and keeps the input order",
          "[task][sem:60]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    std::vector<int> in{5, 1, 4, 2, 3};
    const auto out = otp::async_stream(in, [](int x) {
      otp::sleep(std::chrono::milliseconds(x * 3));
      return x * 10;
    });
    REQUIRE(out.size() == 5);
    for (std::size_t i = 0; i < in.size(); ++i)
      CHECK(out[i].value() == in[i] * 10);
    CHECK(otp::message_queue_len() == 0);
    CHECK(
        otp::async_stream(std::vector<int>{}, [](int x) { return x; }).empty());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("async_stream runs at most max_concurrency tasks at once",
          "[task][sem:60]") {
  otp::runtime rt{two_threads()};
  gauge g;
  rt.run([&] {
    const auto out = otp::async_stream(std::vector<int>(12, 1),
                                       [&g](int x) {
                                         g.enter();
                                         otp::sleep(5ms);
                                         g.leave();
                                         return x;
                                       },
                                       {.max_concurrency = 3});
    CHECK(out.size() == 12);
  });
  CHECK(g.most.load() == 3);
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("async_stream runs as many tasks at once as there are scheduler "
          "threads by default",
          "[task][sem:60]") {
  otp::runtime rt{two_threads()};
  gauge g;
  rt.run([&] {
    otp::async_stream(std::vector<int>(8, 1), [&g](int x) {
      g.enter();
      otp::sleep(5ms);
      g.leave();
      return x;
    });
  });
  CHECK(g.most.load() == static_cast<int>(rt.threads()));
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("async_stream unordered gives the results as the tasks complete",
          "[task][sem:60]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    const auto out =
        otp::async_stream(std::vector<int>{300, 0},
                          [](int ms) {
                            otp::sleep(std::chrono::milliseconds(ms));
                            return ms;
                          },
                          {.ordered = false});
    REQUIRE(out.size() == 2);
    CHECK(out[0].value() == 0);
    CHECK(out[1].value() == 300);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("async_stream on_timeout exit exits the caller with Task.Supervised "
          "stream when a task is late",
          "[task][sem:60]") {
  otp::runtime rt{two_threads()};
  const auto reason = rt.run([] {
    otp::async_stream(std::vector<int>{1, 2, 3},
                      [](int x) -> int {
                        if (x == 2)
                          park();
                        return x;
                      },
                      {.timeout = 50ms});
  });
  CHECK(reason.inner() == otp::exit_reason::timeout());
  CHECK(reason.where() == "{Task.Supervised,stream,[50]}");
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("async_stream on_timeout kill_task gives exit timeout for that "
          "element with its input when zipped",
          "[task][sem:60][sem:90]") {
  otp::runtime rt{two_threads()};
  const auto reason = rt.run([] {
    auto slow_two = [](int x) -> int {
      if (x == 2)
        park();
      return x;
    };
    auto out = otp::async_stream(
        std::vector<int>{1, 2, 3}, slow_two,
        {.timeout = 50ms, .on_timeout = otp::on_timeout::kill_task});
    REQUIRE(out.size() == 3);
    CHECK(out[0].value() == 1);
    CHECK(out[1].reason() == otp::exit_reason::timeout());
    CHECK(out[2].value() == 3);
    out = otp::async_stream(std::vector<int>{1, 2}, slow_two,
                            {.timeout = 50ms,
                             .on_timeout = otp::on_timeout::kill_task,
                             .zip_input_on_exit = true});
    CHECK(out[1].reason().inner() == otp::exit_reason::timeout());
    CHECK(out[1].reason().where() == "2");
    // Elixir: {:exit, {2, :timeout}}, the input first.
    CHECK(out[1].reason().to_string() == "{2,timeout}");
    std::ostringstream printed;
    printed << out[1];
    CHECK(printed.str() == "{exit,{2,timeout}}");
    CHECK(otp::message_queue_len() == 0);
  });
  CHECK(reason == otp::exit_reason::normal());
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a trapping caller gets exit items for crashed async_stream tasks",
          "[task][sem:60]") {
  otp_test::log_capture logs;
  otp::runtime rt{two_threads()};
  rt.run([] {
    otp::trap_exit(true);
    const auto out = otp::async_stream(std::vector<std::string>{"a", "b"},
                                       [](const std::string& s) -> int {
                                         if (s == "b")
                                           throw std::runtime_error("no b");
                                         return 1;
                                       },
                                       {.zip_input_on_exit = true});
    REQUIRE(out.size() == 2);
    CHECK(out[0].value() == 1);
    CHECK(out[1].reason().inner().detail() == "no b");
    CHECK(out[1].reason().where() == "b");
    CHECK(take_all<otp::exit_message>() == 2);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("async_stream rejects on_timeout nothing and ignore for its tasks",
          "[task][sem:60]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    CHECK_THROWS_AS(otp::async_stream(std::vector<int>{1},
                                      [](int x) { return x; },
                                      {.on_timeout = otp::on_timeout::ignore}),
                    std::invalid_argument);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("task_start_link crash kills the linked caller", "[task][sem:62]") {
  otp_test::log_capture logs;
  otp::runtime rt{two_threads()};
  rt.run([] {
    const auto caller = otp::spawn_monitor([] {
      const auto r =
          otp::task_start_link([] { throw std::runtime_error("task failed"); });
      REQUIRE(r.ok());
      park();
    });
    CHECK(down_reason(caller.monitor)->detail() == "task failed");
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("task_start_link normal completion leaves the caller running",
          "[task][sem:62]") {
  otp::runtime rt{two_threads()};
  const auto reason = rt.run([] {
    const auto r = otp::task_start_link(
        [](int x) {
          wait_go();
          (void)x;
        },
        1);
    REQUIRE(r.ok());
    const otp::ref m = otp::monitor(r.pid());
    otp::send(r.pid(), go{});
    CHECK(down_reason(m) == otp::exit_reason::normal());
    otp::yield();
  });
  CHECK(reason == otp::exit_reason::normal());
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("task_start returns ok with the pid of an unlinked process",
          "[task][sem:62]") {
  otp_test::log_capture logs;
  otp::runtime rt{two_threads()};
  const auto reason = rt.run([] {
    const auto r = otp::task_start([] {
      wait_go();
      throw std::runtime_error("alone");
    });
    REQUIRE(r.ok());
    CHECK(r.to_string() == "{ok," + r.pid().to_string() + "}");
    const otp::ref m = otp::monitor(r.pid());
    otp::send(r.pid(), go{});
    CHECK(down_reason(m)->detail() == "alone");
  });
  CHECK(reason == otp::exit_reason::normal());
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("async_nolink_via returns the result of a task in the spawner's "
          "process",
          "[task][nolink][sem:61]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async_nolink_via(
        plain_spawn, [](int x) { return x + 1; }, 41);
    const auto info = otp::process_info(otp::self());
    REQUIRE(info);
    CHECK(info->links.empty());
    CHECK(t.await() == 42);
    CHECK(otp::message_queue_len() == 0);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a crashed nolink task leaves the caller running and await exits "
          "with its reason",
          "[task][nolink][sem:61]") {
  otp_test::log_capture logs;
  otp::runtime rt{two_threads()};
  const auto reason = rt.run([] {
    auto crash = []() -> int {
      throw std::runtime_error("nolink");
    };
    auto a = otp::async_nolink_via(plain_spawn, crash);
    const auto r = a.yield();
    REQUIRE(r);
    CHECK(r->reason().detail() == "nolink");
    auto b = otp::async_nolink_via(plain_spawn, crash);
    try {
      b.await();
      FAIL("await returned");
    } catch (const otp::exit_error& e) {
      CHECK(e.reason().inner().detail() == "nolink");
      CHECK(e.reason().where() == where("await", b.pid(), 5000));
    }
    CHECK(otp::message_queue_len() == 0);
  });
  CHECK(reason == otp::exit_reason::normal());
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("async_nolink_via with a failing spawner gives a task that ended "
          "with noproc",
          "[task][nolink][sem:61]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto fail = [](otp::detail::unique_task) {
      return otp::pid();
    };
    auto t = otp::async_nolink_via(fail, [] { return 1; });
    CHECK_FALSE(t.pid());
    CHECK(t.yield()->reason() == otp::exit_reason::noproc());
    auto u = otp::async_nolink_via(fail, [] { return 1; });
    CHECK_THROWS_AS(u.await(), otp::exit_error);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a nolink task whose owner ends before the go-ahead exits "
          "shutdown without running",
          "[task][nolink][sem:61]") {
  otp::runtime rt{two_threads()};
  std::atomic<bool> ran{false};
  rt.run([&] {
    const otp::pid test = otp::self();
    otp::spawn([test, &ran] {
      otp::async_nolink_via(
          [test](otp::detail::unique_task body) -> otp::pid {
            const otp::pid p = otp::spawn(std::move(body));
            otp::send(test, p);
            otp::exit(otp::exit_reason::user("gone"));
          },
          [&ran] {
            ran = true;
            return 0;
          });
    });
    const otp::pid body = otp::receive_as<otp::pid>();
    const auto r = down_reason(otp::monitor(body));
    REQUIRE(r);
    CHECK(r->what_kind() == otp::exit_reason::kind::shutdown);
    CHECK(r->detail() == "gone");
  });
  CHECK_FALSE(ran.load());
  REQUIRE(otp_test::all_exited(rt));
}
