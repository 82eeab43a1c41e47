// `otp_bench all`: every workload in a child process of its own, so that
// each one's peak RSS is its own and a crash or hang names its workload.

#include "bench/cli.hpp"
#include "bench/workload.hpp"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace otp_bench {

namespace {

// Generous: full-size workloads take seconds, quick ones milliseconds.
constexpr std::chrono::seconds full_timeout{600};
constexpr std::chrono::seconds quick_timeout{60};

/// Wait for `child` until `timeout`; kills it then. Returns a wait status,
/// or -1 if it timed out.
int wait_for(pid_t child, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(child, &status, WNOHANG);
    if (r == child)
      return status;
    if (r < 0 && errno != EINTR)
      return status;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

} // namespace

int run_all(const command_line& cmd) {
  int failures = 0;
  const auto timeout = cmd.quick ? quick_timeout : full_timeout;
  for (const auto& w : workloads()) {
    std::vector<std::string> args{
        std::string(w.name), "--threads", std::to_string(cmd.threads), "--n",
        std::to_string(cmd.quick ? w.quick_n : w.default_n)};
    std::vector<char*> argv{const_cast<char*>("otp_bench")};
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);

    std::cout.flush();
    const pid_t child = ::fork();
    if (child < 0) {
      std::cerr << "otp_bench all: fork: " << std::strerror(errno) << "\n";
      return 1;
    }
    if (child == 0) {
      ::execv("/proc/self/exe", argv.data());
      std::cerr << "otp_bench all: exec /proc/self/exe: "
                << std::strerror(errno) << "\n";
      ::_exit(127);
    }
    const int status = wait_for(child, timeout);
    if (status == -1) {
      std::cerr << "otp_bench all: " << w.name << " timed out after "
                << timeout.count() << " s (killed)\n";
      ++failures;
    } else if (WIFSIGNALED(status)) {
      std::cerr << "otp_bench all: " << w.name << " killed by signal "
                << WTERMSIG(status) << " (" << ::strsignal(WTERMSIG(status))
                << ")\n";
      ++failures;
    } else if (WEXITSTATUS(status) != 0) {
      std::cerr << "otp_bench all: " << w.name << " exited with status "
                << WEXITSTATUS(status) << "\n";
      ++failures;
    }
  }
  if (failures != 0)
    std::cerr << "otp_bench all: " << failures << " workload(s) failed\n";
  return failures == 0 ? 0 : 1;
}

} // namespace otp_bench
