// ping_pong: two processes bounce one message M times. Op = round trip.

#include "framework/otp.hpp"

#include "bench/workload.hpp"

#include <limits>

namespace otp_bench {
namespace {

struct ball {
  std::uint64_t seq;
};
struct returned {
  std::uint64_t count;
};

constexpr std::uint64_t stop_seq = std::numeric_limits<std::uint64_t>::max();

void ponger(otp::pid pinger) {
  std::uint64_t count = 0;
  for (;;) {
    const ball b = otp::receive_as<ball>();
    if (b.seq == stop_seq)
      break;
    otp::send(pinger, b);
    ++count;
  }
  otp::send(pinger, returned{count});
}

outcome run(const params& p) {
  const std::uint64_t m = p.n;
  outcome o;
  otp::runtime rt(runtime_for(p));
  run_main(rt, [&] {
    const otp::pid peer = otp::spawn(ponger, otp::self());
    std::uint64_t out_of_order = 0;
    stopwatch clock;
    for (std::uint64_t i = 0; i < m; ++i) {
      otp::send(peer, ball{i});
      if (otp::receive_as<ball>().seq != i)
        ++out_of_order;
    }
    clock.stop(o);
    otp::send(peer, ball{stop_seq});
    expect_eq("ping_pong: balls returned by the peer", m,
              otp::receive_as<returned>().count);
    expect_eq("ping_pong: balls returned out of order", 0, out_of_order);
  });
  o.ops = m;
  return o;
}

} // namespace

OTP_BENCH_WORKLOAD(.name = "ping_pong", .rank = 40, .default_n = 1'000'000,
                   .quick_n = 10'000, .n_means = "round trips",
                   .op_means = "round trip", .check_n = nullptr, .run = run);

} // namespace otp_bench
