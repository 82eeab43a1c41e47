#pragma once
/// \file cli.hpp
/// The command line of `otp_bench` (see README.md):
///
///     otp_bench WORKLOAD [--threads T] [--n N] [--quick]
///     otp_bench all [--quick] [--threads T]
///
/// Parsing never exits: it returns a `usage_error` that main turns into a
/// message on stderr and exit status 2.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace otp_bench {

/// A bad command line; the text names the problem.
class usage_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A parsed command line.
struct command_line {
  std::string workload; ///< a workload's name, or "all"
  unsigned threads = 1;
  std::optional<std::uint64_t> n;
  bool quick = false;
  bool help = false;
};

/// Parse `argv[1..argc)`; throws `usage_error`.
command_line parse_command_line(int argc, char** argv);

/// The usage text, listing every workload.
std::string usage();

/// Run every workload in its own child process (`/proc/self/exe WORKLOAD
/// --threads T --n N`), each printing its JSON line to our stdout. Returns
/// the exit status: 0 if all succeeded, 1 otherwise.
int run_all(const command_line& cmd);

} // namespace otp_bench
