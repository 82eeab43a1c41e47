// Shutdown always finishes: ~runtime returns within shutdown_timeout plus
// one second, whatever its processes do, and names every process it had to
// leave behind.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct ready {};

struct waits_in_destructor {
  ~waits_in_destructor() {
    otp::receive([](int) {});
  }
};

} // namespace

TEST_CASE("shutdown ends processes that wait, sleep, hold timers or wait in "
          "their destructors, within its bound",
          "[faults][shutdown][timing]") {
  otp_test::log_capture logs;
  auto start = clock_type::now();
  {
    otp::runtime rt{{.threads = 2, .shutdown_timeout = 300ms}};
    rt.run([] {
      const otp::pid me = otp::self();
      otp::spawn([] { otp::receive([](int) {}); });
      otp::spawn([] { otp::sleep(1h); });
      otp::spawn([me] {
        otp::send_after(otp::self(), 1h, 1);
        otp::send(me, ready{});
        otp::receive([](std::string) {});
      });
      otp::spawn([me] {
        waits_in_destructor w;
        otp::send(me, ready{});
        otp::receive([](std::string) {});
      });
      otp::receive([](ready) {});
      otp::receive([](ready) {});
    });
    start = clock_type::now();
  }
  const auto took = clock_type::now() - start;
  // The destructor that waits is killed after the 300 ms.
  CHECK(took < 300ms + 1s);
  CHECK(logs.count(otp::log_level::warning, "abandoned") == 0);
  CHECK(logs.count(otp::log_level::error) == 0);
}

TEST_CASE("shutdown returns within its bound past a process that never "
          "suspends, and names it",
          "[faults][shutdown][timing]") {
  otp_test::log_capture logs;
  auto release = std::make_shared<std::atomic<bool>>(false);
  otp::pid spinner;
  clock_type::duration took{};
  {
    otp::runtime rt{
        {.threads = 2, .long_schedule = 0ms, .shutdown_timeout = 200ms}};
    rt.run([&] {
      const otp::pid me = otp::self();
      spinner = otp::spawn([me, release] {
        otp::register_name("spinner", otp::self());
        otp::send(me, ready{});
        while (!release->load()) {
        }
      });
      otp::receive([](ready) {});
    });
    const auto start = clock_type::now();
    rt.shutdown();
    took = clock_type::now() - start;
  }
  // Let the abandoned thread go (it only now reaches a suspension point).
  release->store(true);
  CHECK(took < 200ms + 1s + 500ms);
  CHECK(logs.count(otp::log_level::warning, "abandoned") == 1);
  CHECK(logs.count(otp::log_level::warning, spinner.to_string()) >= 1);
  CHECK(logs.count(otp::log_level::warning, "\"spinner\"") >= 1);
}

TEST_CASE("shutdown returns past a process stuck in a blocking call that "
          "never returns, and names it",
          "[faults][shutdown][timing]") {
  otp_test::log_capture logs;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  clock_type::duration took{};
  otp::pid reader;
  {
    otp::runtime rt{{.threads = 2, .shutdown_timeout = 200ms}};
    // Not on the heap: the process's stack, which still holds whatever its
    // frames hold, is never freed (blocking.hpp).
    static std::atomic<bool> entered{false};
    rt.run([&] {
      const int fd = fds[0];
      reader = otp::spawn([fd] {
        char c = 0;
        otp::blocking([fd, &c] {
          entered.store(true);
          return ::read(fd, &c, 1);
        });
      });
      // The call runs (a queued one would simply be dropped).
      REQUIRE(otp_test::eventually([&] { return entered.load(); }));
    });
    const auto start = clock_type::now();
    rt.shutdown();
    took = clock_type::now() - start;
  }
  // Let the read return; nothing of the runtime may be touched any more.
  REQUIRE(::write(fds[1], "x", 1) == 1);
  ::close(fds[1]);
  CHECK(took < 200ms + 1s + 500ms);
  CHECK(logs.count(otp::log_level::warning, reader.to_string()) >= 1);
  ::close(fds[0]);
}

TEST_CASE("shutdown waits, within shutdown_timeout, for the blocking calls "
          "of the processes it ended, so their destructors run",
          "[faults][shutdown][timing]") {
  // Each call outlasts the pool's minimal grace (100 ms) and ignores its
  // stop token; the shutdown budget (default 5 s) covers it.
  constexpr int blockers = 20;
  std::atomic<int> entered{0};
  std::atomic<int> unwound{0};
  struct counts_unwinding {
    std::atomic<int>* n;
    ~counts_unwinding() { n->fetch_add(1); }
  };
  clock_type::duration took{};
  otp_test::log_capture logs;
  {
    otp::runtime rt{{.threads = 2}};
    for (int i = 0; i < blockers; ++i) {
      rt.spawn([&] {
        counts_unwinding c{&unwound};
        otp::blocking([&] {
          entered.fetch_add(1);
          std::this_thread::sleep_for(300ms);
        });
        otp::receive([](int) {});
      });
    }
    REQUIRE(otp_test::eventually([&] { return entered.load() == blockers; }));
    const auto start = clock_type::now();
    rt.shutdown();
    took = clock_type::now() - start;
  }
  CHECK(unwound.load() == blockers);
  CHECK(took < 2s);
  CHECK(logs.count(otp::log_level::warning) == 0);
  CHECK(logs.count(otp::log_level::error) == 0);
}
