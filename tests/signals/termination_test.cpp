// Termination unwinds: a killed process runs its destructors wherever it was
// suspended (receive, sleep, a yield loop, blocking(), hibernation), and a
// catch (...) that swallows the unwinding does not save it [sem:3]. A
// process killed inside a running blocking() call is dead for everyone at
// once; its stack unwinds when the call returns (blocking.hpp).

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

struct cleaned {};
struct ready {};
struct swallowed {};
struct went_on {};

/// Sends `cleaned` to its owner when destroyed (when the stack unwinds).
struct cleanup_guard {
  otp::pid observer;
  ~cleanup_guard() { otp::send(observer, cleaned{}); }
};

/// Where a victim is suspended when the kill arrives.
enum class blocked_in { receive, sleep, yield_loop, blocking };

const char* name_of(blocked_in w) {
  switch (w) {
  case blocked_in::receive:
    return "receive";
  case blocked_in::sleep:
    return "sleep";
  case blocked_in::yield_loop:
    return "a yield loop";
  case blocked_in::blocking:
    return "blocking()";
  }
  return "?";
}

/// Lets a blocking() call finish; counts how often its function ran.
struct gate {
  std::atomic<bool> entered{false};
  std::atomic<bool> open{false};
  std::atomic<int> runs{0};
};

/// Suspend in the way `w` says until an exit signal ends the wait.
void block(blocked_in w, gate& g) {
  switch (w) {
  case blocked_in::receive:
    otp::receive([](sig::never) {});
    break;
  case blocked_in::sleep:
    otp::sleep(1h);
    break;
  case blocked_in::yield_loop:
    for (;;)
      otp::yield();
  case blocked_in::blocking:
    otp::blocking([&g] {
      ++g.runs;
      g.entered = true;
      while (!g.open) // a blocking call on the pool, not on a scheduler
        std::this_thread::sleep_for(1ms);
    });
    break;
  }
}

} // namespace

TEST_CASE("a killed process runs its destructors, wherever it was "
          "suspended",
          "[signals][termination][sem:3]") {
  const blocked_in where =
      GENERATE(blocked_in::receive, blocked_in::sleep, blocked_in::yield_loop,
               blocked_in::blocking);
  INFO("killed in " << name_of(where));
  otp::runtime rt{{.threads = 2}};
  gate g;
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto victim = otp::spawn_monitor([me, where, &g] {
      cleanup_guard guard{me};
      otp::send(me, ready{});
      block(where, g);
    });
    otp::receive([](ready) {});
    if (where == blocked_in::blocking) // kill it inside the call
      REQUIRE(sig::eventually([&] { return g.entered.load(); }));
    otp::exit(victim.pid, otp::exit_reason::kill());
    if (where == blocked_in::blocking) {
      // Dead at once; the destructor runs when the call returns.
      CHECK(sig::down_reason(victim.monitor) == otp::exit_reason::killed());
      g.open = true;
      CHECK(otp::receive_as<cleaned>(5s).has_value());
      return;
    }
    g.open = true;
    // The destructor's message was sent before the DOWN [sem:16].
    const bool cleaned_first =
        otp::receive([](cleaned) { return true; },
                     otp::guard(
                         [&](const otp::down_message& d) {
                           return d.monitor == victim.monitor;
                         },
                         [](otp::down_message&&) { return false; }),
                     otp::after(5s, [] { return false; }));
    CHECK(cleaned_first);
    CHECK(sig::down_reason(victim.monitor) == otp::exit_reason::killed());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a catch (...) that swallows the kill does not save the process",
          "[signals][termination][sem:3]") {
  const blocked_in where =
      GENERATE(blocked_in::receive, blocked_in::sleep, blocked_in::yield_loop,
               blocked_in::blocking);
  const bool returns = GENERATE(false, true);
  INFO("killed in " << name_of(where) << "; after the catch it "
                    << (returns ? "returns normally" : "suspends again"));
  otp::runtime rt{{.threads = 2}};
  gate g;
  bool cleaned_seen = false;
  bool swallowed_seen = false;
  bool went_on_seen = false;
  otp::exit_reason reason;
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto victim = otp::spawn_monitor([me, where, returns, &g] {
      cleanup_guard guard{me};
      try {
        otp::send(me, ready{});
        block(where, g);
      } catch (...) {
        otp::send(me, swallowed{}); // not a suspension point
      }
      if (returns) {
        otp::send(me, went_on{}); // code without suspension still runs
        return;
      }
      block(where, g); // the next suspension point unwinds again
      otp::send(me, went_on{});
    });
    otp::receive([](ready) {});
    if (where == blocked_in::blocking) // kill it inside the call
      REQUIRE(sig::eventually([&] { return g.entered.load(); }));
    otp::exit(victim.pid, otp::exit_reason::kill());
    g.open = true;
    reason = sig::down_reason(victim.monitor).value_or(otp::exit_reason());
    // Everything the victim sent came before its DOWN; a process killed in
    // a running blocking() call is dead first, and its code goes on when
    // the call returns: then wait for what it sends (bounded).
    const auto wait = where == blocked_in::blocking ? 1s : 0ms;
    swallowed_seen = otp::receive_as<swallowed>(wait).has_value();
    went_on_seen = otp::receive_as<went_on>(returns ? wait : 0ms).has_value();
    cleaned_seen = otp::receive_as<cleaned>(wait).has_value();
  });
  CHECK(reason == otp::exit_reason::killed());
  // Suspending again after swallowing the kill unwinds again: the guard's
  // destructor runs either way.
  CHECK(cleaned_seen);
  CHECK(swallowed_seen);
  CHECK(went_on_seen == returns);
  if (where == blocked_in::blocking)
    CHECK(g.runs == 1); // a second blocking() call unwinds before running
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a process killed inside blocking() is dead at once, and its "
          "code does not go on when the call returns",
          "[signals][termination][sem:3]") {
  otp::runtime rt{{.threads = 2}};
  gate g;
  std::atomic<bool> returned_from_blocking{false};
  rt.run([&] {
    const auto victim = otp::spawn_monitor([&] {
      otp::blocking([&] {
        g.entered = true;
        while (!g.open)
          std::this_thread::sleep_for(1ms);
        ++g.runs; // the function itself runs to its end
      });
      returned_from_blocking = true;
    });
    REQUIRE(sig::eventually([&] { return g.entered.load(); }));
    otp::exit(victim.pid, otp::exit_reason::kill());
    // The DOWN comes while the call still runs.
    CHECK(sig::down_reason(victim.monitor) == otp::exit_reason::killed());
    CHECK_FALSE(otp::alive(victim.pid));
    CHECK(g.runs == 0);
    g.open = true;
  });
  REQUIRE(sig::eventually([&] { return g.runs.load() == 1; }));
  CHECK(g.runs == 1);
  CHECK_FALSE(returned_from_blocking);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a busy process finishes its computation before an exit signal "
          "takes effect at its next suspension point",
          "[signals][termination][sem:3]") {
  // The signal is sent while the victim computes: by a helper it spawned,
  // which runs at once on the victim's thread and is done before the victim
  // continues. The victim's computation is waiting for the helper's flag.
  const bool kill = GENERATE(true, false);
  INFO((kill ? "exit(pid, kill)" : "exit(pid, boom)"));
  otp::runtime rt{{.threads = 2}};
  std::atomic<bool> sent{false};
  std::atomic<bool> computed{false};
  std::atomic<bool> after_yield{false};
  otp::exit_reason reason;
  rt.run([&] {
    const auto victim = otp::spawn_monitor([&, kill] {
      const otp::pid me = otp::self();
      otp::spawn([me, kill, &sent] {
        otp::exit(me, kill ? otp::exit_reason::kill()
                           : otp::exit_reason::user("boom"));
        sent = true;
      });
      while (!sent) { // no suspension point: the signal waits
      }
      CHECK(otp::alive(me));
      computed = true;
      otp::yield(); // the signal takes effect here
      after_yield = true;
    });
    reason = sig::down_reason(victim.monitor).value_or(otp::exit_reason());
  });
  CHECK(
      reason
      == (kill ? otp::exit_reason::killed() : otp::exit_reason::user("boom")));
  CHECK(computed);
  CHECK_FALSE(after_yield);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a hibernating process is ended by an exit signal and frees its "
          "continuation",
          "[signals][termination][sem:3]") {
  const bool kill = GENERATE(true, false);
  INFO((kill ? "exit(pid, kill)" : "exit(pid, boom)"));
  otp::runtime rt{{.threads = 2}};
  std::atomic<bool> continued{false};
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto victim = otp::spawn_monitor([me, &continued] {
      otp::send(me, ready{});
      otp::hibernate([&continued, guard = std::make_shared<cleanup_guard>(me)] {
        continued = true;
        otp::receive([](sig::never) {});
      });
    });
    // The victim hibernated right after sending `ready` (it ran at once on
    // spawn). Asking process_info would wake it (see the next test).
    otp::receive([](ready) {});
    otp::exit(victim.pid,
              kill ? otp::exit_reason::kill() : otp::exit_reason::user("boom"));
    CHECK(sig::down_reason(victim.monitor)
          == (kill ? otp::exit_reason::killed()
                   : otp::exit_reason::user("boom")));
    CHECK(sig::eventually(
        [] { return otp::receive_as<cleaned>(0ms).has_value(); }));
  });
  CHECK_FALSE(continued);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("exit(reason) called by the process itself unwinds its stack",
          "[signals][termination]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto s = otp::spawn_monitor([me] {
      cleanup_guard guard{me};
      otp::exit(otp::exit_reason::user("bye"));
    });
    CHECK(otp::receive_as<cleaned>(5s).has_value());
    CHECK(sig::down_reason(s.monitor) == otp::exit_reason::user("bye"));
  });
  REQUIRE(sig::settles(rt));
}

namespace {
struct woke {
  std::size_t queued;
};

/// Hibernate; each time the continuation runs, report how many messages
/// were queued, drop them, and hibernate again.
void hibernate_and_report(otp::pid observer) {
  otp::hibernate([observer] {
    otp::send(observer, woke{otp::message_queue_len()});
    otp::flush();
    hibernate_and_report(observer);
  });
}
} // namespace

TEST_CASE("signals that are not messages leave a hibernating process "
          "hibernating",
          "[signals][termination]") {
  // this_process.hpp: the continuation runs "when the next message
  // arrives". A monitor, a link, an unlink, a demonitor, process_info or an
  // ignored exit signal is no message (as in Erlang, where only a message
  // ends hibernation).
  otp::runtime rt{{.threads = 2}};
  std::size_t empty_wakes = 0;
  std::size_t wakes = 0;
  rt.run([&] {
    const otp::pid me = otp::self();
    const otp::pid h = otp::spawn([me] {
      otp::send(me, ready{});
      hibernate_and_report(me);
    });
    otp::receive([](ready) {});
    const otp::ref r = otp::monitor(h);
    otp::demonitor(r);
    otp::link(h);
    otp::unlink(h);
    otp::exit(h, otp::exit_reason::normal()); // ignored: h does not trap
    CHECK(otp::process_info(h).has_value());
    otp::send(h, sig::go{}); // the one message: wakes it once
    for (;;) {
      const auto w = otp::receive_as<woke>(5s);
      REQUIRE(w.has_value());
      ++wakes;
      if (w->queued == 0) {
        ++empty_wakes;
        continue;
      }
      break;
    }
    otp::exit(h, otp::exit_reason::kill());
  });
  CHECK(empty_wakes == 0);
  CHECK(wakes == 1);
  REQUIRE(sig::settles(rt));
}
