// `kill` always ends the process, within a bounded time, whatever its code
// does: a `catch (...)` that swallows the unwinding, a destructor that waits
// for a message. An exit that is not a kill still lets destructors talk.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>

using namespace std::chrono_literals;

namespace {

struct ready {};
struct ask {
  otp::pid from;
};
struct answer {};

/// Its destructor waits for a message that never comes.
struct waits_in_destructor {
  ~waits_in_destructor() {
    otp::receive([](const answer&) {});
  }
};

/// Its destructor asks `server` and waits for the answer.
struct asks_in_destructor {
  otp::pid server;
  otp::pid report;
  ~asks_in_destructor() {
    otp::send(server, ask{otp::self()});
    const bool got = otp::receive([](const answer&) { return true; },
                                  otp::after(5s, [] { return false; }));
    otp::send(report, std::string(got ? "answered" : "no answer"));
  }
};

} // namespace

TEST_CASE("a worker that catches everything around its receive still dies "
          "at a kill",
          "[faults][kill][sem:92]") {
  otp_test::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  std::atomic<long> swallowed{0};
  otp::exit_reason reason;
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto w = otp::spawn_monitor([me, &swallowed] {
      otp::send(me, ready{});
      for (;;) {
        try {
          otp::receive([](int) {});
        } catch (...) {
          ++swallowed; // and on to the next receive
        }
      }
    });
    otp::receive([](ready) {});
    otp::exit(w.pid, otp::exit_reason::kill());
    const auto d = otp::receive_as<otp::down_message>(5s);
    REQUIRE(d.has_value());
    reason = d->reason;
  });
  CHECK(reason == otp::exit_reason::killed());
  // The unwinding is thrown three times; the third swallowed one ends it.
  CHECK(swallowed.load() == 3);
  CHECK(logs.count(otp::log_level::warning, "without further unwinding") == 1);
}

TEST_CASE("a destructor that waits for a message does not keep a killed "
          "process alive",
          "[faults][kill]") {
  otp_test::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  otp::exit_reason reason;
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto w = otp::spawn_monitor([me] {
      waits_in_destructor guard;
      otp::send(me, ready{});
      otp::receive([](int) {});
    });
    otp::receive([](ready) {});
    otp::exit(w.pid, otp::exit_reason::kill());
    const auto d = otp::receive_as<otp::down_message>(5s);
    REQUIRE(d.has_value());
    reason = d->reason;
  });
  CHECK(reason == otp::exit_reason::killed());
}

TEST_CASE("a destructor may still talk to other processes while its process "
          "exits for another reason",
          "[faults][kill]") {
  otp::runtime rt{{.threads = 2}};
  std::string said;
  otp::exit_reason reason;
  rt.run([&] {
    const otp::pid me = otp::self();
    const otp::pid server = otp::spawn([] {
      for (;;)
        otp::receive([](const ask& a) { otp::send(a.from, answer{}); });
    });
    const auto w = otp::spawn_monitor([me, server] {
      asks_in_destructor guard{server, me};
      otp::send(me, ready{});
      otp::receive([](int) {});
    });
    otp::receive([](ready) {});
    otp::exit(w.pid, otp::exit_reason::shutdown());
    said = otp::receive_as<std::string>(5s).value_or("nothing");
    const auto d = otp::receive_as<otp::down_message>(5s);
    REQUIRE(d.has_value());
    reason = d->reason;
    otp::exit(server, otp::exit_reason::kill());
  });
  CHECK(said == "answered");
  CHECK(reason == otp::exit_reason::shutdown());
}

TEST_CASE("a kill ends an exit whose destructor waits, and the process is "
          "reported killed",
          "[faults][kill]") {
  otp_test::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  otp::exit_reason reason;
  bool still_alive_after_shutdown = false;
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto w = otp::spawn_monitor([me] {
      waits_in_destructor guard;
      otp::send(me, ready{});
      otp::receive([](int) {});
    });
    otp::receive([](ready) {});
    otp::exit(w.pid, otp::exit_reason::shutdown());
    // The destructor waits: no DOWN yet (a bounded check, not a sleep).
    still_alive_after_shutdown =
        !otp::receive_as<otp::down_message>(50ms).has_value();
    otp::exit(w.pid, otp::exit_reason::kill());
    const auto d = otp::receive_as<otp::down_message>(5s);
    REQUIRE(d.has_value());
    reason = d->reason;
  });
  CHECK(still_alive_after_shutdown);
  CHECK(reason == otp::exit_reason::killed());
}

TEST_CASE("kills of swallowing workers, stressed: every one dies",
          "[faults][kill][stress]") {
  otp_test::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  const int n = 200;
  int killed = 0;
  rt.run([&] {
    const otp::pid me = otp::self();
    std::vector<otp::pid> ws;
    for (int i = 0; i < n; ++i) {
      ws.push_back(otp::spawn_monitor([me] {
                     otp::send(me, ready{});
                     for (;;) {
                       try {
                         otp::receive([](int) {}, otp::after(1ms));
                       } catch (...) {
                       }
                     }
                   }).pid);
    }
    for (int i = 0; i < n; ++i)
      otp::receive([](ready) {});
    for (const auto& w : ws)
      otp::exit(w, otp::exit_reason::kill());
    for (int i = 0; i < n; ++i) {
      const auto d = otp::receive_as<otp::down_message>(5s);
      if (d && d->reason == otp::exit_reason::killed())
        ++killed;
    }
  });
  CHECK(killed == n);
}
