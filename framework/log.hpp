#pragma once
/// \file log.hpp
/// Reports: the runtime's error reports (a process crashed), warnings and
/// progress reports, with a level threshold as OTP's logger has.
///
/// - Levels, lowest first: `debug`, `info`, `notice`, `warning`, `error`.
///   `set_log_level(l)` is `logger:set_primary_config(level, L)`: a report
///   below `l` is dropped before any sink sees it. The default is `notice`,
///   as OTP's: warnings and errors pass, info (supervisors' progress
///   reports) is dropped. `log_enabled(l)` tells a caller whether building a
///   report of level `l` is worth it.
/// - A `log_event` carries the level, the pid it is about, that process's
///   registered name (when it has one), the wall-clock time, and the text.
///   The text is the report alone, without its level:
///   `Process <0.78.0> raised an exception` followed by
///   `** (std::runtime_error) oops` on the next line.
/// - Without a sink, reports go to stderr, one line per event, as
///   `[error] Process <0.78.0> raised an exception` (`format_log_event`).
///   Install a sink to send them elsewhere (tests capture them).
/// - Sinks may be called from any thread, concurrently; the runtime
///   serialises calls to one sink. A sink must not suspend (no `receive`,
///   `sleep`) and must not call `log` or `set_log_sink` itself.
///
/// `log` never throws: it runs on runtime threads and in `noexcept` paths.
/// If the sink throws, the exception is swallowed and stderr gets one line
/// naming it, `[error] log sink threw std::runtime_error: disk full; report
/// follows`, then the report itself as the default sink prints it, so
/// nothing is lost. The sink stays installed: a sink that fails now and then
/// (a full disk, a closed socket) keeps working once it recovers, and every
/// report it could not take still reaches stderr. Logging works during
/// static destruction (a runtime with static storage duration shutting down
/// at exit). `log` takes no runtime lock except, for a process that has a
/// registered name, the registry's for the moment it copies the name (no
/// caller holds that lock while logging), so it cannot deadlock.
///
/// Compatibility: a text that starts with its own level in brackets
/// (`"[error] ..."`, as reports were built before the level left the text)
/// has that prefix removed, so the text never carries the level twice.

#include "framework/pid.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace otp {

/// How severe a report is (OTP's levels, without emergency/alert/critical).
enum class log_level { debug, info, notice, warning, error };

/// One report.
struct log_event {
  log_level level;
  pid who;          ///< the process it is about (may be null)
  std::string text; ///< the report without its level, possibly several lines
  /// `who`'s registered name when the report was made; empty if none.
  std::string registered_name{};
  /// When the report was made.
  std::chrono::system_clock::time_point time{};
};

using log_sink = std::function<void(const log_event&)>;

/// Replace the sink; returns the previous one. An empty sink restores stderr.
log_sink set_log_sink(log_sink sink);

/// Set the threshold: reports below `level` are dropped, whatever the sink.
/// Returns the previous threshold. Thread-safe; the default is `notice`.
log_level set_log_level(log_level level) noexcept;

/// The current threshold.
log_level get_log_level() noexcept;

/// Whether a report of `level` would be passed on (at or above the
/// threshold).
bool log_enabled(log_level level) noexcept;

/// Emit a report through the current sink (stderr if none) if `level` is at
/// or above the threshold; never throws.
void log(log_level level, const pid& who, std::string text) noexcept;

/// `"[level] text"`: the line(s) the default sink writes to stderr.
std::string format_log_event(const log_event& event);

/// `"debug"`, `"info"`, `"notice"`, `"warning"` or `"error"`.
const char* to_string(log_level l) noexcept;

} // namespace otp
