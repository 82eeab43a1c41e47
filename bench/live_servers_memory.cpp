// live_servers_memory: N idle GenServers (started, answered one call, now
// waiting). rss_bytes_per_proc = (RSS with all N idle - RSS before) / N.
//
// An idle server is hibernated: it keeps its control block, its object and
// its hibernation continuation, but no stack. The servers are started
// unlinked (`start`), so the bench's main process holds no N-sized link set;
// the pid vector is allocated before the first reading. wall_s times
// start + first call of all N.

#include "behaviours/gen_server.hpp"
#include "framework/otp.hpp"

#include "bench/workload.hpp"

#include <chrono>
#include <vector>

namespace otp_bench {
namespace {

struct ping {};

class idle_server : public otp::gen_server<idle_server> {
public:
  otp::init_result init() { return ok(); }
  otp::call_result<int> handle_call(const ping&) { return reply(++calls_); }

private:
  int calls_ = 0;
};

outcome run(const params& p) {
  const std::uint64_t n = p.n;
  outcome o;
  std::uint64_t before = 0;
  std::uint64_t after = 0;
  otp::runtime rt(runtime_for(p));
  run_main(rt, [&] {
    std::vector<otp::server<idle_server>> servers(n);
    before = current_rss_bytes();
    stopwatch clock;
    std::uint64_t answered = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      servers[i] = otp::server<idle_server>::of(idle_server::start());
      answered += static_cast<std::uint64_t>(otp::call(servers[i], ping{}));
    }
    clock.stop(o);
    // Let the last servers finish hibernating (they yield once first).
    otp::sleep(std::chrono::milliseconds(20));
    after = current_rss_bytes();
    expect_eq("live_servers_memory: first calls answered", n, answered);
    for (const auto& s : servers)
      otp::stop(s);
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

OTP_BENCH_WORKLOAD(.name = "live_servers_memory", .rank = 30,
                   .default_n = 1'000'000, .quick_n = 10'000,
                   .n_means = "idle servers alive at once",
                   .op_means = "server started and called once",
                   .check_n = nullptr, .run = run);

} // namespace otp_bench
