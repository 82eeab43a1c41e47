// A process that overflows its stack ends alone, with stack_overflow; its
// neighbours' stacks and heaps are untouched; links, monitors and
// supervisors see it like any other exit. Where that cannot be done safely
// (the overflow happens inside the C library), the program stops with a
// report naming the process. Each scenario runs in a child OS process
// (child/overflow_scenarios.cpp).

#include "child_process.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <string>

using otp_test::run_scenario;

namespace {

void check_contained(const otp_test::child_result& r) {
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK(r.has("neighbours_before: ok"));
  CHECK(r.has("down: stack_overflow"));
  CHECK(r.has("alive_after: false"));
  CHECK(r.has("neighbours_after: ok"));
  CHECK(r.has("run: normal"));
  CHECK_FALSE(r.has("result:"));
  // One error report, naming the pid and the process's initial call.
  const auto at = r.out.find("victim: ");
  REQUIRE(at != std::string::npos);
  const std::string pid = r.out.substr(at + 8, r.out.find('\n', at) - at - 8);
  CHECK(r.err.find("[error] Process " + pid + " overflowed its stack")
        != std::string::npos);
  CHECK(r.err.find("initial call: ") != std::string::npos);
}

} // namespace

TEST_CASE("a process that recurses without end ends with stack_overflow and "
          "harms no neighbour",
          "[faults][stack_overflow]") {
  check_contained(run_scenario({"overflow", "recursion"}));
}

TEST_CASE("a 1 MiB local array cannot jump over the guard into another "
          "process's stack",
          "[faults][stack_overflow]") {
  check_contained(run_scenario({"overflow", "big_frame"}));
}

TEST_CASE("std::regex_match on a long input overflows only its own process",
          "[faults][stack_overflow]") {
  check_contained(run_scenario({"overflow", "regex", "100000"}));
}

TEST_CASE("a process that ran into its stack's reserve and came back ends "
          "with stack_overflow at its next suspension point, unwinding",
          "[faults][stack_overflow]") {
  const auto r = run_scenario({"overflow_unwinds"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK(r.has("came_back: "));
  CHECK(r.has("down: stack_overflow"));
  CHECK(r.has("cleaned: cleaned")); // its destructor ran
  CHECK_FALSE(r.has("went_on"));
  CHECK(r.has("overflowed its stack"));
  CHECK_FALSE(r.has("without unwinding"));
}

TEST_CASE("a supervised worker that overflows is restarted",
          "[faults][stack_overflow]") {
  const auto r = run_scenario({"overflow_supervised"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK(r.has("supervisor: started"));
  CHECK(r.has("down: stack_overflow"));
  CHECK(r.has("restarted: yes"));
  CHECK(r.has("answers: yes"));
}

TEST_CASE("200 processes overflowing at once on two threads harm none of "
          "200 others",
          "[faults][stack_overflow]") {
  const auto r = run_scenario({"overflow_many"}, std::chrono::seconds(60));
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
  CHECK(r.has("overflowed: 200"));
  CHECK(r.has("neighbours_after: ok"));
}

TEST_CASE("an overflow inside the C library stops the program with a report "
          "naming the process",
          "[faults][stack_overflow]") {
  const auto r = run_scenario({"overflow_in_libc"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.signal == SIGSEGV);
  CHECK_FALSE(r.has("survived:"));
  CHECK_FALSE(r.has("run: returned"));
  const auto at = r.out.find("victim: ");
  REQUIRE(at != std::string::npos);
  const std::string pid = r.out.substr(at + 8, r.out.find('\n', at) - at - 8);
  CHECK(r.err.find("[error] Process " + pid
                   + " (\"deep_in_libc\") "
                     "overflowed its stack")
        != std::string::npos);
  CHECK(r.has("stack_overflow, inside libc"));
}

TEST_CASE("the default stack takes std::regex_match inputs of about 80 "
          "characters",
          "[faults][stack_overflow]") {
  // The README quotes this figure; it must stay true.
  const auto r = run_scenario({"regex_limit"}, std::chrono::seconds(60));
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  const auto at = r.out.find("regex_limit: ");
  REQUIRE(at != std::string::npos);
  const int limit = std::stoi(r.out.substr(at + 13));
  CHECK(limit >= 60);
}
