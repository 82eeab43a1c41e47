// The propagation matrix: every way a process can end x a partner that
// traps exits or not x a link or a monitor. For each cell the test asserts
// what the partner received and whether it survived, and the victim's own
// exit reason [sem:3, 4, 5, 7, 8, 20].
//
// Roles: the observer (the test's process) spawns the partner under a
// monitor; the partner spawn_links or spawn_monitors the victim; the
// observer makes the victim end and then collects the partner's report and
// the partner's own DOWN.

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// How the victim ends.
enum class ending {
  normal,          ///< returns from its function
  shutdown,        ///< exit(shutdown)
  shutdown_detail, ///< exit({shutdown, db_down})
  kill_by_other,   ///< another process calls exit(victim, kill)
  kill_by_self,    ///< exit(kill) by the victim itself
  user,            ///< exit(boom)
  exception,       ///< throw std::runtime_error("oops")
};

const char* name_of(ending how) {
  switch (how) {
  case ending::normal:
    return "returns normally";
  case ending::shutdown:
    return "exits shutdown";
  case ending::shutdown_detail:
    return "exits {shutdown,db_down}";
  case ending::kill_by_other:
    return "is killed with exit(pid, kill)";
  case ending::kill_by_self:
    return "exits kill itself";
  case ending::user:
    return "exits boom";
  case ending::exception:
    return "throws std::runtime_error";
  }
  return "?";
}

/// The reason the victim ends with, which is also what its links and
/// monitors see.
otp::exit_reason seen_reason(ending how) {
  switch (how) {
  case ending::normal:
    return otp::exit_reason::normal();
  case ending::shutdown:
    return otp::exit_reason::shutdown();
  case ending::shutdown_detail:
    return otp::exit_reason::shutdown("db_down");
  case ending::kill_by_other:
    return otp::exit_reason::killed(); // kill becomes killed [sem:3]
  case ending::kill_by_self:
    return otp::exit_reason::kill(); // exit(kill) passes kill on [sem:5]
  case ending::user:
    return otp::exit_reason::user("boom");
  case ending::exception:
    return otp::exit_reason::exception("std::runtime_error", "oops");
  }
  return {};
}

void victim(ending how) {
  if (how == ending::kill_by_other)
    sig::park();
  otp::receive([](sig::go) {});
  switch (how) {
  case ending::normal:
  case ending::kill_by_other:
    return;
  case ending::shutdown:
    otp::exit(otp::exit_reason::shutdown());
  case ending::shutdown_detail:
    otp::exit(otp::exit_reason::shutdown("db_down"));
  case ending::kill_by_self:
    otp::exit(otp::exit_reason::kill());
  case ending::user:
    otp::exit(otp::exit_reason::user("boom"));
  case ending::exception:
    throw std::runtime_error("oops");
  }
}

struct victim_is {
  otp::pid pid;
};

/// What the partner saw: the exit_messages in its mailbox and the reason of
/// its own DOWN for the victim.
struct report {
  std::vector<otp::exit_message> exits;
  std::optional<otp::exit_reason> down;
};

/// Links to (or monitors) the victim, waits for the victim's DOWN, reports
/// what it received, then waits for `ping` so that any exit signal still
/// on its way can act on it.
void partner(otp::pid observer, ending how, bool trap, bool use_link) {
  otp::trap_exit(trap);
  otp::pid v;
  otp::ref mon;
  if (use_link) {
    v = otp::spawn_link(victim, how);
    mon = otp::monitor(v); // only to know when the victim has ended
  } else {
    auto s = otp::spawn_monitor(victim, how);
    v = s.pid;
    mon = s.monitor;
  }
  otp::send(observer, victim_is{v});
  report r;
  r.down = sig::down_reason(mon);
  r.exits = sig::take_queued<otp::exit_message>();
  otp::send(observer, r);
  otp::receive([](sig::ping) {});
}

struct outcome {
  otp::exit_reason victim_reason;
  std::optional<report> partner_report;
  otp::exit_reason partner_reason;
};

/// Play one cell of the matrix and collect what happened.
outcome play(otp::runtime& rt, ending how, bool trap, bool use_link) {
  outcome out;
  const auto run_reason = rt.run([&] {
    const auto p =
        otp::spawn_monitor(partner, otp::self(), how, trap, use_link);
    const otp::pid v =
        otp::receive([](victim_is&& m) { return std::move(m.pid); });
    const otp::ref vmon = otp::monitor(v);
    if (how == ending::kill_by_other)
      otp::exit(v, otp::exit_reason::kill());
    else
      otp::send(v, sig::go{});
    out.victim_reason = sig::down_reason(vmon).value();
    for (;;) {
      const bool done = otp::receive(
          [&](report&& r) {
            out.partner_report = std::move(r);
            otp::send(p.pid, sig::ping{});
            return false;
          },
          otp::guard(
              [&](const otp::down_message& d) {
                return d.monitor == p.monitor;
              },
              [&](otp::down_message&& d) {
                out.partner_reason = d.reason;
                return true;
              }),
          otp::after(5s, []() -> bool {
            throw std::runtime_error("the partner neither reported nor died");
          }));
      if (done)
        break;
    }
  });
  REQUIRE(run_reason == otp::exit_reason::normal());
  return out;
}

constexpr ending all_endings[] = {
    ending::normal,        ending::shutdown,     ending::shutdown_detail,
    ending::kill_by_other, ending::kill_by_self, ending::user,
    ending::exception};

} // namespace

TEST_CASE("a link hands every kind of ending to its partner as trap_exit "
          "dictates",
          "[signals][links][sem:4][sem:5][sem:7][sem:8][sem:20]") {
  const ending how =
      GENERATE(from_range(std::begin(all_endings), std::end(all_endings)));
  const bool trap = GENERATE(false, true);
  INFO("the victim " << name_of(how) << "; the partner "
                     << (trap ? "traps exits" : "does not trap exits"));
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2}};

  const outcome out = play(rt, how, trap, true);
  const otp::exit_reason seen = seen_reason(how);

  CHECK(out.victim_reason == seen);
  if (trap) {
    // Every ending arrives as a message, normal and kill included, and the
    // partner lives on [sem:4, 5, 8].
    REQUIRE(out.partner_report.has_value());
    REQUIRE(out.partner_report->exits.size() == 1);
    CHECK(out.partner_report->exits[0].reason == seen);
    CHECK(out.partner_report->down == seen);
    CHECK(out.partner_reason == otp::exit_reason::normal());
  } else if (how == ending::normal) {
    // normal does not affect a partner that does not trap [sem:7].
    REQUIRE(out.partner_report.has_value());
    CHECK(out.partner_report->exits.empty());
    CHECK(out.partner_report->down == seen);
    CHECK(out.partner_reason == otp::exit_reason::normal());
  } else {
    // Any other reason ends the partner with exactly that reason, kill
    // included (not killed) [sem:5, 7].
    CHECK(out.partner_reason == seen);
  }
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a monitor reports every kind of ending as a down_message, "
          "whether the watcher traps exits or not",
          "[signals][monitors][sem:3][sem:5][sem:13][sem:20]") {
  const ending how =
      GENERATE(from_range(std::begin(all_endings), std::end(all_endings)));
  const bool trap = GENERATE(false, true);
  INFO("the victim " << name_of(how) << "; the watcher "
                     << (trap ? "traps exits" : "does not trap exits"));
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2}};

  const outcome out = play(rt, how, trap, false);
  const otp::exit_reason seen = seen_reason(how);

  CHECK(out.victim_reason == seen);
  REQUIRE(out.partner_report.has_value());
  CHECK(out.partner_report->down == seen);
  // A monitor is not a link: no exit signal, and the watcher survives.
  CHECK(out.partner_report->exits.empty());
  CHECK(out.partner_reason == otp::exit_reason::normal());
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a crash writes one error report, naming the process that raised "
          "the exception",
          "[signals][sem:20]") {
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  otp::pid crasher;
  rt.run([&] {
    auto s = otp::spawn_monitor([] { throw std::runtime_error("oops"); });
    crasher = s.pid;
    CHECK(sig::down_reason(s.monitor)
          == otp::exit_reason::exception("std::runtime_error", "oops"));
  });
  REQUIRE(
      sig::eventually([&] { return logs.count(otp::log_level::error) >= 1; }));
  const auto errors = logs.events(otp::log_level::error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].who == crasher);
  CHECK(errors[0].text.find(crasher.to_string()) != std::string::npos);
  CHECK(errors[0].text.find("oops") != std::string::npos);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a process that dies of a linked partner's crash writes no error "
          "report of its own",
          "[signals][links][sem:7]") {
  // Only the process that raised writes a report; its partner did not raise
  // anything, it was ended by an exit signal (as in OTP, where only the
  // crashing process produces a crash report).
  sig::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  otp::pid crasher;
  rt.run([&] {
    const otp::pid me = otp::self();
    auto partner = otp::spawn_monitor([me] {
      otp::send(me, victim_is{otp::spawn_link([] {
                  otp::receive([](sig::go) {});
                  throw std::runtime_error("oops");
                })});
      sig::park();
    });
    crasher = otp::receive([](victim_is&& v) { return std::move(v.pid); });
    otp::send(crasher, sig::go{});
    CHECK(sig::down_reason(partner.monitor)
          == otp::exit_reason::exception("std::runtime_error", "oops"));
  });
  REQUIRE(sig::settles(rt));
  const auto errors = logs.events(otp::log_level::error);
  REQUIRE(!errors.empty());
  CHECK(errors.size() == 1);
  for (const auto& e : errors)
    CHECK(e.who == crasher);
}
