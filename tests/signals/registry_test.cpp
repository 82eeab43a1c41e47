// Named processes: one name per process, one process per name, released on
// exit; sending to an unknown name throws, sending to a dead pid is silent
// [sem:15, 19].

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

/// Run `fn`; return the what() of the std::invalid_argument it throws, or
/// "(nothing thrown)".
template <class F>
std::string invalid_argument_of(F&& fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

void echo() {
  for (;;)
    otp::receive(
        [](std::pair<otp::pid, int>&& m) { otp::send(m.first, m.second); });
}

} // namespace

TEST_CASE("a registered process is found by whereis and reached by name "
          "until it is unregistered",
          "[signals][registry][sem:19]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid server = otp::spawn(echo);
    CHECK_FALSE(otp::whereis("echo"));
    otp::register_name("echo", server);
    CHECK(otp::whereis("echo") == server);
    CHECK(rt.whereis("echo") == server);
    CHECK(otp::registered() == std::vector<std::string>{"echo"});
    otp::send(std::string("echo"), std::pair<otp::pid, int>(otp::self(), 7));
    CHECK(otp::receive_as<int>(5s) == 7);
    const auto info = otp::process_info(server);
    REQUIRE(info.has_value());
    CHECK(info->registered_name == "echo");

    otp::unregister_name("echo");
    CHECK_FALSE(otp::whereis("echo"));
    CHECK(otp::registered().empty());
    CHECK(otp::alive(server)); // unregistering does not touch the process
    // The name and the process are both free again.
    otp::register_name("echo2", server);
    CHECK(otp::whereis("echo2") == server);
    otp::exit(server, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
  CHECK_FALSE(rt.whereis("echo2"));
}

TEST_CASE("registering a name that is taken fails, naming the name and its "
          "owner",
          "[signals][registry][sem:19]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid a = otp::spawn([] { sig::park(); });
    const otp::pid b = otp::spawn([] { sig::park(); });
    otp::register_name("taken", a);
    const std::string what =
        invalid_argument_of([&] { otp::register_name("taken", b); });
    CHECK_THAT(what, Contains("\"taken\"") && Contains("already registered")
                         && Contains(a.to_string()));
    CHECK(otp::whereis("taken") == a);
    // Registering the same pair again is also refused (one name each).
    CHECK_THAT(invalid_argument_of([&] { otp::register_name("taken", a); }),
               Contains("already registered"));
    otp::exit(a, otp::exit_reason::kill());
    otp::exit(b, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a process that already has a name cannot take a second one",
          "[signals][registry][sem:19]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid a = otp::spawn([] { sig::park(); });
    otp::register_name("first", a);
    const std::string what =
        invalid_argument_of([&] { otp::register_name("second", a); });
    CHECK_THAT(what, Contains(a.to_string()) && Contains("\"first\""));
    CHECK_FALSE(otp::whereis("second"));
    CHECK(otp::whereis("first") == a);
    otp::exit(a, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a dead process, the null pid and the empty name cannot be "
          "registered",
          "[signals][registry][sem:19]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto dead = otp::spawn_monitor([] {});
    REQUIRE(sig::down_reason(dead.monitor).has_value());
    CHECK_THAT(invalid_argument_of([&] { otp::register_name("d", dead.pid); }),
               Contains("not alive") && Contains(dead.pid.to_string()));
    CHECK_THAT(
        invalid_argument_of([&] { otp::register_name("n", otp::pid()); }),
        Contains("null pid"));
    CHECK_THAT(
        invalid_argument_of([&] { otp::register_name("", otp::self()); }),
        Contains("empty"));
    CHECK(otp::registered().empty());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("unregistering a name that is not registered fails, naming it",
          "[signals][registry][sem:19]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    CHECK_THAT(invalid_argument_of([] { otp::unregister_name("ghost"); }),
               Contains("\"ghost\"") && Contains("not registered"));
  });
}

TEST_CASE("a name is released when its process ends, however it ends",
          "[signals][registry][sem:19]") {
  const otp::exit_reason reason =
      GENERATE(otp::exit_reason::normal(), otp::exit_reason::user("boom"),
               otp::exit_reason::kill(),
               otp::exit_reason::exception("std::runtime_error", "x"));
  INFO("the process ends with " << reason);
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto s = otp::spawn_monitor([reason] {
      otp::register_name("ephemeral", otp::self());
      otp::receive([](sig::go) {});
      if (reason.what_kind() == otp::exit_reason::kind::exception)
        throw std::runtime_error("x");
      otp::exit(reason);
    });
    REQUIRE(sig::eventually([] { return bool(otp::whereis("ephemeral")); }));
    if (reason == otp::exit_reason::kill())
      otp::exit(s.pid, reason);
    else
      otp::send(s.pid, sig::go{});
    REQUIRE(sig::down_reason(s.monitor).has_value());
    // Released before the DOWN was sent.
    CHECK_FALSE(otp::whereis("ephemeral"));
    CHECK(otp::registered().empty());
    // The name can be taken again at once.
    const otp::pid next = otp::spawn([] { sig::park(); });
    otp::register_name("ephemeral", next);
    CHECK(otp::whereis("ephemeral") == next);
    otp::exit(next, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
  CHECK_FALSE(rt.whereis("ephemeral"));
}

TEST_CASE("sending to a name that is not registered throws invalid_argument "
          "naming it",
          "[signals][registry][sem:15]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    CHECK_THAT(invalid_argument_of([] { otp::send(std::string("nobody"), 1); }),
               Contains("\"nobody\""));
    // Uncaught, it ends the sender like any exception.
  });
}

TEST_CASE("sending to a dead pid or to the null pid is silent, and the "
          "message is dropped",
          "[signals][registry][sem:15]") {
  otp::runtime rt{{.threads = 2}};
  const auto payload = std::make_shared<const int>(42);
  const auto reason = rt.run([&] {
    const auto dead = otp::spawn_monitor([] {});
    REQUIRE(sig::down_reason(dead.monitor).has_value());
    otp::send(dead.pid, payload);
    otp::send(otp::pid(), payload);
    otp::send(dead.pid, std::string("into the void"));
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK(payload.use_count() == 1); // no copy is kept anywhere
  REQUIRE(sig::settles(rt));
}

TEST_CASE("sending by name to a process that died after the lookup is "
          "silent",
          "[signals][registry][sem:15]") {
  otp::runtime rt{{.threads = 2}};
  const auto reason = rt.run([&] {
    const auto s = otp::spawn_monitor([] { sig::park(); });
    otp::register_name("short_lived", s.pid);
    const otp::pid looked_up = otp::whereis("short_lived");
    otp::exit(s.pid, otp::exit_reason::kill());
    REQUIRE(sig::down_reason(s.monitor).has_value());
    otp::send(looked_up, 1); // the pid outlives the name: still silent
  });
  CHECK(reason == otp::exit_reason::normal());
  REQUIRE(sig::settles(rt));
}

TEST_CASE("registered names belong to their runtime",
          "[signals][registry][sem:19]") {
  otp::runtime rt1{{.threads = 1}};
  otp::runtime rt2{{.threads = 1}};
  otp::pid in_rt1;
  rt1.run([&] {
    in_rt1 = otp::spawn([] { sig::park(); });
    otp::register_name("shared_name", in_rt1);
  });
  std::string what;
  rt2.run([&] {
    CHECK_FALSE(otp::whereis("shared_name"));
    what = invalid_argument_of([&] { otp::register_name("x", in_rt1); });
    // The same name is free in the other runtime.
    otp::register_name("shared_name", otp::self());
    CHECK(otp::whereis("shared_name") == otp::self());
  });
  CHECK_THAT(what, Contains("another runtime"));
  CHECK(rt1.whereis("shared_name") == in_rt1);
  CHECK_FALSE(rt2.whereis("shared_name"));
}
