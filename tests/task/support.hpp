#pragma once
/// \file support.hpp
/// Helpers of the task suite: park a task until it is told to go (or
/// killed), receive one DOWN, count what is queued. Everything here that
/// receives must run inside a process.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"
#include "support/scale.hpp"
#include "support/waits.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace task_test {

using namespace std::chrono_literals;
using otp_test::eventually;

/// Tells a parked task to go on.
struct go {};
/// Nobody sends it: receiving it parks a process until it is killed.
struct never {};

/// Wait for `go`.
inline void wait_go() {
  otp::receive([](go) {});
}

/// Suspend the calling process until it is killed.
[[noreturn]] inline void park() {
  otp::receive([](never) {});
  throw std::logic_error("task_test::park: a never message arrived");
}

/// Busy-wait `d` without suspending (makes a task finish "about now").
inline void spin_for(std::chrono::steady_clock::duration d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

/// The reason of the DOWN for `r` (tests/support).
using otp_test::down_reason;

/// Whether an `exit_message` from `from` is queued (a poll).
inline bool exit_queued(const otp::pid& from) {
  return otp::receive(
      otp::guard([&](const otp::exit_message& m) { return m.from == from; },
                 [](otp::exit_message&&) { return true; }),
      otp::after(0ms, [] { return false; }));
}

/// How many `T` are queued (they are removed).
template <class T>
std::size_t take_all() {
  std::size_t n = 0;
  while (otp::receive([](T&&) { return true; },
                      otp::after(0ms, [] { return false; })))
    ++n;
  return n;
}

/// `{Task,fn,[<pid>,timeout]}`.
inline std::string where(const char* fn, const otp::pid& p, long timeout) {
  std::ostringstream os;
  os << "{Task," << fn << ",[" << p << ',' << timeout << "]}";
  return os.str();
}

/// A two-thread runtime, so tasks really run beside their owner.
inline otp::runtime_options two_threads() {
  return {.threads = 2};
}

} // namespace task_test
