#pragma once
/// \file support.hpp
/// Small helpers of the signals suite: wait for a condition
/// instead of sleeping for it, capture reports, scale stress loops, and the
/// receive patterns every test repeats (wait for one DOWN, one EXIT, count
/// what is queued).
///
/// `eventually` works from the test thread and from inside a process; all
/// other helpers that receive must run inside a process.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/scale.hpp"
#include "support/waits.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sig {

using namespace std::chrono_literals;
using duration = std::chrono::steady_clock::duration;

/// Messages the tests exchange. They carry no data unless they need to.
struct go {};
struct ping {};
struct pong {};
struct crash {};
/// A message type nobody ever sends: receiving it parks a process.
struct never {};

// -- waiting ------------------------------------------------------------------

/// Poll `pred` until it holds or `timeout` passes (tests/support).
using otp_test::eventually;

/// Wait until `rt` runs exactly `n` processes.
inline bool settles(const otp::runtime& rt, std::size_t n = 0,
                    duration timeout = 10s) {
  return eventually([&] { return rt.process_count() == n; }, timeout);
}

/// Suspend the calling process until it is killed.
[[noreturn]] inline void park() {
  otp::receive([](never) {});
  throw std::logic_error("sig::park: a never message arrived");
}

// -- receiving signals --------------------------------------------------------

/// DOWN and EXIT waits (tests/support).
using otp_test::down_reason;
using otp_test::exit_reason_from;

/// Remove every queued `T` for which `pred` holds and return them (a poll:
/// waits for nothing).
template <class T, class Pred>
std::vector<T> take_queued(Pred pred) {
  std::vector<T> out;
  for (;;) {
    const bool got =
        otp::receive(otp::guard([&](const T& v) { return pred(v); },
                                [&](T&& v) {
                                  out.push_back(std::move(v));
                                  return true;
                                }),
                     otp::after(0ms, [] { return false; }));
    if (!got)
      return out;
  }
}

/// Remove every queued `T` and return them.
template <class T>
std::vector<T> take_queued() {
  return take_queued<T>([](const T&) { return true; });
}

// -- stress sizes -------------------------------------------------------------

/// Stress sizes scaled by `OTP_TEST_SCALE` (tests/support).
using otp_test::scaled;
using otp_test::test_scale;

/// Vary the timing of a race from one iteration to the next, reproducibly:
/// yield on one iteration in four, then spin for 0 to 150 us. A spin of more
/// than ~50 us lets the idle scheduler thread steal the other party of the
/// race, so the two really run at the same time.
inline void jitter(std::size_t i) {
  if (i % 4 == 0)
    otp::yield();
  const auto until = std::chrono::steady_clock::now()
                     + std::chrono::microseconds((i * 7919) % 151);
  while (std::chrono::steady_clock::now() < until) {
  }
}

/// A start line for the two sides of a race: each side arrives and waits
/// (spinning) for the other, then waits its own `delay`, so that the two go
/// on at nearly the same moment in an order that varies with the delays.
/// Spinning is the point here. It only helps when the sides run on two
/// scheduler threads; if they share one, each side gives up after
/// `patience` and the iteration is sequential.
class start_line {
public:
  /// Arrive, wait for the other side (at most `patience`), then spin for
  /// `delay`. Returns true if the other side was met.
  bool arrive(std::chrono::nanoseconds delay, duration patience = 300us) {
    arrived_.fetch_add(1);
    bool met = true;
    const auto give_up = std::chrono::steady_clock::now() + patience;
    while (arrived_.load() < 2) {
      if (std::chrono::steady_clock::now() >= give_up) {
        met = false;
        break;
      }
    }
    const auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until) {
    }
    return met;
  }

private:
  std::atomic<int> arrived_{0};
};

/// A delay of 0 to 4 us that varies with `i` (and with `side`, so that the
/// two sides of a race get different delays).
inline std::chrono::nanoseconds race_delay(std::size_t i, int side) {
  return std::chrono::nanoseconds(
      (i * 7919 + static_cast<std::size_t>(side) * 104729) % 4000);
}

/// Spawns processes from a process of its own, started from the test thread
/// before the test's process: new processes from outside the runtime are
/// placed round-robin on its threads, so those spawned here most likely run
/// on another scheduler thread than the test's process, and the two sides
/// of a race really run at the same time. Counts as one process.
class elsewhere {
public:
  explicit elsewhere(otp::runtime& rt) : spawner_(rt.spawn(serve)) {}
  elsewhere(const elsewhere&) = delete;
  elsewhere& operator=(const elsewhere&) = delete;
  ~elsewhere() { otp::send(spawner_, stop{}); }

  /// Spawn `fn` from the spawner and return its pid (call from a process).
  otp::pid spawn(std::function<void()> fn) {
    otp::send(spawner_, request{otp::self(), std::move(fn)});
    return otp::receive([](spawned&& s) { return std::move(s.pid); });
  }

private:
  struct request {
    otp::pid from;
    std::function<void()> fn;
  };
  struct spawned {
    otp::pid pid;
  };
  struct stop {};

  static void serve() {
    for (;;) {
      const bool done = otp::receive(
          [](request&& r) {
            otp::send(r.from, spawned{otp::spawn(std::move(r.fn))});
            return false;
          },
          [](stop) { return true; });
      if (done)
        return;
    }
  }

  otp::pid spawner_;
};

// -- reports ------------------------------------------------------------------

/// While alive, every report goes here instead of stderr.
class log_capture {
public:
  log_capture() {
    previous_ = otp::set_log_sink([this](const otp::log_event& e) {
      std::lock_guard<std::mutex> lock(m_);
      events_.push_back(e);
    });
  }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;
  ~log_capture() { otp::set_log_sink(std::move(previous_)); }

  /// The recorded events of `level`.
  std::vector<otp::log_event> events(otp::log_level level) const {
    std::lock_guard<std::mutex> lock(m_);
    std::vector<otp::log_event> out;
    for (const auto& e : events_)
      if (e.level == level)
        out.push_back(e);
    return out;
  }

  /// How many events of `level` mention `text`.
  std::size_t count(otp::log_level level, const std::string& text = "") const {
    const auto all = events(level);
    return static_cast<std::size_t>(
        std::count_if(all.begin(), all.end(), [&](const otp::log_event& e) {
          return e.text.find(text) != std::string::npos;
        }));
  }

private:
  mutable std::mutex m_;
  std::vector<otp::log_event> events_;
  otp::log_sink previous_;
};

} // namespace sig
