// overflow_in_libc: a process whose stack runs out inside the C library
// (which may hold locks other threads need) cannot be ended on its own: the
// program must stop, with a report naming the process, never go on with
// memory in doubt. The scenario has memset write into its own stack's hard
// guard, as a deep libc frame would.
#include "framework/detail/stack_pool.hpp"
#include "framework/otp.hpp"

#include "scenario.hpp"

#include <chrono>
#include <cstring>

using namespace std::chrono_literals;
using faults_child::say;

namespace {

[[gnu::noinline]] void touch_guard_in_libc() {
  otp::detail::stack_slot slot;
  otp::detail::find_slot(__builtin_frame_address(0), slot);
  char* p = slot.base + 64; // inside the hard guard
  // Through a pointer, so that the compiler cannot inline it: the write must
  // happen inside libc.
  void* (*volatile set)(void*, int, std::size_t) = &std::memset;
  set(p, 1, 4096);
  say("survived", p[0] == 1 ? "yes" : "no");
}

int overflow_in_libc(const std::vector<std::string>&) {
  otp::runtime rt{{.threads = 2}};
  rt.run([] {
    const auto v = otp::spawn_monitor([] {
      otp::register_name("deep_in_libc", otp::self());
      say("victim", otp::self().to_string());
      touch_guard_in_libc();
    });
    const auto d = otp::receive_as<otp::down_message>(10s);
    say("down", d ? d->reason.to_string() : "none");
  });
  say("run", "returned");
  return 0;
}

const faults_child::registrar r{"overflow_in_libc", overflow_in_libc};

} // namespace
