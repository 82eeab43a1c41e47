// A log sink that throws. `otp::log` runs on runtime threads (the watchdog)
// and in noexcept paths (crash reports), so a sink's exception must never
// escape it: the report goes to stderr after one line naming the failure,
// the sink stays installed, and the program keeps running. Logging also
// works while a runtime with static storage duration is destroyed at exit,
// after the log's own state would have been (checked in a child process).

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"
#include "support/stderr_capture.hpp"
#include "support/waits.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

extern char** environ;

namespace {

using otp_test::stderr_capture;

/// Installs a sink that counts its calls and throws `std::runtime_error`;
/// the previous sink comes back on destruction.
class throwing_sink {
public:
  throwing_sink() {
    previous_ = otp::set_log_sink([this](const otp::log_event&) {
      ++calls_;
      throw std::runtime_error("the sink is broken");
    });
  }
  throwing_sink(const throwing_sink&) = delete;
  throwing_sink& operator=(const throwing_sink&) = delete;
  ~throwing_sink() { otp::set_log_sink(std::move(previous_)); }
  int calls() const { return calls_.load(); }

private:
  std::atomic<int> calls_{0};
  otp::log_sink previous_;
};

const std::string failure_line =
    "[error] log sink threw std::runtime_error: the sink is broken; report "
    "follows\n";

/// Busy for `d` without suspending.
void spin_for(clock_type::duration d) {
  const auto until = clock_type::now() + d;
  while (clock_type::now() < until) {
  }
}

/// Run this test binary again with only the tests of `tag`; returns its
/// exit status and what it wrote to stderr.
std::pair<int, std::string> run_child(const std::string& tag) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::string exe = "/proc/self/exe";
  std::string spec = tag;
  char* argv[] = {exe.data(), spec.data(), nullptr};
  pid_t child = 0;
  const int rc =
      ::posix_spawn(&child, exe.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  REQUIRE(rc == 0);
  std::string err;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0)
      break;
    err.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
          err};
}

} // namespace

static_assert(noexcept(otp::log(otp::log_level::error,
                                std::declval<const otp::pid&>(),
                                std::declval<std::string>())),
              "otp::log must not throw");

TEST_CASE("a crash report survives a sink that throws and reaches stderr "
          "after one line naming the failure",
          "[faults][log]") {
  stderr_capture err;
  throwing_sink sink;
  {
    otp::runtime rt{{.threads = 2}};
    rt.run([&] {
      for (int i = 0; i < 2; ++i) {
        const auto s = otp::spawn_monitor(
            [] { throw std::logic_error("crashed on purpose"); });
        CHECK(otp_test::down_reason(s.monitor).has_value());
      }
      // The program keeps running: processes still talk.
      const otp::pid me = otp::self();
      otp::spawn([me] { otp::send(me, 7); });
      CHECK(otp::receive_as<int>(5s) == 7);
    });
  }
  CHECK(sink.calls() == 2); // the sink stayed installed
  const std::string text = err.text();
  CHECK(text.find(failure_line + "[error] Process <0.") != std::string::npos);
  CHECK(text.find("** (std::logic_error) crashed on purpose")
        != std::string::npos);
}

TEST_CASE("a watchdog warning survives a sink that throws, and the runtime "
          "keeps running",
          "[faults][log][watchdog]") {
  stderr_capture err;
  throwing_sink sink;
  {
    otp::runtime rt{{.threads = 2, .long_schedule = 50ms}};
    clock_type::duration spun{};
    rt.run([&] {
      const auto s = otp::spawn_monitor([&spun] {
        otp::yield();
        const auto t0 = clock_type::now();
        spin_for(150ms); // never suspends: the watchdog warns meanwhile
        spun = clock_type::now() - t0;
      });
      CHECK(otp_test::down_reason(s.monitor) == otp::exit_reason::normal());
      CHECK(otp_test::eventually([&] { return sink.calls() >= 1; }));
      const otp::pid me = otp::self();
      otp::spawn([me] { otp::send(me, 7); });
      CHECK(otp::receive_as<int>(5s) == 7);
    });
    CHECK(spun >= 150ms);
  }
  CHECK(sink.calls() >= 1);
  CHECK(err.contains(failure_line + "[warning] Process <0."));
  CHECK(err.contains("(long_schedule)"));
}

TEST_CASE("log never lets a sink's exception escape, whatever it throws, "
          "and keeps the sink",
          "[faults][log]") {
  stderr_capture err;
  otp_test::log_level_scope info_reports(otp::log_level::info);
  struct odd {};
  int calls = 0;
  int what = 0;
  otp::log_sink previous = otp::set_log_sink([&](const otp::log_event&) {
    ++calls;
    switch (what) {
    case 0:
      throw std::out_of_range("index 9");
    case 1:
      throw 42;
    default:
      throw odd{};
    }
  });
  for (what = 0; what < 3; ++what)
    otp::log(otp::log_level::info, otp::pid(),
             "report " + std::to_string(what));
  otp::set_log_sink(std::move(previous));
  CHECK(calls == 3);
  CHECK(err.contains("[error] log sink threw std::out_of_range: index 9; "
                     "report follows\n[info] report 0\n"));
  CHECK(err.contains(
      "[error] log sink threw int; report follows\n[info] report 1\n"));
  CHECK(err.contains("odd; report follows\n[info] report 2\n"));
}

TEST_CASE("a runtime with static storage duration still logs through its "
          "sink while it is destroyed at program exit",
          "[faults][log]") {
  const auto [status, err] = run_child("[faults_child_static_runtime]");
  CHECK(status == 0);
  CHECK(err.find("sink at exit: logged while the static runtime shuts down")
        != std::string::npos);
}

// Run only in a child process (hidden): a runtime with static storage
// duration, created before the log's state is first used, so it is
// destroyed after it at exit; while it shuts down, a process logs.
TEST_CASE("child: a static runtime that logs at exit",
          "[.faults_child_static_runtime]") {
  static otp::runtime rt{{.threads = 1}};
  struct logs_on_unwind {
    ~logs_on_unwind() {
      otp::log(otp::log_level::error, otp::pid(),
               "logged while the static runtime shuts down");
    }
  };
  // A sink whose state lives on the heap: if it were destroyed before the
  // runtime, the last report would use freed memory.
  const std::string prefix(64, '-');
  otp::set_log_sink([prefix](const otp::log_event& e) {
    const bool intact = prefix == std::string(64, '-');
    std::fputs(
        ((intact ? "sink at exit: " : "sink state destroyed: ") + e.text + "\n")
            .c_str(),
        stderr);
  });
  std::atomic<bool> started{false};
  rt.spawn([&started] {
    logs_on_unwind at_exit;
    started = true;
    otp::receive([](int) {});
  });
  REQUIRE(otp_test::eventually([&] { return started.load(); }));
}
