// Agent: functions run inside the agent, every op but cast is a call with
// a 5 s default timeout, get_and_update's two forms, crashes, start
// failures, cast and stop [sem:47, 48, 49, 50, 51].

#include "behaviours/agent.hpp"

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace {

using counter = otp::agent<int>;
using store = otp::agent<std::map<std::string, int>>;

/// Sent to an agent whose function waits for it (see `hold`).
struct go {};
/// A client's report in the concurrency test.
struct client_done {
  std::vector<int> replies;
};

/// Start a counter agent linked to the caller.
counter start_counter(int n = 0) {
  const otp::start_result r = counter::start_link([n] { return n; });
  REQUIRE(r.ok());
  return r.pid();
}

/// Make `a` busy until it receives `go`: the function runs inside the agent,
/// so nothing else is served meanwhile.
void hold(const counter& a) {
  a.cast([](int&) { otp::receive([](go) {}); });
}

/// The reason of the DOWN of monitor `m`.
otp::exit_reason down_reason(const otp::ref& m) {
  return otp::receive(
      otp::guard([&](const otp::down_message& d) { return d.monitor == m; },
                 [](otp::down_message&& d) { return d.reason; }));
}

/// Run `fn` in a new process and return the reason it exited with.
template <class F>
otp::exit_reason exit_of(F fn) {
  const otp::spawned s = otp::spawn_monitor(std::move(fn));
  return down_reason(s.monitor);
}

/// The reason an agent call failed with (call exits the caller by throwing).
template <class F>
otp::exit_reason call_error(F fn) {
  try {
    fn();
  } catch (const otp::exit_error& e) {
    return e.reason();
  }
  FAIL("the call did not fail");
  return {};
}

/// Options that register the agent under `name`.
otp::server_options named(std::string name) {
  otp::server_options o;
  o.name = std::move(name);
  return o;
}

/// `{Reason,{GenServer,call,[...]}}`: how a failed agent call exits.
bool is_agent_call(const otp::exit_reason& r) {
  return r.what_kind() == otp::exit_reason::kind::wrapped
         && r.where().rfind("{GenServer,call,[", 0) == 0;
}

const otp::exit_reason boom =
    otp::exit_reason::exception("std::runtime_error", "boom");

// -- what the types of get_and_update allow [sem:49] -------------------------

template <class State, class F>
concept can_get_and_update = requires(const otp::agent<State>& a, F f) {
  a.get_and_update(f);
};
template <class State, class F>
concept can_update = requires(const otp::agent<State>& a, F f) {
  a.update(f);
};
template <class State, class F>
concept can_get = requires(const otp::agent<State>& a, F f) {
  a.get(f);
};

constexpr auto in_place = [](int& n) {
  return n++;
};
constexpr auto generic_in_place = [](auto& n) {
  return n++;
};
constexpr auto elixir_pair = [](const int& n) {
  return std::pair{std::to_string(n), n + 1};
};
constexpr auto no_reply = [](int& n) {
  ++n;
};
constexpr auto wrong_state = [](const std::string& s) {
  return s.size();
};
constexpr auto not_a_state = [](const int&) {
  return std::string("x");
};

} // namespace

TEST_CASE("every agent function runs inside the agent process",
          "[agent][sem:47]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    using who = otp::agent<otp::pid>;
    const otp::start_result r = who::start_link([] { return otp::self(); });
    REQUIRE(r.ok());
    const who a = r.pid();
    const otp::pid agent = r.pid();
    REQUIRE(agent != otp::self());
    CHECK(a.get([](const otp::pid& p) { return p; }) == agent); // init

    CHECK(a.get([](const otp::pid&) { return otp::self(); }) == agent);
    a.update([](otp::pid& p) { p = otp::pid(); });
    a.update([](otp::pid& p) { p = otp::self(); });
    CHECK(a.get([](const otp::pid& p) { return p; }) == agent);
    CHECK(a.get_and_update([](otp::pid&) { return otp::self(); }) == agent);
    CHECK(a.get_and_update([](const otp::pid&) {
      return std::pair{otp::self(), otp::pid()};
    }) == agent);
    a.cast([](otp::pid& p) { p = otp::self(); });
    CHECK(a.get([](const otp::pid& p) { return p; }) == agent);
    a.stop();
  });
}

TEST_CASE("an expensive function blocks the agent and not the caller",
          "[agent][sem:47]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const counter a = start_counter();
    hold(a); // a cast: returns while the agent waits
    a.cast([](int& n) { n = 7; });
    // Busy, the agent serves nobody: a short get times out.
    const otp::exit_reason r =
        call_error([&] { a.get([](int n) { return n; }, 20ms); });
    CHECK(r.inner() == otp::exit_reason::timeout());
    otp::send(a.whereis(), go{});
    CHECK(a.get([](int n) { return n; }) == 7);
    a.stop();
  });
}

TEST_CASE("a timed out call exits the caller while the agent keeps computing",
          "[agent][sem:48]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const counter a = start_counter();
    hold(a);
    const otp::exit_reason r =
        exit_of([a] { a.update([](int& n) { n = 42; }, 50ms); });
    CHECK(r.inner() == otp::exit_reason::timeout());
    CHECK(is_agent_call(r));
    CHECK(r.where().find(",50]}") != std::string::npos);
    CHECK(r.to_string().rfind("{timeout,{GenServer,call,", 0) == 0);
    // The update the caller gave up on still runs once the agent is free.
    REQUIRE(otp::alive(a.whereis()));
    otp::send(a.whereis(), go{});
    CHECK(a.get([](int n) { return n; }) == 42);
    a.stop();
  });
}

TEST_CASE("agent get and update and get_and_update are calls that time out",
          "[agent][sem:48]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const counter a = start_counter();
    hold(a);
    const std::vector<otp::exit_reason> reasons{
        call_error([&] { a.get([](int n) { return n; }, 10ms); }),
        call_error([&] { a.update([](int& n) { n += 1; }, 10ms); }),
        call_error(
            [&] { a.get_and_update([](int& n) { return n += 10; }, 10ms); }),
    };
    for (const auto& r : reasons) {
      CHECK(r.inner() == otp::exit_reason::timeout());
      CHECK(is_agent_call(r));
    }
    otp::send(a.whereis(), go{});
    // Both changes were computed after their callers gave up.
    CHECK(a.get([](int n) { return n; }) == 11);
    // ...and their late replies were dropped, not queued here.
    CHECK(otp::message_queue_len() == 0);
    a.stop();
  });
}

TEST_CASE("agent calls default to a timeout of 5000 ms", "[agent][sem:48]") {
  static_assert(otp::default_call_timeout == 5000ms);
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const counter a = start_counter();
    a.stop();
    // The failure names the timeout the call used.
    const otp::exit_reason r =
        call_error([&] { a.get([](int n) { return n; }); });
    CHECK(r.inner() == otp::exit_reason::noproc());
    CHECK(r.where().find(",5000]}") != std::string::npos);
  });
}

TEST_CASE("an agent get_and_update function without a reply does not compile",
          "[agent][sem:49]") {
  // Elixir stops the agent with bad_return_value when the function returns
  // something else than {reply, new_state}. Here every function that
  // compiles has a meaning: a pair whose second is the State is Elixir's
  // {reply, new_state}, anything else is the reply (the state is changed in
  // place, if at all). What has no meaning (no reply, or a function not
  // taking the State) is rejected by the constraints of get_and_update, so
  // the agent can never see a bad return.
  STATIC_REQUIRE(can_get_and_update<int, decltype(in_place)>);
  STATIC_REQUIRE(can_get_and_update<int, decltype(generic_in_place)>);
  STATIC_REQUIRE(can_get_and_update<int, decltype(elixir_pair)>);
  STATIC_REQUIRE_FALSE(can_get_and_update<int, decltype(no_reply)>);
  STATIC_REQUIRE_FALSE(can_get_and_update<int, decltype(wrong_state)>);
  // The reply type: what fn returns, or the first of Elixir's pair.
  STATIC_REQUIRE(
      std::is_same_v<
          decltype(std::declval<counter&>().get_and_update(in_place)), int>);
  STATIC_REQUIRE(std::is_same_v<
                 decltype(std::declval<counter&>().get_and_update(elixir_pair)),
                 std::string>);
  // update: in place (returns nothing) or Elixir's (returns the State).
  STATIC_REQUIRE(can_update<int, decltype(no_reply)>);
  STATIC_REQUIRE_FALSE(can_update<int, decltype(not_a_state)>);
  STATIC_REQUIRE_FALSE(can_update<int, decltype(wrong_state)>);
  // get needs a function of the State.
  STATIC_REQUIRE_FALSE(can_get<int, decltype(no_reply)>);
  STATIC_REQUIRE_FALSE(can_get<int, decltype(wrong_state)>);
}

TEST_CASE(
    "agent get_and_update changes the state in place and returns the reply",
    "[agent][sem:49]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const counter a = start_counter(5);
    CHECK(a.get_and_update(in_place) == 5);
    CHECK(a.get_and_update(generic_in_place) == 6);
    CHECK(a.get_and_update([](int& n) { return std::to_string(n *= 2); })
          == "14");
    CHECK(a.get([](int n) { return n; }) == 14);
    a.stop();
  });
}

TEST_CASE("agent get_and_update takes Elixir's pair of reply and new state",
          "[agent][sem:49]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const counter a = start_counter(1);
    CHECK(a.get_and_update(elixir_pair) == "1");
    CHECK(a.get([](int n) { return n; }) == 2);
    CHECK(a.get_and_update([](const auto& n) {
      return std::pair{n * 10, 0};
    }) == 20);
    CHECK(a.get([](int n) { return n; }) == 0);
    // A pair whose second is no State is just a reply: the state stays.
    const auto p = a.get_and_update([](const int&) {
      return std::pair{1, std::string("not a state")};
    });
    CHECK(p == std::pair{1, std::string("not a state")});
    CHECK(a.get([](int n) { return n; }) == 0);
    a.stop();
  });
}

TEST_CASE("an exception in a function crashes the agent and exits the caller",
          "[agent][sem:50]") {
  const int op = GENERATE(0, 1, 2);
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const otp::start_result s = counter::start([] { return 0; });
    REQUIRE(s.ok());
    const counter a = s.pid();
    const otp::ref agent_down = otp::monitor(s.pid());
    const otp::exit_reason caller = exit_of([a, op] {
      if (op == 0)
        a.update([](int&) { throw std::runtime_error("boom"); });
      else if (op == 1)
        a.get([](int) -> int { throw std::runtime_error("boom"); });
      else
        a.get_and_update([](int&) -> int { throw std::runtime_error("boom"); });
    });
    CHECK(is_agent_call(caller));
    CHECK(caller.inner() == boom);
    CHECK(down_reason(agent_down) == boom);
  });
  // The agent's crash report (the caller's exit may add one of its own).
  CHECK(logs.wait_for(otp::log_level::error, 1));
}

TEST_CASE("an exception in a cast function crashes the agent",
          "[agent][sem:50]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const otp::start_result s = counter::start([] { return 0; });
    REQUIRE(s.ok());
    const counter a = s.pid();
    const otp::ref m = otp::monitor(s.pid());
    a.cast([](int&) { throw std::runtime_error("boom"); });
    CHECK(down_reason(m) == boom);
  });
}

TEST_CASE("a failing init function makes agent start return the exception",
          "[agent][sem:50]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const auto bad_init = []() -> int {
      throw std::runtime_error("boom");
    };
    const otp::start_result r = counter::start(bad_init);
    CHECK_FALSE(r.ok());
    CHECK(r.error() == boom);
    CHECK_FALSE(r.pid());

    // Linked: a trapping caller gets the error and the agent's EXIT.
    otp::trap_exit(true);
    const otp::start_result l = counter::start_link(bad_init);
    CHECK(l.error() == boom);
    const otp::exit_reason exit = otp::receive(
        [](otp::exit_message&& m) { return m.reason; },
        otp::after(5s, [] { return otp::exit_reason::user("no EXIT"); }));
    CHECK(exit == boom);
  });
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("cast returns at once whether or not the agent exists",
          "[agent][sem:51]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const counter a = start_counter();
    const otp::pid p = a.whereis();
    a.stop();
    REQUIRE_FALSE(otp::alive(p));
    const counter dead = p;
    dead.cast([](int& n) { ++n; });
    const counter nobody("no_such_agent");
    nobody.cast([](int& n) { ++n; });
    CHECK(otp::alive(otp::self()));
  });
}

TEST_CASE("stop ends the agent with normal by default and waits for it",
          "[agent][sem:51]") {
  const bool custom = GENERATE(false, true);
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::start_result s = counter::start([] { return 0; });
    REQUIRE(s.ok());
    const counter a = s.pid();
    const otp::ref m = otp::monitor(s.pid());
    const otp::exit_reason want = custom ? otp::exit_reason::shutdown("done")
                                         : otp::exit_reason::normal();
    if (custom)
      a.stop(want);
    else
      a.stop();
    CHECK_FALSE(otp::alive(s.pid())); // stop returned after the exit
    CHECK(down_reason(m) == want);
  });
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("after agent stop every call exits the caller with noproc",
          "[agent][sem:51]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const counter a = start_counter();
    a.stop();
    for (const auto& r : {
             call_error([&] { a.get([](int n) { return n; }); }),
             call_error([&] { a.update([](int& n) { ++n; }); }),
             call_error([&] { a.get_and_update(in_place); }),
         }) {
      CHECK(r.inner() == otp::exit_reason::noproc());
      CHECK(is_agent_call(r));
    }
    // Uncaught, the failure is the caller's exit reason.
    const otp::exit_reason r = exit_of([a] { a.update([](int& n) { ++n; }); });
    CHECK(r.inner() == otp::exit_reason::noproc());
    // Stopping it again finds nobody either.
    CHECK(call_error([&] { a.stop(); }).inner() == otp::exit_reason::noproc());
  });
}

TEST_CASE("a named agent is reached through its name", "[agent]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::start_result r =
        counter::start_link([] { return 1; }, named("agent_counter"));
    REQUIRE(r.ok());
    const counter a("agent_counter");
    CHECK(a.whereis() == r.pid());
    a.update([](int& n) { n += 1; });
    a.cast([](int& n) { n += 1; });
    CHECK(a.get([](int n) { return n; }) == 3);
    CHECK(counter(r.pid()).get([](int n) { return n; }) == 3);

    const otp::start_result again =
        counter::start_link([] { return 0; }, named("agent_counter"));
    CHECK(again.error().what_kind() == otp::exit_reason::kind::already_started);
    CHECK(again.pid() == r.pid());

    a.stop();
    CHECK_FALSE(a.whereis());
    CHECK(call_error([&] { a.get([](int n) { return n; }); }).inner()
          == otp::exit_reason::noproc());
  });
}

TEST_CASE("agent update changes the state in place or replaces it", "[agent]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    using map = std::map<std::string, int>;
    const otp::start_result r = store::start_link([] { return map{}; });
    REQUIRE(r.ok());
    const store a = r.pid();
    a.update([](auto& m) { m["in_place"] = 1; });
    a.update([](const map& m) {
      map next = m;
      next["returned"] = 2;
      return next;
    });
    a.cast([](map& m) { m["cast_in_place"] = 3; });
    a.cast([](const map& m) {
      map next = m;
      next.erase("in_place");
      return next;
    });
    CHECK(a.get([](const map& m) { return m; })
          == map{{"cast_in_place", 3}, {"returned", 2}});
    a.stop();
  });
}

TEST_CASE("two hundred concurrent agent clients lose no update", "[agent]") {
  constexpr int clients = 200;
  constexpr int rounds = 20;
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const counter a = start_counter();
    const otp::pid me = otp::self();
    for (int c = 0; c < clients; ++c)
      otp::spawn([a, me] {
        client_done done;
        for (int i = 0; i < rounds; ++i) {
          switch (i % 4) {
          case 0:
            a.update([](int& n) { ++n; });
            break;
          case 1:
            a.update([](const int& n) { return n + 1; });
            break;
          case 2:
            done.replies.push_back(
                a.get_and_update([](int& n) { return n++; }));
            break;
          default:
            a.cast([](int& n) { ++n; });
          }
        }
        // A call after the casts: they are applied when it returns.
        a.get([](int n) { return n; });
        otp::send(me, std::move(done));
      });
    std::set<int> seen;
    std::size_t replies = 0;
    for (int c = 0; c < clients; ++c)
      for (int v : otp::receive_as<client_done>().replies) {
        seen.insert(v);
        ++replies;
      }
    CHECK(a.get([](int n) { return n; }) == clients * rounds);
    // Each get_and_update saw a different value: none overlapped another.
    CHECK(seen.size() == replies);
    a.stop();
  });
  CHECK(otp_test::all_exited(rt));
}
