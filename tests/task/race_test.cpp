// Races between a task's reply and its owner giving up on it: whatever the
// timing, the owner gets the value or a timeout, never both and never a
// reply left in its mailbox [sem:53, 57, 59].

#include "support.hpp"

#include <chrono>
#include <cstddef>

using namespace task_test;

namespace {

/// 0 to ~1.5 ms, varying with `i`.
std::chrono::microseconds work_for(std::size_t i) {
  return std::chrono::microseconds((i * 7919) % 1500);
}

} // namespace

TEST_CASE("await against a task finishing at the timeout gives the value or "
          "a timeout and leaves no reply behind",
          "[task][race][sem:53]") {
  otp::runtime rt{two_threads()};
  std::size_t values = 0;
  std::size_t timeouts = 0;
  rt.run([&] {
    const std::size_t n = otp_test::scaled(1000);
    for (std::size_t i = 0; i < n; ++i) {
      auto t = otp::async([i] {
        spin_for(work_for(i));
        return static_cast<int>(i);
      });
      try {
        const int v = t.await(1ms);
        CHECK(v == static_cast<int>(i));
        ++values;
      } catch (const otp::exit_error& e) {
        CHECK(e.reason().inner() == otp::exit_reason::timeout());
        ++timeouts;
      }
    }
    REQUIRE(eventually([&] { return rt.process_count() == 1; }, 10s));
    CHECK(take_all<otp::task_reply<int>>() == 0);
    CHECK(otp::message_queue_len() == 0);
  });
  CHECK(values + timeouts == otp_test::scaled(1000));
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("yield then shutdown never loses a task reply that races with the "
          "shutdown",
          "[task][race][sem:57]") {
  otp::runtime rt{two_threads()};
  rt.run([&] {
    const std::size_t n = otp_test::scaled(500);
    for (std::size_t i = 0; i < n; ++i) {
      auto t = otp::async([i] {
        spin_for(work_for(i) / 2);
        return static_cast<int>(i);
      });
      auto r = t.yield(std::chrono::milliseconds(i % 2));
      if (!r)
        r = i % 3 == 0 ? t.shutdown(otp::brutal_kill) : t.shutdown(0ms);
      if (r && r->ok())
        CHECK(r->value() == static_cast<int>(i));
      else if (r) // shutdown(0ms) had to kill it
        CHECK(r->reason() == otp::exit_reason::killed());
    }
    REQUIRE(eventually([&] { return rt.process_count() == 1; }, 10s));
    CHECK(otp::message_queue_len() == 0);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("await_many with a tiny timeout leaves no task reply behind",
          "[task][race][sem:59]") {
  otp::runtime rt{two_threads()};
  rt.run([&] {
    const std::size_t rounds = otp_test::scaled(200);
    for (std::size_t i = 0; i < rounds; ++i) {
      std::vector<otp::task<int>> ts;
      for (std::size_t k = 0; k < 4; ++k)
        ts.push_back(otp::async([i, k] {
          spin_for(work_for(i + k) / 2);
          return static_cast<int>(k);
        }));
      try {
        const auto vs = otp::await_many(ts, 1ms);
        CHECK(vs == std::vector<int>{0, 1, 2, 3});
      } catch (const otp::exit_error& e) {
        CHECK(e.reason().inner() == otp::exit_reason::timeout());
      }
    }
    REQUIRE(eventually([&] { return rt.process_count() == 1; }, 10s));
    CHECK(otp::message_queue_len() == 0);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("many tasks awaited together all deliver", "[task][sem:52]") {
  otp::runtime rt{two_threads()};
  rt.run([] {
    const std::size_t n = otp_test::scaled(2000);
    std::vector<otp::task<std::size_t>> ts;
    ts.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      ts.push_back(otp::async([i] { return i * 2; }));
    const auto out = otp::await_many(ts);
    REQUIRE(out.size() == n);
    for (std::size_t i = 0; i < n; ++i)
      CHECK(out[i] == i * 2);
    CHECK(otp::message_queue_len() == 0);
  });
  REQUIRE(otp_test::all_exited(rt));
}
