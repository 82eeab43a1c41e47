#pragma once
/// \file support.hpp
/// Helpers of the supervision suite: a thread-safe event recorder, test
/// workers (plain processes started with `otp::start_link`, never
/// GenServers) and the receive patterns the tests repeat. Everything that
/// receives must run inside a process.

#include "framework/otp.hpp"
#include "supervision/supervision.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"
#include "support/scale.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sup_test {

using namespace std::chrono_literals;
using otp_test::eventually;

/// Events from many processes, in the order they happened. The mutex is
/// never held across a suspension point.
class recorder {
public:
  void add(std::string e) {
    std::lock_guard<std::mutex> lock(m_);
    events_.push_back(std::move(e));
  }
  std::vector<std::string> events() const {
    std::lock_guard<std::mutex> lock(m_);
    return events_;
  }
  /// The events that start with `prefix`, in order.
  std::vector<std::string> with(const std::string& prefix) const {
    std::vector<std::string> out;
    for (auto& e : events())
      if (e.rfind(prefix, 0) == 0)
        out.push_back(e);
    return out;
  }
  std::size_t count(const std::string& e) const {
    auto all = events();
    return static_cast<std::size_t>(std::count(all.begin(), all.end(), e));
  }
  void clear() {
    std::lock_guard<std::mutex> lock(m_);
    events_.clear();
  }

private:
  mutable std::mutex m_;
  std::vector<std::string> events_;
};
using recorder_ptr = std::shared_ptr<recorder>;

/// Sent to a test worker: exit with `reason`.
struct crash {
  otp::exit_reason reason;
};
/// A message nobody sends.
struct never {};

/// How a test worker behaves.
struct worker_options {
  /// Trap exits: a shutdown is recorded as `terminate:<id>:<reason>`.
  bool trap = false;
  /// With `trap`: ignore the supervisor's exit signals (only a kill ends it).
  bool ignore_shutdown = false;
  /// Unlink from the supervisor right after starting.
  bool unlink = false;
};

/// A worker that records `start:<id>`, then waits for `crash`.
otp::child_spec
worker(const std::string& id, recorder_ptr rec, worker_options o = {},
       otp::restart_type restart = otp::restart_type::permanent);

/// A start callable that fails (`error(user("start_failed"))`) while
/// `*fail` is true, `ignore`s while `*ignore` is true, else starts `worker`.
otp::child_spec flaky_worker(const std::string& id, recorder_ptr rec,
                             std::shared_ptr<std::atomic<bool>> fail,
                             std::shared_ptr<std::atomic<bool>> ignore =
                                 std::make_shared<std::atomic<bool>>(false));

/// The pid of child `id` of `sup` (null if none or not running).
otp::pid pid_of(const otp::server_ref& sup, const std::string& id);

/// The status of child `id` (nothing if there is no such child).
std::optional<otp::child_status> status_of(const otp::server_ref& sup,
                                           const std::string& id);

/// Wait until child `id` runs with a pid other than `old`; returns it.
otp::pid next_pid(const otp::server_ref& sup, const std::string& id,
                  const otp::pid& old);

/// The reason of the DOWN for `r` (nothing after `timeout`).
std::optional<otp::exit_reason> down_reason(
    const otp::ref& r,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

/// Wait for the end of `p` (monitor + DOWN); its reason.
std::optional<otp::exit_reason> wait_exit(const otp::pid& p);

} // namespace sup_test
