// hibernate(cont): give up the stack (RAII runs), wait for a message without
// one, continue on a fresh stack.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using otp_test::eventually;

namespace {

struct tick {};
struct done {};

otp::runtime_options one_thread() {
  return {.threads = 1};
}

/// Sends "unwound" to `to` when destroyed.
struct notify_on_unwind {
  otp::pid to;
  ~notify_on_unwind() { otp::send(to, std::string("unwound")); }
};

/// Hibernate `left` more times, each time woken by a message the process
/// sent itself; then tell `parent`. Each round runs on the stack the
/// previous hibernate gave up, so nothing may pile up.
void hibernate_on_own_ticks(otp::pid parent, int left) {
  if (left == 0) {
    otp::send(parent, done{});
    return;
  }
  otp::send(otp::self(), tick{});
  otp::hibernate([parent, left] {
    otp::receive_as<tick>();
    hibernate_on_own_ticks(parent, left - 1);
  });
}

/// Hibernate; when woken by an int, echo it to `parent` and hibernate again,
/// until the int is 0.
void hibernating_echo(otp::pid parent) {
  otp::hibernate([parent] {
    const int n = otp::receive_as<int>();
    otp::send(parent, n);
    if (n > 0)
      hibernating_echo(parent);
  });
}

} // namespace

TEST_CASE("hibernate unwinds the stack, stays alive, and continues with the "
          "next message",
          "[framework][hibernate][sem:22]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  std::optional<std::string> unwound;
  bool alive_while_hibernated = false;
  std::size_t count_while_hibernated = 0;
  std::optional<std::string> continued;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    const otp::pid child = otp::spawn([me] {
      notify_on_unwind guard{me};
      otp::hibernate([me] {
        const auto s = otp::receive_as<std::string>();
        otp::send(me, "continued with " + s);
      });
    });
    // Nothing was sent to the child yet: the destructor ran because
    // hibernate gave up the stack.
    unwound = otp::receive_as<std::string>(5s);
    alive_while_hibernated = otp::alive(child);
    count_while_hibernated = rt.process_count();
    otp::send(child, std::string("wake"));
    continued = otp::receive_as<std::string>(5s);
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(unwound == std::optional<std::string>("unwound"));
  CHECK(alive_while_hibernated);
  CHECK(count_while_hibernated == 2);
  CHECK(continued == std::optional<std::string>("continued with wake"));
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("the message that wakes a hibernated process is in its mailbox for "
          "the continuation",
          "[framework][hibernate]") {
  otp::runtime rt{one_thread()};
  std::size_t len_on_wake = 0;
  int value = 0;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    const otp::pid child = otp::spawn([me, &len_on_wake] {
      otp::hibernate([me, &len_on_wake] {
        len_on_wake = otp::message_queue_len();
        otp::send(me, otp::receive_as<int>());
      });
    });
    otp::send(child, 17);
    value = otp::receive_as<int>();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(len_on_wake == 1);
  CHECK(value == 17);
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("hibernate with a message already queued continues at once",
          "[framework][hibernate]") {
  otp::runtime rt{one_thread()};
  std::optional<int> got;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    otp::spawn([me] {
      otp::send(otp::self(), 5);
      otp::hibernate([me] { otp::send(me, otp::receive_as<int>()); });
    });
    got = otp::receive_as<int>(5s);
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(got == std::optional<int>(5));
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("a message sent from a thread outside the runtime wakes a "
          "hibernated process",
          "[framework][hibernate]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  std::atomic<bool> hibernated{false};
  std::atomic<int> received{0};
  struct flag_on_unwind {
    std::atomic<bool>* flag;
    ~flag_on_unwind() { flag->store(true); }
  };
  const otp::pid p = rt.spawn([&] {
    flag_on_unwind f{&hibernated};
    otp::hibernate([&] { received = otp::receive_as<int>(); });
  });
  REQUIRE(eventually([&] { return hibernated.load(); }));
  CHECK(otp::alive(p));
  otp::send(p, 99);
  REQUIRE(eventually([&] { return received.load() == 99; }));
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a process can hibernate ten thousand times in a row without "
          "growing its stack",
          "[framework][hibernate]") {
  // Without a fresh stack per continuation, 10,000 nested continuations would
  // overflow the 64 KiB default stack many times over.
  constexpr int rounds = 10'000;
  otp::runtime rt{one_thread()};

  SECTION("woken by messages it sent itself") {
    std::optional<done> finished;
    const auto reason = rt.run([&] {
      const otp::pid me = otp::self();
      otp::spawn([me] { hibernate_on_own_ticks(me, rounds); });
      finished = otp::receive_as<done>(20s);
    });
    REQUIRE(reason == otp::exit_reason::normal());
    CHECK(finished.has_value());
  }
  SECTION("woken by another process each time") {
    int echoed = 0;
    std::size_t max_count = 0;
    const auto reason = rt.run([&] {
      const otp::pid me = otp::self();
      const otp::pid echo = otp::spawn([me] { hibernating_echo(me); });
      for (int i = rounds; i >= 0; --i) {
        otp::send(echo, i);
        if (otp::receive_as<int>(5s) == std::optional<int>(i))
          ++echoed;
        max_count = std::max(max_count, rt.process_count());
      }
    });
    REQUIRE(reason == otp::exit_reason::normal());
    CHECK(echoed == rounds + 1);
    CHECK(max_count == 2);
  }
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("run returns the exit reason of a continuation after hibernation",
          "[framework][hibernate]") {
  otp_test::log_capture logs;
  otp::runtime rt{one_thread()};
  const auto normal = rt.run([] {
    otp::send(otp::self(), 1);
    otp::hibernate([] { otp::receive_as<int>(); });
  });
  CHECK(normal == otp::exit_reason::normal());
  const auto crashed = rt.run([] {
    otp::send(otp::self(), 1);
    otp::hibernate([] {
      otp::receive_as<int>();
      throw std::runtime_error("after waking");
    });
  });
  CHECK(crashed
        == otp::exit_reason::exception("std::runtime_error", "after waking"));
  CHECK(logs.wait_for(otp::log_level::error, 1));
}

TEST_CASE("shutdown ends a hibernated process and frees its continuation",
          "[framework][hibernate]") {
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> watch = token;
  std::atomic<bool> hibernated{false};
  struct flag_on_unwind {
    std::atomic<bool>* flag;
    ~flag_on_unwind() { flag->store(true); }
  };
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  const otp::pid p = rt.spawn([&hibernated, token = std::move(token)] {
    flag_on_unwind f{&hibernated};
    otp::hibernate([token] { otp::receive_as<done>(); });
  });
  REQUIRE(eventually([&] { return hibernated.load(); }));
  REQUIRE(otp::alive(p));

  rt.shutdown();
  CHECK(rt.process_count() == 0);
  CHECK_FALSE(otp::alive(p));
  CHECK(watch.expired());
}
