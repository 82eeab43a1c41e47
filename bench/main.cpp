// otp_bench: run one workload and print one JSON line, or run them all.
//
//   otp_bench ping_pong --threads 2
//   {"workload":"ping_pong","threads":2,"n":1000000,"wall_s":0.21,...}
//
// Exit status: 0 success, 1 a workload failed (wrong result, crash), 2 a bad
// command line.

#include "bench/cli.hpp"
#include "bench/workload.hpp"

#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>

namespace {

// Divide by an exact power of ten so that the JSON prints short decimals.
double round_to(double v, double per_unit) {
  return std::round(v * per_unit) / per_unit;
}

int run_one(const otp_bench::command_line& cmd) {
  using namespace otp_bench;
  const workload& w = *find_workload(cmd.workload);
  params p;
  p.threads = cmd.threads;
  p.n = cmd.n ? *cmd.n : cmd.quick ? w.quick_n : w.default_n;
  outcome o;
  try {
    o = w.run(p);
  } catch (const std::exception& e) {
    std::cerr << "otp_bench: " << w.name << " failed: " << e.what() << "\n";
    return 1;
  }
  nlohmann::ordered_json j;
  j["workload"] = w.name;
  j["threads"] = p.threads;
  j["n"] = p.n;
  j["wall_s"] = round_to(o.wall_s, 1e6);
  j["ns_per_op"] =
      o.ops == 0 ? 0.0 : round_to(o.wall_s * 1e9 / double(o.ops), 10);
  j["peak_rss_bytes"] = peak_rss_bytes();
  for (const auto& [k, v] : o.extra.items())
    j[k] = v;
  if (o.cpu_s >= 0)
    j["cpu_s"] = round_to(o.cpu_s, 1e6);
  std::cout << j.dump() << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  using namespace otp_bench;
  command_line cmd;
  try {
    cmd = parse_command_line(argc, argv);
  } catch (const usage_error& e) {
    std::cerr << "otp_bench: " << e.what()
              << "\n(run 'otp_bench --help' for usage)\n";
    return 2;
  }
  if (cmd.help) {
    std::cout << usage();
    return 0;
  }
  if (cmd.workload == "all")
    return run_all(cmd);
  return run_one(cmd);
}
