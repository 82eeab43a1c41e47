// ring: N processes in a ring pass one token `laps` times around
// (N * laps hops; docs/benchmarks.md: 10,000 x 100). Op = hop. Setup
// (spawning the ring) is not timed.

#include "framework/otp.hpp"

#include "bench/workload.hpp"

#include <utility>
#include <vector>

namespace otp_bench {
namespace {

constexpr std::uint64_t laps = 100;

struct next_is {
  otp::pid next;
};
struct token {
  std::uint64_t hops_left;
};
struct finished {};
struct stop {};
struct forwarded {
  std::uint64_t count;
};

void node(otp::pid parent) {
  const otp::pid next =
      otp::receive([](next_is&& m) { return std::move(m.next); });
  std::uint64_t count = 0;
  bool stopping = false;
  while (!stopping) {
    otp::receive(
        [&](token t) {
          if (t.hops_left == 0) {
            otp::send(parent, finished{});
          } else {
            otp::send(next, token{t.hops_left - 1});
            ++count;
          }
        },
        [&](stop) {
          // The last node's stop reaches a node that has already exited and
          // is dropped, as in Erlang.
          otp::send(next, stop{});
          stopping = true;
        });
  }
  otp::send(parent, forwarded{count});
}

outcome run(const params& p) {
  const std::uint64_t n = p.n;
  const std::uint64_t hops = n * laps;
  outcome o;
  otp::runtime rt(runtime_for(p));
  run_main(rt, [&] {
    std::vector<otp::pid> ring;
    ring.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i)
      ring.push_back(otp::spawn(node, otp::self()));
    for (std::uint64_t i = 0; i < n; ++i)
      otp::send(ring[i], next_is{ring[(i + 1) % n]});

    stopwatch clock;
    otp::send(ring[0], token{hops});
    otp::receive([](finished) {});
    clock.stop(o);

    otp::send(ring[0], stop{});
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; i < n; ++i)
      total += otp::receive_as<forwarded>().count;
    expect_eq("ring: hops counted by the nodes", hops, total);
  });
  o.ops = hops;
  o.extra["procs"] = n;
  o.extra["laps"] = laps;
  o.extra["hops"] = hops;
  return o;
}

} // namespace

OTP_BENCH_WORKLOAD(.name = "ring", .rank = 50, .default_n = 10'000,
                   .quick_n = 1'000, .n_means = "processes in the ring",
                   .op_means = "hop (token passes N x 100 hops)",
                   .check_n = nullptr, .run = run);

} // namespace otp_bench
