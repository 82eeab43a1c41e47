// The workload registry and the measuring helpers of workload.hpp.

#include "bench/workload.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <string>

namespace otp_bench {

namespace {
// A function-local static: workload files register during static
// initialisation, in an order the linker picks.
std::vector<workload>& registry() {
  static std::vector<workload> all;
  return all;
}
} // namespace

bool register_workload(const workload& w) {
  auto& all = registry();
  all.push_back(w);
  std::stable_sort(
      all.begin(), all.end(),
      [](const workload& a, const workload& b) { return a.rank < b.rank; });
  return true;
}

const std::vector<workload>& workloads() {
  return registry();
}

const workload* find_workload(std::string_view name) {
  for (const auto& w : registry())
    if (w.name == name)
      return &w;
  return nullptr;
}

otp::runtime_options runtime_for(const params& p) {
  otp::runtime_options o;
  o.threads = p.threads;
  return o;
}

void expect_eq(const char* what, std::uint64_t expected, std::uint64_t got) {
  if (expected != got)
    throw bench_error(std::string(what) + ": expected "
                      + std::to_string(expected) + ", got "
                      + std::to_string(got));
}

double process_cpu_seconds() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

std::uint64_t current_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  if (!(statm >> size >> resident))
    throw bench_error("cannot read /proc/self/statm");
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::uint64_t peak_rss_bytes() {
  // VmHWM belongs to this image: ru_maxrss would also count the RSS that the
  // `all` driver had when it forked us.
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stoull(line.substr(6)) * 1024;
  }
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
}

} // namespace otp_bench
