// supervisor_restart: a one_for_one supervisor with one registered worker
// (a plain otp::start_link process); crash it N times, each time waiting
// until the restarted child is alive and registered. Op = one crash→ready
// cycle: `exit(worker, kill)`, the supervisor's EXIT/DOWN handling, its
// crash report, the restart (spawn, register, start acknowledgement), and
// the new worker's `ready` message to the bench process.
//
// The new worker registers its name before it runs (start.hpp), acks its
// start, then sends `ready{self}`: receiving it means the child is alive
// and registered, without polling. The supervisor allows N + 1 restarts in
// an hour, so it never gives up. Its reports go to a sink that only counts
// them (stderr would measure the terminal): N `child_terminated` reports
// are required, as are N restarts in the supervision tree.

#include "framework/otp.hpp"
#include "supervision/supervision.hpp"

#include "bench/workload.hpp"

#include <atomic>
#include <limits>
#include <string>

namespace otp_bench {
namespace {

using namespace std::chrono_literals;

const std::string worker_name = "supervisor_restart_worker";

/// Sent by each (re)started worker once it runs, registered.
struct ready {
  otp::pid who;
};
struct never_sent {};

void worker_body(otp::starter& s, const otp::pid& bench) {
  s.ack();
  otp::send(bench, ready{otp::self()});
  for (;;)
    otp::receive([](never_sent&&) {});
}

otp::start_result start_worker(const otp::pid& bench) {
  otp::start_options o;
  o.name = worker_name;
  return otp::start_link(o, worker_body, bench);
}

std::string check_n(std::uint64_t n) {
  if (n > static_cast<std::uint64_t>(std::numeric_limits<int>::max() - 1))
    return "at most 2147483646 crashes (max_restarts is an int)";
  return "";
}

outcome run(const params& p) {
  const std::uint64_t n = p.n;
  outcome o;
  std::atomic<std::uint64_t> terminated{0}, errors{0};
  otp::log_sink previous = otp::set_log_sink([&](const otp::log_event& e) {
    if (e.level != otp::log_level::error)
      return;
    ++errors;
    if (e.text.find("child_terminated") != std::string::npos)
      ++terminated;
  });
  otp::runtime rt(runtime_for(p));
  std::uint64_t restarts = 0;
  run_main(rt, [&] {
    const otp::pid bench = otp::self();
    otp::child_spec spec;
    spec.id = "worker";
    spec.start = [bench] {
      return start_worker(bench);
    };
    spec.shutdown = otp::child_shutdown::brutal_kill();
    const otp::start_result sup = otp::supervisor::start_link(
        {spec}, {.strategy = otp::strategy::one_for_one,
                 .max_restarts = static_cast<int>(n + 1),
                 .max_seconds = std::chrono::hours(1),
                 .name = "supervisor_restart_sup"});
    if (!sup.ok())
      throw bench_error("supervisor_restart: the supervisor did not start: "
                        + sup.to_string());
    otp::pid w = otp::receive_as<ready>().who;
    std::uint64_t stale = 0;
    stopwatch clock;
    for (std::uint64_t i = 0; i < n; ++i) {
      otp::exit(w, otp::exit_reason::kill());
      otp::pid next = otp::receive_as<ready>().who;
      if (next == w)
        ++stale;
      w = std::move(next);
    }
    clock.stop(o);
    expect_eq("supervisor_restart: a ready from the killed worker", 0, stale);
    expect_eq("supervisor_restart: the last worker is registered", 1,
              otp::whereis(worker_name) == w && otp::alive(w) ? 1 : 0);
    const auto tree = otp::supervision_tree(sup.pid());
    restarts = tree.at("children").at(0).at("restarts").get<std::uint64_t>();
    const auto stopped = otp::supervisor::try_stop(sup.pid());
    if (!stopped)
      throw bench_error("supervisor_restart: stop failed: "
                        + stopped.error().to_string());
  });
  rt.shutdown();
  otp::set_log_sink(std::move(previous));
  expect_eq("supervisor_restart: restarts counted by the supervisor", n,
            restarts);
  expect_eq("supervisor_restart: child_terminated reports", n, terminated);
  expect_eq("supervisor_restart: error reports", n, errors);
  o.ops = n;
  o.extra["us_per_cycle"] = o.wall_s * 1e6 / static_cast<double>(n);
  o.extra["crashes"] = n;
  return o;
}

} // namespace

OTP_BENCH_WORKLOAD(.name = "supervisor_restart", .rank = 90,
                   .default_n = 10'000, .quick_n = 1'000, .n_means = "crashes",
                   .op_means = "crash-to-ready cycle", .check_n = check_n,
                   .run = run);

} // namespace otp_bench
