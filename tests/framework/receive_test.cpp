// Selective receive [sem:17]: oldest first, first matching clause, the rest
// stay queued in order, after(0) polls, after(infinity) never fires; plus
// flush, message_queue_len and receive_after(mark).
//
// Each test runs its body as a process with rt.run and records what it saw;
// the assertions run on the test thread afterwards.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/timing.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

using namespace std::chrono_literals;
using otp_test::time_of;

namespace {

struct ping {
  int n;
};
struct never_sent {};

otp::runtime_options one_thread() {
  return {.threads = 1};
}

/// Send each value to the calling process, in order.
template <class... M>
void send_self(M&&... msgs) {
  (otp::send(otp::self(), std::forward<M>(msgs)), ...);
}

/// Take every queued int, oldest first, without waiting.
std::vector<int> drain_ints() {
  std::vector<int> out;
  while (auto v = otp::receive_as<int>(0ms))
    out.push_back(*v);
  return out;
}

} // namespace

TEST_CASE("receive picks a message by its type, skipping older ones",
          "[framework][receive][sem:17]") {
  otp::runtime rt{one_thread()};
  std::string s;
  int n = 0;
  const auto reason = rt.run([&] {
    send_self(1, std::string("two"), ping{3});
    s = otp::receive([](std::string v) { return v; });
    n = otp::receive([](const ping& p) { return p.n; });
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(s == "two");
  CHECK(n == 3);
}

TEST_CASE("receive takes the oldest matching message first",
          "[framework][receive][sem:17]") {
  otp::runtime rt{one_thread()};
  std::vector<int> got;
  const auto reason = rt.run([&] {
    send_self(1, 2, 3);
    for (int i = 0; i < 3; ++i)
      got.push_back(otp::receive([](int v) { return v; }));
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(got == std::vector<int>{1, 2, 3});
}

TEST_CASE("unmatched messages stay queued in their original order",
          "[framework][receive][sem:17]") {
  otp::runtime rt{one_thread()};
  std::vector<std::string> strings;
  std::size_t len_after_strings = 0;
  std::vector<int> ints;
  const auto reason = rt.run([&] {
    send_self(1, std::string("a"), 2, std::string("b"), 3);
    strings.push_back(otp::receive_as<std::string>());
    strings.push_back(otp::receive_as<std::string>());
    len_after_strings = otp::message_queue_len();
    ints = drain_ints();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(strings == std::vector<std::string>{"a", "b"});
  CHECK(len_after_strings == 3);
  CHECK(ints == std::vector<int>{1, 2, 3});
}

TEST_CASE("a guard selects among messages of the same type",
          "[framework][receive][sem:17]") {
  otp::runtime rt{one_thread()};
  int big = 0;
  std::vector<int> rest;
  const auto reason = rt.run([&] {
    send_self(3, 7, 4, 9);
    big = otp::receive(
        otp::guard([](int x) { return x > 5; }, [](int x) { return x; }));
    rest = drain_ints();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(big == 7);
  CHECK(rest == std::vector<int>{3, 4, 9});
}

TEST_CASE("handlers are tried in the order written, for each message oldest "
          "first",
          "[framework][receive][sem:17]") {
  otp::runtime rt{one_thread()};
  std::vector<std::string> taken;
  const auto reason = rt.run([&] {
    send_self(std::string("x"), 10, 2);
    auto once = [&] {
      return otp::receive(
          otp::guard([](int x) { return x > 5; },
                     [](int x) { return "big " + std::to_string(x); }),
          [](int x) { return "int " + std::to_string(x); },
          [](otp::any_message m) { return "any " + m.to_string(); });
    };
    // The oldest message is tried against every handler before the next
    // message is looked at, so the catch-all wins for "x".
    for (int i = 0; i < 3; ++i)
      taken.push_back(once());
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(taken == std::vector<std::string>{"any x", "big 10", "int 2"});
}

TEST_CASE("a message that fails its guard falls through to later handlers",
          "[framework][receive][sem:17]") {
  otp::runtime rt{one_thread()};
  std::string which;
  const auto reason = rt.run([&] {
    send_self(1);
    which = otp::receive(otp::guard([](int x) { return x > 5; },
                                    [](int) { return std::string("guarded"); }),
                         [](int) { return std::string("plain"); });
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(which == "plain");
}

TEST_CASE("an any_message handler catches the oldest message of any type",
          "[framework][receive][sem:17]") {
  otp::runtime rt{one_thread()};
  std::vector<std::string> types;
  const auto reason = rt.run([&] {
    send_self(ping{1}, 2, std::string("three"));
    for (int i = 0; i < 3; ++i)
      types.push_back(otp::receive([](otp::any_message m) {
        return m.is<ping>() ? "ping" : m.is<int>() ? "int" : m.type_name();
      }));
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(types == std::vector<std::string>{"ping", "int", "std::string"});
}

TEST_CASE("after(0) polls: it returns at once when nothing matches and "
          "leaves the mailbox alone",
          "[framework][receive][sem:17]") {
  otp::runtime rt{one_thread()};
  int empty_result = 0;
  int unmatched_result = 0;
  std::chrono::steady_clock::duration took{};
  std::size_t len = 0;
  const auto reason = rt.run([&] {
    took = time_of([&] {
      empty_result = otp::receive([](int) { return 1; },
                                  otp::after(0ms, [] { return -1; }));
    });
    send_self(std::string("not an int"));
    unmatched_result =
        otp::receive([](int) { return 1; }, otp::after(0ms, [] { return -1; }));
    len = otp::message_queue_len();
    otp::flush();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(empty_result == -1);
  CHECK(took < 50ms); // a poll, not a wait
  CHECK(unmatched_result == -1);
  CHECK(len == 1);
}

TEST_CASE("after(0) takes a message that is already queued",
          "[framework][receive][sem:17]") {
  otp::runtime rt{one_thread()};
  int result = 0;
  const auto reason = rt.run([&] {
    send_self(std::string("skip"), 5);
    result = otp::receive([](int v) { return v; },
                          otp::after(0ms, [] { return -1; }));
    otp::flush();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(result == 5);
}

TEST_CASE("after(timeout) fires when nothing matches in time",
          "[framework][receive][sem:17]") {
  otp::runtime rt{one_thread()};
  std::string result;
  std::chrono::steady_clock::duration took{};
  std::size_t len = 0;
  const auto reason = rt.run([&] {
    send_self(1); // queued, but no handler takes an int
    took = time_of([&] {
      result =
          otp::receive([](std::string v) { return v; },
                       otp::after(30ms, [] { return std::string("late"); }));
    });
    len = otp::message_queue_len();
    otp::flush();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(result == "late");
  CHECK(took >= 30ms);
  CHECK(len == 1);
}

TEST_CASE("after(infinity) never fires: a message arriving later is taken",
          "[framework][receive][sem:17]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  int result = 0;
  bool after_ran = false;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    otp::spawn([me] {
      otp::sleep(100ms);
      otp::send(me, 42);
    });
    result =
        otp::receive([](int v) { return v; }, otp::after(otp::infinity, [&] {
                       after_ran = true;
                       return -1;
                     }));
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(result == 42);
  CHECK_FALSE(after_ran);
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("the result type of receive is the handlers' common type",
          "[framework][receive]") {
  otp::runtime rt{one_thread()};
  int i = 0;
  std::string s;
  bool void_ran = false;
  const auto reason = rt.run([&] {
    send_self(1, std::string("s"), 2.5);
    auto ri = otp::receive([](int v) { return v; });
    STATIC_REQUIRE(std::is_same_v<decltype(ri), int>);
    i = ri;
    auto rs = otp::receive([](std::string v) { return v; },
                           otp::after(0ms, [] { return std::string(); }));
    STATIC_REQUIRE(std::is_same_v<decltype(rs), std::string>);
    s = rs;
    using void_result = decltype(otp::receive([](double) {}, otp::after(0ms)));
    STATIC_REQUIRE(std::is_void_v<void_result>);
    otp::receive([&](double) { void_ran = true; }, otp::after(0ms));
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(i == 1);
  CHECK(s == "s");
  CHECK(void_ran);
}

TEST_CASE("receive_as returns the oldest value of a type, or nothing after a "
          "timeout",
          "[framework][receive][sem:17]") {
  otp::runtime rt{one_thread()};
  int first = 0;
  std::optional<int> second;
  std::optional<int> none;
  std::optional<std::string> text;
  const auto reason = rt.run([&] {
    send_self(std::string("t"), 1, 2);
    first = otp::receive_as<int>();
    second = otp::receive_as<int>(10ms);
    none = otp::receive_as<int>(10ms);
    text = otp::receive_as<std::string>(0ms);
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(first == 1);
  CHECK(second == std::optional<int>(2));
  CHECK_FALSE(none.has_value());
  CHECK(text == std::optional<std::string>("t"));
}

TEST_CASE(
    "a handler may receive again, and the inner receive sees messages the "
    "outer one skipped",
    "[framework][receive][sem:17]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  std::vector<std::string> trace;
  std::size_t left = 99;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    send_self(1, std::string("go"), 2);
    otp::receive([&](const std::string& s) {
      trace.push_back("outer " + s);
      trace.push_back("inner " + std::to_string(otp::receive_as<int>()));
      // And one that has to wait for a message sent later.
      otp::spawn([me] { otp::send(me, ping{7}); });
      trace.push_back("inner ping " + std::to_string(otp::receive([](ping p) {
                        return p.n;
                      })));
    });
    trace.push_back("after " + std::to_string(otp::receive_as<int>()));
    left = otp::message_queue_len();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(trace
        == std::vector<std::string>{"outer go", "inner 1", "inner ping 7",
                                    "after 2"});
  CHECK(left == 0);
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("flush() drops every queued message and says how many",
          "[framework][receive]") {
  otp::runtime rt{one_thread()};
  std::size_t first = 0;
  std::size_t len = 99;
  std::size_t second = 99;
  const auto reason = rt.run([&] {
    send_self(1, std::string("a"), ping{2});
    first = otp::flush();
    len = otp::message_queue_len();
    second = otp::flush();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(first == 3);
  CHECK(len == 0);
  CHECK(second == 0);
}

TEST_CASE("flush(os) prints each queued message on its own line, oldest "
          "first",
          "[framework][receive]") {
  otp::runtime rt{one_thread()};
  std::size_t n = 0;
  std::size_t len = 99;
  std::string out;
  const auto reason = rt.run([&] {
    send_self(42, std::string("hi"), ping{1});
    std::ostringstream os;
    n = otp::flush(os);
    len = otp::message_queue_len();
    out = os.str();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(n == 3);
  CHECK(len == 0);
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  INFO(out);
  REQUIRE(lines.size() == 3);
  CHECK_THAT(lines[0], Catch::Matchers::Contains("42"));
  CHECK_THAT(lines[1], Catch::Matchers::Contains("hi"));
  CHECK_THAT(lines[2], Catch::Matchers::Contains("ping"));
}

TEST_CASE("message_queue_len counts the messages waiting",
          "[framework][receive][sem:22]") {
  otp::runtime rt{one_thread()};
  std::vector<std::size_t> lens;
  const auto reason = rt.run([&] {
    lens.push_back(otp::message_queue_len());
    send_self(1, 2, std::string("three"));
    lens.push_back(otp::message_queue_len());
    otp::receive_as<int>();
    lens.push_back(otp::message_queue_len());
    (void)otp::receive([](never_sent) { return 0; },
                       otp::after(0ms, [] { return 1; }));
    lens.push_back(otp::message_queue_len());
    otp::flush();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(lens == std::vector<std::size_t>{0, 3, 2, 2});
}

TEST_CASE("receive_after(mark) only looks at messages that arrived after the "
          "mark",
          "[framework][receive]") {
  otp::runtime rt{one_thread()};
  int got = 0;
  std::vector<int> rest;
  const auto reason = rt.run([&] {
    send_self(1, 2);
    const otp::mailbox_mark m = otp::mark();
    send_self(3);
    got = otp::receive_after(m, [](int v) { return v; });
    rest = drain_ints();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(got == 3);
  CHECK(rest == std::vector<int>{1, 2});
}

TEST_CASE("receive_after(mark) waits for a reply that arrives later",
          "[framework][receive]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  int got = 0;
  std::vector<int> rest;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    send_self(1);
    const otp::mailbox_mark m = otp::mark();
    otp::spawn([me] {
      otp::sleep(10ms);
      otp::send(me, 2);
    });
    got = otp::receive_after(
        m, [](int v) { return v; }, otp::after(5s, [] { return -1; }));
    rest = drain_ints();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(got == 2);
  CHECK(rest == std::vector<int>{1});
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("a stale mark falls back to scanning the whole mailbox",
          "[framework][receive]") {
  otp::runtime rt{one_thread()};
  int got = 0;
  const auto reason = rt.run([&] {
    send_self(1);
    const otp::mailbox_mark stale = otp::mark();
    (void)otp::mark(); // a newer mark makes `stale` stale
    got = otp::receive_after(
        stale, [](int v) { return v; }, otp::after(0ms, [] { return -1; }));
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(got == 1);
}
