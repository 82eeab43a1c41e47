// exit(pid, reason), exit(self(), ...), exit(reason), trap_exit, and the
// exit reasons of crashes [sem:1, 2, 3, 6, 20].
//
// A target that does not trap exits answers `ping` with `pong`. An exit
// signal and a later `ping` from the same sender arrive in that order
// [sem:16], so a `pong` proves that the exit signal was handled and ignored.

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

/// A user exception type with a readable name.
struct sigtest_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace {

/// Answers every `otp::pid` with `pong`, forever.
void ponger() {
  for (;;)
    otp::receive([](otp::pid&& from) { otp::send(from, sig::pong{}); });
}

/// Traps exits and forwards every exit_message to `observer`, forever.
void exit_forwarder(otp::pid observer) {
  otp::trap_exit(true);
  for (;;)
    otp::receive([&](otp::exit_message&& m) { otp::send(observer, m); });
}

bool answers(const otp::pid& p) {
  otp::send(p, otp::self());
  return otp::receive_as<sig::pong>(5s).has_value();
}

/// The reason a process running `fn` ends with.
template <class F>
otp::exit_reason reason_of(F fn) {
  const auto s = otp::spawn_monitor(std::move(fn));
  return sig::down_reason(s.monitor).value_or(otp::exit_reason::user("?"));
}

} // namespace

TEST_CASE("exit(pid, normal) is ignored by a process that does not trap "
          "exits",
          "[signals][exit][sem:1]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid target = otp::spawn(ponger);
    otp::exit(target, otp::exit_reason::normal());
    CHECK(answers(target));
    CHECK(otp::alive(target));
    otp::exit(target, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("exit(pid, normal) reaches a trapping process as an exit_message "
          "from the sender",
          "[signals][exit][sem:1]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid target = otp::spawn(exit_forwarder, otp::self());
    otp::exit(target, otp::exit_reason::normal());
    const auto m = otp::receive_as<otp::exit_message>(5s);
    REQUIRE(m.has_value());
    CHECK(m->from == otp::self());
    CHECK(m->reason == otp::exit_reason::normal());
    CHECK(otp::alive(target));
    otp::exit(target, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("exit(self(), normal) ends a process that does not trap exits, "
          "with reason normal, at once",
          "[signals][exit][sem:2]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto reason = reason_of([me] {
      otp::exit(otp::self(), otp::exit_reason::normal());
      otp::send(me, std::string("still running"));
    });
    CHECK(reason == otp::exit_reason::normal());
    CHECK_FALSE(otp::receive_as<std::string>(0ms).has_value());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("exit(self(), normal) while trapping delivers an exit_message "
          "from itself, and the process lives on",
          "[signals][exit][sem:2]") {
  otp::runtime rt{{.threads = 2}};
  std::optional<otp::exit_reason> got;
  const auto reason = rt.run([&] {
    otp::trap_exit(true);
    otp::exit(otp::self(), otp::exit_reason::normal());
    got = sig::exit_reason_from(otp::self(), 5s);
  });
  CHECK(got == otp::exit_reason::normal());
  CHECK(reason == otp::exit_reason::normal());
}

TEST_CASE("exit(pid, kill) cannot be trapped: the target dies with killed "
          "and its monitors see killed",
          "[signals][exit][sem:3]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto target = otp::spawn_monitor([me] {
      otp::trap_exit(true);
      otp::send(me, sig::go{});
      for (;;) // swallow every exit_message
        otp::receive([](otp::exit_message&&) {});
    });
    otp::receive([](sig::go) {}); // it traps now
    otp::exit(target.pid, otp::exit_reason::kill());
    CHECK(sig::down_reason(target.monitor) == otp::exit_reason::killed());
    CHECK_FALSE(otp::alive(target.pid));
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("exit(self(), kill) ends the caller even while it traps exits, "
          "with reason killed",
          "[signals][exit][sem:6]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto reason = reason_of([me] {
      otp::trap_exit(true);
      otp::exit(otp::self(), otp::exit_reason::kill());
      otp::send(me, std::string("still running"));
    });
    CHECK(reason == otp::exit_reason::killed());
    CHECK_FALSE(otp::receive_as<std::string>(0ms).has_value());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("exit(pid, reason) with any other reason ends a non-trapping "
          "target with that reason and reaches a trapping one as a message",
          "[signals][exit]") {
  const otp::exit_reason reason = GENERATE(
      otp::exit_reason::shutdown(), otp::exit_reason::shutdown("detail"),
      otp::exit_reason::user("boom"), otp::exit_reason::timeout(),
      otp::exit_reason::noproc(), otp::exit_reason::killed(),
      otp::exit_reason::exception("std::runtime_error", "remote"));
  INFO("reason " << reason);
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto plain = otp::spawn_monitor(ponger);
    otp::exit(plain.pid, reason);
    CHECK(sig::down_reason(plain.monitor) == reason);

    const otp::pid trapping = otp::spawn(exit_forwarder, otp::self());
    otp::exit(trapping, reason);
    const auto m = otp::receive_as<otp::exit_message>(5s);
    REQUIRE(m.has_value());
    CHECK(m->from == otp::self());
    CHECK(m->reason == reason);
    otp::exit(trapping, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("exit to a dead process or to the null pid does nothing",
          "[signals][exit]") {
  otp::runtime rt{{.threads = 2}};
  const auto reason = rt.run([&] {
    const auto dead = otp::spawn_monitor([] {});
    REQUIRE(sig::down_reason(dead.monitor).has_value());
    otp::exit(dead.pid, otp::exit_reason::kill());
    otp::exit(dead.pid, otp::exit_reason::user("boom"));
    otp::exit(otp::pid(), otp::exit_reason::kill());
    otp::yield();
  });
  CHECK(reason == otp::exit_reason::normal());
  REQUIRE(sig::settles(rt));
}

TEST_CASE("trap_exit returns the previous setting and trapping_exits tells the "
          "current one",
          "[signals][exit]") {
  otp::runtime rt{{.threads = 2}};
  std::vector<bool> seen;
  rt.run([&] {
    seen.push_back(otp::trapping_exits());
    seen.push_back(otp::trap_exit(true));
    seen.push_back(otp::trapping_exits());
    seen.push_back(otp::trap_exit(false));
    seen.push_back(otp::trapping_exits());
  });
  CHECK(seen == std::vector<bool>{false, false, true, true, false});
}

TEST_CASE("a process that stops trapping is ended by the next abnormal exit "
          "signal",
          "[signals][exit][sem:1]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto target = otp::spawn_monitor([me] {
      otp::trap_exit(true);
      otp::send(me, sig::go{});
      otp::receive([&](otp::exit_message&& m) { otp::send(me, m); });
      otp::trap_exit(false);
      otp::send(me, sig::go{});
      sig::park();
    });
    otp::receive([](sig::go) {});
    otp::exit(target.pid, otp::exit_reason::user("first"));
    CHECK(otp::receive_as<otp::exit_message>(5s).has_value());
    otp::receive([](sig::go) {});
    otp::exit(target.pid, otp::exit_reason::user("second"));
    CHECK(sig::down_reason(target.monitor) == otp::exit_reason::user("second"));
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("exit(reason) ends the caller with exactly that reason, also when "
          "it is kill",
          "[signals][exit][sem:5]") {
  const otp::exit_reason reason =
      GENERATE(otp::exit_reason::normal(), otp::exit_reason::shutdown(),
               otp::exit_reason::user("boom"), otp::exit_reason::kill());
  INFO("reason " << reason);
  otp::runtime rt{{.threads = 2}};
  rt.run([&] { CHECK(reason_of([reason] { otp::exit(reason); }) == reason); });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("an escaping std::exception ends the process with "
          "exception(type, what)",
          "[signals][exit][sem:20]") {
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto r1 = reason_of([] { throw std::runtime_error("oops"); });
    CHECK(r1 == otp::exit_reason::exception("std::runtime_error", "oops"));
    CHECK(r1.what_kind() == otp::exit_reason::kind::exception);
    CHECK(r1.exception_type() == "std::runtime_error");
    CHECK(r1.detail() == "oops");

    const auto r2 = reason_of([] { throw sigtest_error("mine"); });
    CHECK(r2 == otp::exit_reason::exception("sigtest_error", "mine"));

    const auto r3 = reason_of([] { std::vector<int>().at(3); });
    CHECK(r3.what_kind() == otp::exit_reason::kind::exception);
    CHECK(r3.exception_type() == "std::out_of_range");
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("throw 42 ends the process with an exception reason of type int",
          "[signals][exit][sem:20]") {
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto r = reason_of([] { throw 42; });
    CHECK(r.what_kind() == otp::exit_reason::kind::exception);
    CHECK(r.exception_type() == "int");
    CHECK(r.detail().find("42") != std::string::npos);
    CHECK_FALSE(r.is_silent());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("an exit_error escaping a process ends it with exactly its reason",
          "[signals][exit][sem:20]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    CHECK(reason_of(
              [] { throw otp::exit_error(otp::exit_reason::user("thrown")); })
          == otp::exit_reason::user("thrown"));
    CHECK(reason_of([] { throw otp::exit_error(otp::exit_reason::shutdown()); })
          == otp::exit_reason::shutdown());
  });
  REQUIRE(sig::settles(rt));
}
