// async and await: a linked, monitored task with an alias reply [sem:52];
// await timeout [sem:53]; a crashed task [sem:54]; only the owner, and only
// once [sem:55].

#include "support.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

using namespace task_test;
using Catch::Matchers::Contains;

TEST_CASE("async runs the function in a new task process and await returns "
          "its result",
          "[task][sem:52]") {
  otp::runtime rt{two_threads()};
  const auto reason = rt.run([] {
    auto t = otp::async([](int a, int b) { return a * b; }, 6, 7);
    CHECK(t.owner() == otp::self());
    CHECK(t.pid() != otp::self());
    CHECK(t.await() == 42);
    auto who = otp::async([] { return otp::self(); });
    const otp::pid p = who.pid();
    CHECK(who.await() == p);
  });
  CHECK(reason == otp::exit_reason::normal());
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("async links the task to the caller and monitors it",
          "[task][sem:52]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async([] {
      wait_go();
      return 1;
    });
    const auto info = otp::process_info(otp::self());
    REQUIRE(info);
    auto has = [&](const std::vector<otp::pid>& v) {
      return std::find(v.begin(), v.end(), t.pid()) != v.end();
    };
    CHECK(has(info->links));
    CHECK(has(info->monitors));
    otp::send(t.pid(), go{});
    CHECK(t.await() == 1);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("the reply is a task_reply with the task ref and the DOWN carries "
          "the same ref",
          "[task][sem:52]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async([] { return std::string("done"); });
    const otp::ref r = t.ref();
    const std::string value = otp::receive(otp::guard(
        [&](const otp::task_reply<std::string>& m) { return m.ref == r; },
        [](otp::task_reply<std::string>&& m) { return m.value; }));
    CHECK(value == "done");
    CHECK(down_reason(r) == otp::exit_reason::normal());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a function returning void gives a task of ok_t", "[task][sem:52]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    otp::task<otp::ok_t> t = otp::async([](int x) { (void)x; }, 3);
    CHECK(t.await() == otp::ok_t{});
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("an await timeout exits the caller with timeout in Task await and "
          "the linked task dies with it",
          "[task][sem:53]") {
  otp::runtime rt{two_threads()};
  otp::pid task_pid;
  const auto reason = rt.run([&] {
    auto t = otp::async([] { park(); });
    task_pid = t.pid();
    t.await(50ms);
  });
  CHECK(reason.inner() == otp::exit_reason::timeout());
  CHECK(reason.where() == where("await", task_pid, 50));
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a crashed task kills a non-trapping caller through the link "
          "before await returns",
          "[task][sem:54]") {
  otp_test::log_capture logs;
  otp::runtime rt{two_threads()};
  bool returned = false;
  const auto reason = rt.run([&] {
    auto t = otp::async([]() -> int { throw std::runtime_error("boom"); });
    t.await();
    returned = true;
  });
  CHECK_FALSE(returned);
  CHECK(reason.what_kind() == otp::exit_reason::kind::exception);
  CHECK(reason.detail() == "boom");
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a crashed task makes the await of a trapping caller exit with "
          "the reason in Task await and the EXIT stays queued",
          "[task][sem:54]") {
  otp_test::log_capture logs;
  otp::runtime rt{two_threads()};
  rt.run([] {
    otp::trap_exit(true);
    auto t = otp::async([]() -> int { throw std::runtime_error("boom"); });
    std::optional<otp::exit_reason> failed;
    try {
      t.await(otp::infinity);
    } catch (const otp::exit_error& e) {
      failed = e.reason();
    }
    REQUIRE(failed);
    CHECK(failed->inner().what_kind() == otp::exit_reason::kind::exception);
    CHECK(failed->where()
          == "{Task,await,[" + t.pid().to_string() + ",infinity]}");
    CHECK(exit_queued(t.pid()));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a task that exits normal without replying makes await exit with "
          "normal in Task await",
          "[task][sem:54]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async([]() -> int { otp::exit(otp::exit_reason::normal()); });
    try {
      t.await();
      FAIL("await returned");
    } catch (const otp::exit_error& e) {
      CHECK(e.reason().inner() == otp::exit_reason::normal());
      CHECK(e.reason().where() == where("await", t.pid(), 5000));
    }
  });
  REQUIRE(otp_test::all_exited(rt));
}

namespace {

struct handed_over {
  otp::task<int> task;
  otp::pid from;
};

struct verdicts {
  std::vector<std::string> errors;
};

} // namespace

TEST_CASE("only the owner may await yield ignore or shut down a task",
          "[task][sem:55]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async([] {
      wait_go();
      return 5;
    });
    const otp::pid task_pid = t.pid();
    const otp::pid owner = otp::self();
    const otp::pid other = otp::spawn([] {
      auto h = otp::receive_as<handed_over>();
      verdicts v;
      auto attempt = [&](auto&& op) {
        try {
          op();
          v.errors.push_back("no error");
        } catch (const std::invalid_argument& e) {
          v.errors.push_back(e.what());
        }
      };
      attempt([&] { h.task.await(10ms); });
      attempt([&] { h.task.yield(10ms); });
      attempt([&] { h.task.ignore(); });
      attempt([&] { h.task.shutdown(); });
      otp::send(h.from, std::move(v));
    });
    otp::send(other, handed_over{std::move(t), owner});
    const auto v = otp::receive_as<verdicts>();
    REQUIRE(v.errors.size() == 4);
    for (const auto& e : v.errors) {
      CHECK_THAT(
          e, Contains("must be queried from the owner " + owner.to_string()));
      CHECK_THAT(e, Contains("but was queried from " + other.to_string()));
    }
    CHECK(otp::alive(task_pid)); // nobody touched it
    otp::send(task_pid, go{});
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("an empty task rejects every operation", "[task][sem:55]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    otp::task<int> t;
    CHECK_THROWS_AS(t.await(1ms), std::invalid_argument);
    CHECK_THROWS_AS(t.yield(1ms), std::invalid_argument);
    CHECK_THROWS_AS(t.ignore(), std::invalid_argument);
    CHECK_THROWS_AS(t.shutdown(otp::brutal_kill), std::invalid_argument);
    auto u = otp::async([] { return 1; });
    auto moved = std::move(u);
    CHECK_THROWS_AS(u.await(1ms), std::invalid_argument); // NOLINT
    CHECK(moved.await() == 1);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a second await of a task waits the full timeout and then exits "
          "with timeout",
          "[task][sem:55]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    auto t = otp::async([] { return 9; });
    CHECK(t.await() == 9);
    const auto start = std::chrono::steady_clock::now();
    try {
      t.await(100ms);
      FAIL("the second await returned");
    } catch (const otp::exit_error& e) {
      CHECK(e.reason().inner() == otp::exit_reason::timeout());
      CHECK(e.reason().where() == where("await", t.pid(), 100));
    }
    CHECK(std::chrono::steady_clock::now() - start >= 100ms);
    CHECK(otp::message_queue_len() == 0);
  });
  REQUIRE(otp_test::all_exited(rt));
}
