// The runtime and program exit: a runtime with static storage duration
// shuts down after main returns, and otp::self() from a static destructor
// throws std::logic_error, as it does anywhere outside a process. Both run
// in a child OS process (child/exit_scenarios.cpp).

#include "child_process.hpp"
#include "support/scale.hpp"

#include <catch2/catch.hpp>

using otp_test::run_scenario;

TEST_CASE("a runtime with static storage duration shuts down cleanly after "
          "main returns",
          "[faults][exit]") {
  const auto r = run_scenario({"static_runtime"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 0);
  CHECK(r.has("run: normal"));
}

TEST_CASE("otp::self() in a static destructor throws std::logic_error",
          "[faults][exit]") {
  const auto r = run_scenario({"self_in_static_destructor"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 0);
  CHECK(r.has("self: logic_error: otp::self must be called from inside a "
              "process"));
}

TEST_CASE("200,000 hibernated processes revived at once under ulimit -v "
          "8000000 all answer, and shut down without aborting",
          "[faults][exit][revival]") {
  const std::string n = std::to_string(otp_test::scaled(200'000));
  const auto r = run_scenario({"mass_revival", n}, std::chrono::seconds(120));
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err.substr(0, 4000));
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 0);
  CHECK(r.has("spawned: " + n));
  CHECK(r.has("answers: " + n));
  CHECK(r.has("shutdown: done"));
}
