// spawn_exit: the parent spawns N processes, without batching, that each
// send it one message and exit; it collects the N messages. Op = process.

#include "framework/otp.hpp"

#include "bench/workload.hpp"

namespace otp_bench {
namespace {

struct exited {
  std::uint64_t index;
};

outcome run(const params& p) {
  const std::uint64_t n = p.n;
  outcome o;
  otp::runtime rt(runtime_for(p));
  run_main(rt, [&] {
    const otp::pid parent = otp::self();
    stopwatch clock;
    for (std::uint64_t i = 0; i < n; ++i)
      otp::spawn([parent, i] { otp::send(parent, exited{i}); });
    std::uint64_t got = 0;
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < n; ++i)
      otp::receive([&](const exited& e) {
        ++got;
        sum += e.index;
      });
    clock.stop(o);
    expect_eq("spawn_exit: messages received", n, got);
    expect_eq("spawn_exit: sum of the children's indices", n * (n - 1) / 2,
              sum);
  });
  o.ops = n;
  return o;
}

} // namespace

OTP_BENCH_WORKLOAD(.name = "spawn_exit", .rank = 10, .default_n = 1'000'000,
                   .quick_n = 10'000, .n_means = "processes spawned",
                   .op_means = "spawn + message + exit", .check_n = nullptr,
                   .run = run);

} // namespace otp_bench
