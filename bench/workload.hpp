#pragma once
/// \file workload.hpp
/// What one benchmark workload is, and the registry `otp_bench` picks it from.
///
/// A workload is one .cpp file that defines a `run` function and registers
/// it with `OTP_BENCH_WORKLOAD`. `run` builds its own `otp::runtime`, times
/// the work with `stopwatch`, checks its result (throwing `bench_error` if a
/// count or sum is wrong) and returns an `outcome`. main.cpp adds the
/// common fields (workload, threads, n, wall_s, ns_per_op, peak_rss_bytes)
/// and prints one JSON line.
///
/// `run` is called on the main thread, once per OS process (the work itself
/// runs in processes of the runtime it builds): nothing here is thread-safe,
/// and registration happens during static initialisation.

#include "framework/runtime.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace otp_bench {

/// What the command line asked for.
struct params {
  unsigned threads = 1; ///< scheduler threads (S1, S2, ...)
  std::uint64_t n = 0;  ///< the workload's size, see its `n_means`
};

/// What a workload measured.
struct outcome {
  double wall_s = 0; ///< seconds of timed work
  /// CPU seconds (user + system, all threads) in the same interval. With
  /// one scheduler thread, cpu_s well below wall_s means the run waited for
  /// a core (a loaded machine). Negative if the workload did not measure it.
  double cpu_s = -1;
  std::uint64_t ops = 0; ///< operations in `wall_s`: ns_per_op's divisor
  /// Workload-specific fields, appended after the common ones.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

/// One workload.
struct workload {
  std::string_view name;
  /// Position in `otp_bench all` (the table order of docs/benchmarks.md).
  int rank;
  std::uint64_t default_n;   ///< the size in docs/benchmarks.md
  std::uint64_t quick_n;     ///< `--quick` size: milliseconds, for CI
  std::string_view n_means;  ///< what `--n` counts, for `--help`
  std::string_view op_means; ///< what one op of `ns_per_op` is
  /// Why `n` is not acceptable, or "" if it is. May be null (any n >= 1).
  std::string (*check_n)(std::uint64_t n);
  outcome (*run)(const params& p);
};

/// A wrong result: a lost message, a bad sum. `otp_bench` exits 1.
class bench_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Add `w` to the registry; returns true (for the static initialiser).
bool register_workload(const workload& w);
/// Every registered workload, ordered by rank.
const std::vector<workload>& workloads();
/// The workload called `name`, or nullptr.
const workload* find_workload(std::string_view name);

/// A runtime with `p.threads` scheduler threads.
otp::runtime_options runtime_for(const params& p);

/// `rt.run(fn)`, throwing `bench_error` unless the process exits normally
/// (an exception escaping `fn`, e.g. a `bench_error`, ends it abnormally).
template <class F>
void run_main(otp::runtime& rt, F&& fn) {
  const otp::exit_reason r = rt.run(std::forward<F>(fn));
  if (!r.is_normal())
    throw bench_error("the benchmark process exited with " + r.to_string());
}

/// Throw `bench_error(what + ": expected E, got G")` unless equal.
void expect_eq(const char* what, std::uint64_t expected, std::uint64_t got);

/// CPU time (user + system) of this OS process so far, all threads.
double process_cpu_seconds() noexcept;

/// Wall-clock time of the work only (steady_clock), and the CPU time spent
/// meanwhile. Starts when constructed.
class stopwatch {
public:
  stopwatch() noexcept
      : cpu_start_(process_cpu_seconds()),
        start_(std::chrono::steady_clock::now()) {}
  /// Wall seconds since construction.
  double seconds() const noexcept {
    return std::chrono::duration<double>(std::chrono::steady_clock::now()
                                         - start_)
        .count();
  }
  /// Record `wall_s` and `cpu_s` into `o`.
  void stop(outcome& o) const noexcept {
    o.wall_s = seconds();
    o.cpu_s = process_cpu_seconds() - cpu_start_;
  }

private:
  double cpu_start_;
  std::chrono::steady_clock::time_point start_;
};

/// Resident set size now, from /proc/self/statm.
std::uint64_t current_rss_bytes();
/// Peak resident set size of this OS process (VmHWM, else ru_maxrss).
std::uint64_t peak_rss_bytes();

} // namespace otp_bench

#define OTP_BENCH_CONCAT2(a, b) a##b
#define OTP_BENCH_CONCAT(a, b) OTP_BENCH_CONCAT2(a, b)
/// Register a `workload{...}` from a workload's .cpp file.
#define OTP_BENCH_WORKLOAD(...)                                                \
  [[maybe_unused]] static const bool OTP_BENCH_CONCAT(registered_, __LINE__) = \
      ::otp_bench::register_workload(::otp_bench::workload{__VA_ARGS__})
