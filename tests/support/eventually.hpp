#pragma once
/// \file eventually.hpp
/// `eventually(pred, timeout)`: wait for a condition instead of sleeping for
/// it (ractor's `periodic_check`). Polls `pred` until it holds or `timeout`
/// passes and returns the last result, so tests say
/// `REQUIRE(eventually([&] { return !otp::alive(p); }));`.
///
/// Works both from a test's own thread and from inside a process: inside a
/// process it waits with `otp::sleep`, a suspension point, so other processes
/// (also on a one-thread runtime) keep running while it polls.

#include "framework/otp.hpp"

#include <chrono>
#include <thread>

namespace otp_test {

using namespace std::chrono_literals;

/// Poll `pred` every `poll` until it returns true or `timeout` passes.
template <class Pred>
bool eventually(Pred&& pred, std::chrono::steady_clock::duration timeout = 5s,
                std::chrono::steady_clock::duration poll = 1ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Inside a process a thread sleep would stall its scheduler thread.
  const bool in_process = otp::detail::current_process() != nullptr;
  for (;;) {
    if (pred())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return static_cast<bool>(pred());
    if (in_process)
      otp::sleep(poll);
    else
      std::this_thread::sleep_for(poll);
  }
}

/// Wait until `rt` has no process left; true if that happened in time.
/// Tests end with it so that none leaves a process behind.
inline bool all_exited(const otp::runtime& rt,
                       std::chrono::steady_clock::duration timeout = 5s) {
  return eventually([&] { return rt.process_count() == 0; }, timeout);
}

} // namespace otp_test
