// fan_in: 1,000 senders each send N/1000 messages to one receiver
// (docs/benchmarks.md: 1,000 x 1,000). Timed from the first `go` to the
// last message received. Op = message; also reports msgs_per_s. The
// receiver checks that every sender's messages arrive complete and in order.

#include "framework/otp.hpp"

#include "bench/workload.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace otp_bench {
namespace {

constexpr std::uint64_t max_senders = 1000;

struct go {};
struct item {
  std::uint32_t sender;
  std::uint32_t seq;
};

void sender(otp::pid sink, std::uint32_t id, std::uint32_t count) {
  otp::receive([](go) {});
  for (std::uint32_t seq = 0; seq < count; ++seq)
    otp::send(sink, item{id, seq});
}

std::uint64_t senders_for(std::uint64_t n) {
  return std::min(n, max_senders);
}

std::string check_n(std::uint64_t n) {
  if (n % senders_for(n) != 0)
    return "must be at most 1000 or a multiple of 1000";
  if (n / senders_for(n) > 0xffffffffu)
    return "too many messages per sender";
  return {};
}

outcome run(const params& p) {
  const std::uint64_t n = p.n;
  const std::uint64_t senders = senders_for(n);
  const auto per_sender = static_cast<std::uint32_t>(n / senders);
  outcome o;
  otp::runtime rt(runtime_for(p));
  run_main(rt, [&] {
    std::vector<otp::pid> pids;
    pids.reserve(senders);
    for (std::uint64_t i = 0; i < senders; ++i)
      pids.push_back(otp::spawn(sender, otp::self(),
                                static_cast<std::uint32_t>(i), per_sender));
    std::vector<std::uint32_t> next_seq(senders, 0);
    std::uint64_t out_of_order = 0;

    stopwatch clock;
    for (const auto& s : pids)
      otp::send(s, go{});
    for (std::uint64_t i = 0; i < n; ++i)
      otp::receive([&](const item& m) {
        if (m.seq != next_seq[m.sender]++)
          ++out_of_order;
      });
    clock.stop(o);

    expect_eq("fan_in: messages out of per-sender order", 0, out_of_order);
    for (std::uint64_t i = 0; i < senders; ++i)
      expect_eq("fan_in: messages from one sender", per_sender, next_seq[i]);
  });
  o.ops = n;
  o.extra["senders"] = senders;
  o.extra["msgs_per_sender"] = per_sender;
  o.extra["msgs_per_s"] =
      static_cast<std::uint64_t>(std::llround(double(n) / o.wall_s));
  return o;
}

} // namespace

OTP_BENCH_WORKLOAD(.name = "fan_in", .rank = 60, .default_n = 1'000'000,
                   .quick_n = 100'000,
                   .n_means = "messages in all, from min(N, 1000) senders",
                   .op_means = "message", .check_n = check_n, .run = run);

} // namespace otp_bench
