#pragma once
/// \file log_capture.hpp
/// `log_capture`: while alive, every report of the runtime is recorded here
/// instead of going to stderr; the previous sink comes back on destruction.
///
/// The sink may be called from any scheduler thread; the recorded events are
/// guarded by a mutex, so the test thread may read them at any time.

#include "framework/log.hpp"

#include "eventually.hpp"

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace otp_test {

class log_capture {
public:
  log_capture() {
    previous_ = otp::set_log_sink([this](const otp::log_event& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(e);
    });
  }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;
  ~log_capture() { otp::set_log_sink(std::move(previous_)); }

  /// A snapshot of everything recorded so far.
  std::vector<otp::log_event> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

  /// The recorded events of `level`.
  std::vector<otp::log_event> events(otp::log_level level) const {
    std::vector<otp::log_event> out;
    for (auto& e : events())
      if (e.level == level)
        out.push_back(e);
    return out;
  }

  std::size_t count(otp::log_level level) const { return events(level).size(); }

  /// How many events of `level` mention `text`.
  std::size_t count(otp::log_level level, const std::string& text) const {
    std::size_t n = 0;
    for (const auto& e : events(level))
      n += e.text.find(text) != std::string::npos ? 1 : 0;
    return n;
  }

  /// Wait until at least `n` events of `level` were recorded.
  bool wait_for(otp::log_level level, std::size_t n,
                std::chrono::steady_clock::duration timeout = 5s) const {
    return eventually([&] { return count(level) >= n; }, timeout);
  }

private:
  mutable std::mutex mutex_;
  std::vector<otp::log_event> events_;
  otp::log_sink previous_;
};

/// Sets the log level while alive, then restores the previous one.
class log_level_scope {
public:
  explicit log_level_scope(otp::log_level l)
      : previous_(otp::set_log_level(l)) {}
  log_level_scope(const log_level_scope&) = delete;
  log_level_scope& operator=(const log_level_scope&) = delete;
  ~log_level_scope() { otp::set_log_level(previous_); }

private:
  otp::log_level previous_;
};

} // namespace otp_test
