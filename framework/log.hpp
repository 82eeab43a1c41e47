#pragma once
/// \file log.hpp
/// Reports: the runtime's error reports (a process crashed) and warnings.
///
/// By default reports go to stderr (info-level ones, such as supervisors'
/// progress reports, are dropped, as OTP's default logger level does), one
/// line per event, as
/// `[error] Process <0.78.0> raised an exception` followed by
/// `** (std::runtime_error) oops`. Install a sink to capture them (tests do).
/// Sinks may be called from any thread, concurrently; the runtime serialises
/// calls to one sink.

#include "framework/pid.hpp"

#include <functional>
#include <string>

namespace otp {

enum class log_level { info, warning, error };

/// One report.
struct log_event {
  log_level level;
  pid who;          ///< the process it is about (may be null)
  std::string text; ///< the formatted report, possibly several lines
};

using log_sink = std::function<void(const log_event&)>;

/// Replace the sink; returns the previous one. An empty sink restores stderr.
log_sink set_log_sink(log_sink sink);

/// Emit a report through the current sink.
void log(log_level level, const pid& who, std::string text);

const char* to_string(log_level l) noexcept;

} // namespace otp
