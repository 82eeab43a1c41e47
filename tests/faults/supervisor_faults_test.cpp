// Supervisor faults: a child start that throws something that is not a
// std::exception, and a clean runtime shutdown racing with the supervisors'
// restarts.

#include "behaviours/agent.hpp"
#include "behaviours/gen_server.hpp"
#include "framework/otp.hpp"
#include "supervision/supervision.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"
#include "support/scale.hpp"
#include "support/waits.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// Sent to a test worker: exit with `reason`.
struct crash {
  otp::exit_reason reason;
};

/// A plain worker (started with `otp::start_link`) that waits for `crash`;
/// with `trap` it traps exits and ends with the reason of the first EXIT.
otp::child_spec
worker(std::string id, bool trap,
       otp::restart_type restart = otp::restart_type::permanent) {
  otp::child_spec spec;
  spec.id = std::move(id);
  spec.restart = restart;
  spec.start = [trap] {
    return otp::start_link({}, [trap](otp::starter& s) {
      if (trap)
        otp::trap_exit(true);
      s.ack();
      otp::receive([](crash&& c) { otp::exit(c.reason); },
                   [](otp::exit_message&& m) { otp::exit(m.reason); });
    });
  };
  return spec;
}

/// A child whose start throws `throw 42;` (not a std::exception).
otp::child_spec throwing_child(std::string id) {
  otp::child_spec spec;
  spec.id = std::move(id);
  spec.start = []() -> otp::start_result {
    throw 42;
  };
  return spec;
}

bool is_nocatch_42(const otp::exit_reason& r) {
  return r.what_kind() == otp::exit_reason::kind::exception
         && r.exception_type() == "int" && r.detail() == "nocatch: 42";
}

} // namespace

TEST_CASE("a child start that throws a non-std exception is that child's "
          "start error and the supervisor and its other children live on",
          "[faults][supervision]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto sup = otp::supervisor::start({worker("steady", false)});
    REQUIRE(sup.ok());
    auto steady = otp::supervisor::which_children(sup.pid());
    REQUIRE(steady.ok());
    REQUIRE(steady->size() == 1);
    const otp::pid steady_pid = steady->front().pid;

    auto added = otp::supervisor::start_child(sup.pid(), throwing_child("t"));
    REQUIRE_FALSE(added.ok());
    CHECK(is_nocatch_42(added.error()));
    CHECK(otp::alive(sup.pid()));
    CHECK(otp::alive(steady_pid));
    auto counts = otp::supervisor::count_children(sup.pid());
    REQUIRE(counts.ok());
    CHECK(counts->specs == 1);

    auto dyn = otp::dynamic_supervisor::start();
    REQUIRE(dyn.ok());
    auto kid =
        otp::dynamic_supervisor::start_child(dyn.pid(), worker("kid", false));
    REQUIRE(kid.ok());
    auto bad =
        otp::dynamic_supervisor::start_child(dyn.pid(), throwing_child("t"));
    REQUIRE_FALSE(bad.ok());
    CHECK(is_nocatch_42(bad.error()));
    CHECK(otp::alive(dyn.pid()));
    CHECK(otp::alive(kid.pid()));

    otp::supervisor::stop(sup.pid());
    otp::supervisor::stop(dyn.pid());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a supervisor whose initial child start throws 42 fails to start "
          "with that reason",
          "[faults][supervision][sem:70]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto sup =
        otp::supervisor::start({worker("first", true), throwing_child("bad")});
    REQUIRE_FALSE(sup.ok());
    const std::string text = sup.error().to_string();
    CHECK(text.find("failed_to_start_child,bad,") != std::string::npos);
    CHECK(text.find("nocatch: 42") != std::string::npos);
  });
  REQUIRE(otp_test::all_exited(rt));
  CHECK(logs.count(otp::log_level::error, "start_error") == 1);
}

namespace {

/// Start attempts of the shutdown test's children (restarts included).
std::atomic<std::size_t> start_attempts{0};

/// `worker` that counts its start attempts.
otp::child_spec counted(otp::child_spec spec) {
  spec.start = [inner = spec.start] {
    start_attempts.fetch_add(1, std::memory_order_relaxed);
    return inner();
  };
  return spec;
}

/// An agent child (a GenServer that does not trap exits).
otp::child_spec agent_child(std::string id) {
  otp::child_spec spec;
  spec.id = std::move(id);
  spec.start = [] {
    return otp::agent<int>::start_link([] { return 0; });
  };
  return counted(std::move(spec));
}

/// The mixed tree: a static supervisor over trapping and non-trapping
/// workers and an agent, eight nested supervisors (static one_for_one and
/// rest_for_one, dynamic, task) with children of both kinds.
void start_mixed_tree() {
  std::vector<otp::child_spec> top;
  top.push_back(counted(worker("trapping", true)));
  top.push_back(counted(worker("plain", false)));
  top.push_back(agent_child("agent"));
  for (int k = 0; k < 8; ++k) {
    const std::string n = std::to_string(k);
    if (k % 4 == 2) {
      top.push_back(
          otp::dynamic_supervisor::spec("dyn" + n, {.name = "dyn" + n}));
    } else if (k % 4 == 3) {
      top.push_back(
          otp::task_supervisor::spec("tasks" + n, {.name = "tasks" + n}));
    } else {
      std::vector<otp::child_spec> nested;
      for (int i = 0; i < 4; ++i)
        nested.push_back(counted(worker("w" + std::to_string(i), i % 2 == 0)));
      nested.push_back(agent_child("agent"));
      top.push_back(otp::supervisor::spec(
          "sup" + n, nested,
          {.strategy = k % 4 == 0 ? otp::strategy::one_for_one
                                  : otp::strategy::rest_for_one,
           .max_restarts = 1}));
    }
  }
  top.push_back(counted(worker("last", true, otp::restart_type::transient)));
  auto sup = otp::supervisor::start(
      top, {.strategy = otp::strategy::one_for_all, .max_restarts = 1});
  REQUIRE(sup.ok());
  for (int k = 0; k < 8; ++k) {
    const std::string n = std::to_string(k);
    for (int i = 0; k % 4 == 2 && i < 6; ++i)
      REQUIRE(otp::dynamic_supervisor::start_child(
                  "dyn" + n, counted(worker("d", i % 2 == 0)))
                  .ok());
    for (int i = 0; k % 4 == 3 && i < 2; ++i)
      REQUIRE(otp::task_supervisor::start_child("tasks" + n, [] {
                otp::receive([](crash&&) {});
              }).ok());
  }
}

} // namespace

TEST_CASE("a clean runtime shutdown makes no supervisor restart a child or "
          "report an error",
          "[faults][supervision][shutdown]") {
  // The race: the shutdown reaches a child first, and the child's EXIT
  // reaches its supervisor before the supervisor's own shutdown does. More
  // scheduler threads (2 to 4 here) run the dying children while the
  // shutdown is still being sent; before the fix about one run in thirty
  // restarted a child and reported child_terminated / start_error.
  const std::size_t runs = otp_test::scaled(300);
  std::size_t restarted_runs = 0;
  std::size_t error_runs = 0;
  std::string first_error;
  for (std::size_t run = 0; run < runs; ++run) {
    otp_test::log_capture logs;
    std::size_t attempts_before = 0;
    {
      otp::runtime rt{{.threads = 2 + static_cast<unsigned>(run % 3)}};
      rt.run([&] { start_mixed_tree(); });
      attempts_before = start_attempts.load();
      if (run % 2 == 0)
        rt.shutdown();
    } // ~runtime shuts down the odd runs
    if (start_attempts.load() != attempts_before)
      ++restarted_runs;
    const auto errors = logs.events(otp::log_level::error);
    if (!errors.empty()) {
      ++error_runs;
      if (first_error.empty())
        first_error = errors.front().text;
    }
  }
  INFO("first error report: " << first_error);
  CHECK(restarted_runs == 0);
  CHECK(error_runs == 0);
}
