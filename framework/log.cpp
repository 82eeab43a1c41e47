#include "framework/log.hpp"

#include <iostream>
#include <mutex>

namespace otp {

namespace {
// Reports come from any thread; they are rare, so one mutex is fine. It is
// never held across a fiber suspension (the sink runs to completion).
std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}
log_sink& current_sink() {
  static log_sink s;
  return s;
}
} // namespace

const char* to_string(log_level l) noexcept {
  switch (l) {
  case log_level::info:
    return "info";
  case log_level::warning:
    return "warning";
  case log_level::error:
    return "error";
  }
  return "unknown";
}

log_sink set_log_sink(log_sink sink) {
  std::lock_guard<std::mutex> lk(sink_mutex());
  log_sink old = std::move(current_sink());
  current_sink() = std::move(sink);
  return old;
}

void log(log_level level, const pid& who, std::string text) {
  log_event ev{level, who, std::move(text)};
  std::lock_guard<std::mutex> lk(sink_mutex());
  if (current_sink()) {
    current_sink()(ev);
    return;
  }
  // Like OTP's default logger level (notice): progress reports (info) are
  // not printed unless a sink asks for them.
  if (ev.level != log_level::info)
    std::cerr << ev.text << std::endl;
}

} // namespace otp
