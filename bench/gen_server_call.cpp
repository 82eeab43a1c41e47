// gen_server_call: one client makes M synchronous calls to one GenServer.
// Op = one call (request, reply, and the monitor/alias a call sets up).

#include "behaviours/gen_server.hpp"
#include "framework/otp.hpp"

#include "bench/workload.hpp"

namespace otp_bench {
namespace {

struct next {};
struct total {};

class counter : public otp::gen_server<counter> {
public:
  otp::init_result init() { return ok(); }
  otp::call_result<std::uint64_t> handle_call(const next&) {
    return reply(++n_);
  }
  otp::call_result<std::uint64_t> handle_call(const total&) {
    return reply(n_);
  }

private:
  std::uint64_t n_ = 0;
};

outcome run(const params& p) {
  const std::uint64_t m = p.n;
  outcome o;
  otp::runtime rt(runtime_for(p));
  run_main(rt, [&] {
    const auto server = otp::server<counter>::of(counter::start_link());
    std::uint64_t wrong = 0;
    stopwatch clock;
    for (std::uint64_t i = 1; i <= m; ++i) {
      if (otp::call(server, next{}) != i)
        ++wrong;
    }
    clock.stop(o);
    expect_eq("gen_server_call: calls counted by the server", m,
              otp::call(server, total{}));
    expect_eq("gen_server_call: replies out of sequence", 0, wrong);
    otp::stop(server);
  });
  o.ops = m;
  return o;
}

} // namespace

OTP_BENCH_WORKLOAD(.name = "gen_server_call", .rank = 70,
                   .default_n = 1'000'000, .quick_n = 10'000,
                   .n_means = "calls", .op_means = "call", .check_n = nullptr,
                   .run = run);

} // namespace otp_bench
