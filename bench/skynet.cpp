// skynet: a tree of processes with N leaves, 10 children per node. Leaves
// send their number, parents sum; the root's sum must be N(N-1)/2
// (499999500000 for 1M). Op = process (all (10N-1)/9 tree nodes).

#include "framework/otp.hpp"

#include "bench/workload.hpp"

#include <string>

namespace otp_bench {
namespace {

struct partial {
  std::uint64_t sum;
};

void skynet_node(otp::pid parent, std::uint64_t num, std::uint64_t size) {
  if (size == 1) {
    otp::send(parent, partial{num});
    return;
  }
  const otp::pid me = otp::self();
  const std::uint64_t child_size = size / 10;
  for (std::uint64_t i = 0; i < 10; ++i)
    otp::spawn(skynet_node, me, num + i * child_size, child_size);
  std::uint64_t sum = 0;
  for (int i = 0; i < 10; ++i)
    sum += otp::receive_as<partial>().sum;
  otp::send(parent, partial{sum});
}

std::string check_n(std::uint64_t n) {
  while (n % 10 == 0)
    n /= 10;
  return n == 1 ? std::string() : "must be a power of 10 (leaves)";
}

outcome run(const params& p) {
  const std::uint64_t n = p.n;
  std::uint64_t sum = 0;
  outcome o;
  otp::runtime rt(runtime_for(p));
  run_main(rt, [&] {
    stopwatch clock;
    otp::spawn(skynet_node, otp::self(), std::uint64_t{0}, n);
    sum = otp::receive_as<partial>().sum;
    clock.stop(o);
  });
  expect_eq("skynet: sum", n * (n - 1) / 2, sum);
  o.ops = (10 * n - 1) / 9;
  o.extra["sum"] = sum;
  o.extra["processes"] = o.ops;
  return o;
}

} // namespace

OTP_BENCH_WORKLOAD(.name = "skynet", .rank = 80, .default_n = 1'000'000,
                   .quick_n = 10'000, .n_means = "leaves (a power of 10)",
                   .op_means = "process", .check_n = check_n, .run = run);

} // namespace otp_bench
