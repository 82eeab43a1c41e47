// live_procs_memory: N processes alive at once, each blocked in receive.
// rss_bytes_per_proc = (RSS with all N parked - RSS before) / N.
//
// Every child sends `ready` just before it blocks, and the parent collects
// all N (at most `window` queued at a time, so the parent's mailbox does not
// inflate the figure), then lets them settle and reads RSS. The pid vector
// is allocated and written before the first reading, so the bench's own
// bookkeeping is not counted. wall_s times spawn-until-all-ready.

#include "framework/otp.hpp"

#include "bench/workload.hpp"

#include <chrono>
#include <cmath>
#include <vector>

namespace otp_bench {
namespace {

struct ready {};
struct stop {};
struct stopped {};

constexpr std::uint64_t window = 1024;

void parked_child(otp::pid parent) {
  otp::send(parent, ready{});
  otp::receive([](stop) {});
  otp::send(parent, stopped{});
}

outcome run(const params& p) {
  const std::uint64_t n = p.n;
  outcome o;
  std::uint64_t before = 0;
  std::uint64_t after = 0;
  otp::runtime rt(runtime_for(p));
  run_main(rt, [&] {
    const otp::pid parent = otp::self();
    std::vector<otp::pid> pids(n);
    before = current_rss_bytes();
    stopwatch clock;
    std::uint64_t ready_count = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      pids[i] = otp::spawn(parked_child, parent);
      if (i + 1 - ready_count > window) {
        otp::receive([](ready) {});
        ++ready_count;
      }
    }
    for (; ready_count < n; ++ready_count)
      otp::receive([](ready) {});
    clock.stop(o);
    // `ready` is the last thing a child does before it blocks; give the
    // last few on another scheduler thread time to get there.
    otp::sleep(std::chrono::milliseconds(20));
    after = current_rss_bytes();

    for (const auto& child : pids)
      otp::send(child, stop{});
    std::uint64_t stopped_count = 0;
    for (std::uint64_t i = 0; i < n; ++i)
      otp::receive([&](stopped) { ++stopped_count; });
    expect_eq("live_procs_memory: children released", n, stopped_count);
  });
  o.ops = n;
  const double delta = double(after) - double(before);
  o.extra["rss_bytes_per_proc"] =
      static_cast<std::int64_t>(std::llround(delta / double(n)));
  o.extra["rss_before_bytes"] = before;
  o.extra["rss_after_bytes"] = after;
  return o;
}

} // namespace

OTP_BENCH_WORKLOAD(.name = "live_procs_memory", .rank = 20,
                   .default_n = 1'000'000, .quick_n = 10'000,
                   .n_means = "processes alive at once",
                   .op_means = "spawn until parked", .check_n = nullptr,
                   .run = run);

} // namespace otp_bench
