// blocking(fn) as processes use it: the pool grows so that calls that wait
// for each other never deadlock; a process that exits while its call is
// queued drops the call, and one whose call runs dies for everyone at once
// (its stack unwinds when the call returns); a call that takes a
// std::stop_token hears of it.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/scale.hpp"

#include <catch2/catch.hpp>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct ready {};
struct done_reading {
  int index;
};

/// A pipe, closed when the last owner goes.
struct pipe_pair {
  int r = -1;
  int w = -1;
  pipe_pair() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    r = fds[0];
    w = fds[1];
  }
  ~pipe_pair() {
    ::close(r);
    ::close(w);
  }
};

/// Sends `cleaned` to `to` when destroyed (its process's stack unwound).
struct guard {
  otp::pid to;
  ~guard() { otp::send(to, std::string("cleaned")); }
};

} // namespace

TEST_CASE("a thousand processes reading pipes before their thousand writers "
          "all finish",
          "[faults][blocking]") {
  const int n = static_cast<int>(otp_test::scaled(1000));
  otp::runtime rt{{.threads = 2, .blocking_threads = 4096}};
  std::vector<std::unique_ptr<pipe_pair>> pipes;
  for (int i = 0; i < n; ++i)
    pipes.push_back(std::make_unique<pipe_pair>());
  int finished = 0;
  rt.run([&] {
    const otp::pid me = otp::self();
    for (int i = 0; i < n; ++i) {
      const int fd = pipes[static_cast<std::size_t>(i)]->r;
      otp::spawn([me, fd, i] {
        char c = 0;
        otp::blocking([fd, &c] { return ::read(fd, &c, 1); });
        otp::send(me, done_reading{i});
      });
    }
    for (int i = 0; i < n; ++i) {
      const int fd = pipes[static_cast<std::size_t>(i)]->w;
      otp::spawn([fd] { otp::blocking([fd] { return ::write(fd, "x", 1); }); });
    }
    for (int i = 0; i < n; ++i) {
      if (!otp::receive_as<done_reading>(20s))
        break;
      ++finished;
    }
  });
  CHECK(finished == n);
}

TEST_CASE("a thousand blocking 100 ms sleeps run side by side",
          "[faults][blocking][timing]") {
  const int n = static_cast<int>(otp_test::scaled(1000));
  otp::runtime rt{{.threads = 2}};
  clock_type::duration took{};
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto start = clock_type::now();
    for (int i = 0; i < n; ++i) {
      otp::spawn([me] {
        otp::blocking([] { std::this_thread::sleep_for(100ms); });
        otp::send(me, ready{});
      });
    }
    for (int i = 0; i < n; ++i)
      REQUIRE(otp::receive_as<ready>(30s));
    took = clock_type::now() - start;
  });
  // 512 threads: two rounds of 100 ms, and thread start-up (4 threads took
  // 25 s).
  CHECK(took < 3s);
}

TEST_CASE("a process that exits while its blocking call is queued drops the "
          "call",
          "[faults][blocking]") {
  otp::runtime rt{{.threads = 2, .blocking_threads = 1}};
  pipe_pair gate;
  auto ran = std::make_shared<std::atomic<bool>>(false);
  otp::exit_reason reason;
  rt.run([&] {
    const otp::pid me = otp::self();
    const int fd = gate.r;
    // Holds the only blocking thread.
    otp::spawn([me, fd] {
      otp::send(me, ready{});
      char c = 0;
      otp::blocking([fd, &c] { return ::read(fd, &c, 1); });
    });
    otp::receive([](ready) {});
    const auto queued = otp::spawn_monitor([me, ran] {
      otp::send(me, ready{});
      otp::blocking([ran] { ran->store(true); });
    });
    otp::receive([](ready) {});
    otp::exit(queued.pid, otp::exit_reason::kill());
    const auto d = otp::receive_as<otp::down_message>(5s);
    REQUIRE(d.has_value());
    reason = d->reason;
    REQUIRE(::write(gate.w, "x", 1) == 1); // free the thread
  });
  CHECK(reason == otp::exit_reason::killed());
  // The freed thread would have run it by now if it were still queued.
  CHECK_FALSE(otp_test::eventually([&] { return ran->load(); }, 200ms));
}

TEST_CASE("a process killed while its blocking call runs is dead for "
          "everyone at once, and unwinds when the call returns",
          "[faults][blocking]") {
  otp::runtime rt{{.threads = 2}};
  pipe_pair gate;
  bool down_while_blocked = false;
  bool alive_after = true;
  bool name_gone = false;
  std::string cleaned;
  auto entered = std::make_shared<std::atomic<bool>>(false);
  rt.run([&] {
    const otp::pid me = otp::self();
    const int fd = gate.r;
    const auto reader = otp::spawn_monitor([me, fd, entered] {
      otp::register_name("reader", otp::self());
      guard g{me};
      char c = 0;
      otp::blocking([fd, &c, entered] {
        entered->store(true);
        return ::read(fd, &c, 1);
      });
    });
    // Killed while the call runs (not while it is still queued).
    REQUIRE(otp_test::eventually([&] { return entered->load(); }));
    otp::exit(reader.pid, otp::exit_reason::kill());
    const auto d = otp::receive_as<otp::down_message>(5s);
    down_while_blocked = d && d->reason == otp::exit_reason::killed();
    alive_after = otp::alive(reader.pid);
    name_gone = !otp::whereis("reader");
    // Its stack is still in use by the call: nothing has unwound yet.
    CHECK_FALSE(otp::receive_as<std::string>(50ms).has_value());
    REQUIRE(::write(gate.w, "x", 1) == 1);
    cleaned = otp::receive_as<std::string>(5s).value_or("not cleaned");
  });
  CHECK(down_while_blocked);
  CHECK_FALSE(alive_after);
  CHECK(name_gone);
  CHECK(cleaned == "cleaned");
}

TEST_CASE("a blocking call that takes a std::stop_token is asked to stop "
          "when its process is killed",
          "[faults][blocking]") {
  otp::runtime rt{{.threads = 2}};
  pipe_pair gate;
  auto returned = std::make_shared<std::atomic<bool>>(false);
  rt.run([&] {
    const otp::pid me = otp::self();
    const int rfd = gate.r;
    const int wfd = gate.w;
    auto entered = std::make_shared<std::atomic<bool>>(false);
    const auto reader = otp::spawn_monitor([rfd, wfd, returned, entered] {
      otp::blocking([rfd, wfd, returned, entered](std::stop_token st) {
        entered->store(true);
        // Interrupt the read by giving it something to read.
        std::stop_callback wake(st, [wfd] { (void)::write(wfd, "s", 1); });
        char c = 0;
        const auto n = ::read(rfd, &c, 1);
        returned->store(true);
        return n;
      });
    });
    REQUIRE(otp_test::eventually([&] { return entered->load(); }));
    otp::exit(reader.pid, otp::exit_reason::kill());
    REQUIRE(otp::receive_as<otp::down_message>(5s));
  });
  CHECK(otp_test::eventually([&] { return returned->load(); }));
}

TEST_CASE("messages and process_info reach a process waiting in a blocking "
          "call; the messages stay queued in order",
          "[faults][blocking]") {
  otp::runtime rt{{.threads = 2}};
  pipe_pair gate;
  std::vector<int> got;
  std::string status;
  rt.run([&] {
    const otp::pid me = otp::self();
    const int fd = gate.r;
    const otp::pid reader = otp::spawn([me, fd] {
      otp::send(me, ready{});
      char c = 0;
      otp::blocking([fd, &c] { return ::read(fd, &c, 1); });
      for (int i = 0; i < 3; ++i)
        otp::send(me, otp::receive_as<int>());
    });
    otp::receive([](ready) {});
    for (int i = 1; i <= 3; ++i)
      otp::send(reader, i);
    // Each message wakes it for a moment (it handles signals, and parks
    // again); it is seen waiting, not running the call.
    otp_test::eventually([&] {
      const auto info = otp::process_info(reader);
      status = info ? info->status : "none";
      return status == "waiting";
    });
    REQUIRE(::write(gate.w, "x", 1) == 1);
    for (int i = 0; i < 3; ++i)
      got.push_back(otp::receive_as<int>(5s).value_or(-1));
  });
  CHECK(status == "waiting");
  CHECK(got == std::vector<int>{1, 2, 3});
}
