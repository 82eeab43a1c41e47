#pragma once
/// \file child_process.hpp
/// Run a fault scenario in a child OS process (tests/faults/child/): a
/// scenario may end the whole program (that is what some of them check), and
/// Catch2's own signal handlers must not stand in the runtime's way.
///
/// The child is started with posix_spawn, its stdout and stderr are read
/// through pipes, and it is killed (by its pid, SIGKILL) if it outlives
/// `timeout`.

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

extern char** environ;

namespace otp_test {

struct child_result {
  int exit_code = -1; ///< -1 if it did not exit normally
  int signal = 0;     ///< the signal that ended it, or 0
  bool timed_out = false;
  std::string out;
  std::string err;

  bool has(const std::string& text) const {
    return out.find(text) != std::string::npos
           || err.find(text) != std::string::npos;
  }
};

/// Run `OTP_FAULTS_CHILD scenario [args...]`.
inline child_result
run_scenario(const std::vector<std::string>& args,
             std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  child_result r;
  int out[2];
  int err[2];
  if (::pipe(out) != 0 || ::pipe(err) != 0) {
    r.err = "pipe failed";
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  posix_spawn_file_actions_addclose(&fa, err[0]);
  std::vector<std::string> all{OTP_FAULTS_CHILD};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc =
      ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    r.err = "posix_spawn failed";
    return r;
  }
  const auto until = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0)
      break;
    for (auto& f : fds) {
      if (f.fd < 0 || (f.revents & (POLLIN | POLLHUP | POLLERR)) == 0)
        continue;
      char buf[4096];
      const ssize_t n = ::read(f.fd, buf, sizeof(buf));
      if (n <= 0) {
        ::close(f.fd);
        f.fd = -1;
        --open_fds;
        continue;
      }
      (f.fd == out[0] ? r.out : r.err).append(buf, static_cast<size_t>(n));
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0)
      ::close(f.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status))
    r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    r.signal = WTERMSIG(status);
  return r;
}

} // namespace otp_test
