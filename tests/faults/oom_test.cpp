// Out of memory in the signal paths: `exit(pid, kill)` throws std::bad_alloc
// in its caller, as `send` does, and a process that dies while the heap is
// exhausted still tells its links and monitors (the runtime keeps signals
// in reserve); nothing calls std::terminate.
//
// This file replaces the global operator new for the whole faults_tests
// binary; it fails only while `fail_allocations` is set.

#include "framework/otp.hpp"

#include "support/eventually.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> fail_allocations{false};
} // namespace

void* operator new(std::size_t n) {
  if (fail_allocations.load(std::memory_order_relaxed))
    throw std::bad_alloc();
  if (void* p = std::malloc(n != 0 ? n : 1))
    return p;
  throw std::bad_alloc();
}

void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (fail_allocations.load(std::memory_order_relaxed))
    return nullptr;
  return std::malloc(n != 0 ? n : 1);
}

void operator delete(void* p) noexcept {
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

using namespace std::chrono_literals;

namespace {
/// Fails allocations for as long as it lives.
struct heap_exhausted {
  heap_exhausted() { fail_allocations = true; }
  ~heap_exhausted() { fail_allocations = false; }
};
} // namespace

TEST_CASE("exit(pid, kill) with the heap exhausted throws std::bad_alloc in "
          "the caller",
          "[faults][oom]") {
  otp::runtime rt{{.threads = 1}};
  bool threw = false;
  bool target_alive = false;
  rt.run([&] {
    const otp::pid target = otp::spawn([] { otp::receive([](int) {}); });
    {
      heap_exhausted oom;
      try {
        otp::exit(target, otp::exit_reason::kill());
      } catch (const std::bad_alloc&) {
        threw = true;
      }
    }
    target_alive = otp::alive(target);
    otp::exit(target, otp::exit_reason::kill());
  });
  CHECK(threw);
  CHECK(target_alive); // the failed kill did nothing
}

TEST_CASE("a process that dies while the heap is exhausted still takes its "
          "links down",
          "[faults][oom]") {
  // One thread: the controller kills the victim, exhausts the heap and
  // ends; the victim then dies and its link kills the bystander, all
  // without a byte of new memory.
  otp::runtime rt{{.threads = 1}};
  std::atomic<bool> armed{false};
  otp::pid victim;
  otp::pid bystander;
  rt.run([&] {
    const otp::pid me = otp::self();
    bystander = otp::spawn([me] {
      otp::send(me, otp::spawn_link([] { otp::receive([](int) {}); }));
      otp::receive([](int) {});
    });
    victim = otp::receive_as<otp::pid>();
    otp::spawn([&armed, victim = victim] {
      otp::exit(victim, otp::exit_reason::kill()); // allocated: still fine
      fail_allocations = true;
      armed = true;
    });
  });
  const bool both_gone = otp_test::eventually(
      [&] { return !otp::alive(victim) && !otp::alive(bystander); }, 5s);
  fail_allocations = false;
  CHECK(armed.load());
  CHECK(both_gone);
}
