#include "framework/log.hpp"

#include "framework/detail/runtime_impl.hpp"

#include <cxxabi.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <mutex>
#include <string_view>
#include <typeinfo>

namespace otp {

namespace {
// Reports come from any thread; they are rare, so one mutex is fine. It is
// never held across a fiber suspension (the sink runs to completion).
// Both are immortal (allocated once, never destroyed): a runtime with static
// storage duration may be destroyed after them at exit and still log.
std::mutex& sink_mutex() {
  static auto* m = new std::mutex;
  return *m;
}
log_sink& current_sink() {
  static auto* s = new log_sink;
  return *s;
}

// Trivially destructible and constant-initialised: usable at any time, also
// during static destruction.
constinit std::atomic<log_level> threshold{log_level::notice};

/// Writes to std::cerr (so a redirected `rdbuf` still gets reports); a
/// failing stream must not make `log` throw.
void put(const char* text) noexcept {
  try {
    std::cerr << text;
  } catch (...) {
  }
}

/// The default sink: `[level] text` and a newline.
void put_report(const log_event& ev) noexcept {
  try {
    std::cerr << '[' << to_string(ev.level) << "] " << ev.text << std::endl;
  } catch (...) {
  }
}

/// The demangled type of the exception being handled, e.g.
/// `std::runtime_error`.
void put_current_exception_type() noexcept {
  const std::type_info* t = abi::__cxa_current_exception_type();
  if (t == nullptr) {
    put("an unknown exception");
    return;
  }
  int status = 0;
  char* name = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
  put(status == 0 && name != nullptr ? name : t->name());
  std::free(name);
}

/// The sink threw: say so on stderr, then write the report it did not take.
/// Called inside the `catch` (the exception is the current one).
void report_sink_failure(const log_event& ev) noexcept {
  put("[error] log sink threw ");
  put_current_exception_type();
  try {
    throw;
  } catch (const std::exception& e) {
    put(": ");
    put(e.what());
  } catch (...) {
  }
  put("; report follows\n");
  put_report(ev);
}

/// Remove a leading `[level] ` of the event's own level (reports used to
/// carry it in their text).
void strip_level_prefix(log_level level, std::string& text) noexcept {
  const std::string_view name = to_string(level);
  const std::size_t n = name.size() + 3;
  if (text.size() >= n && text[0] == '['
      && text.compare(1, name.size(), name) == 0 && text[name.size() + 1] == ']'
      && text[name.size() + 2] == ' ')
    text.erase(0, n);
}

/// The registered name of `who`, or "" (also if copying it fails). The
/// registry's lock is taken only for a process that has a name, and no
/// code holds that lock while it logs: no deadlock.
std::string registered_name_of(const pid& who) noexcept {
  const detail::process* p = who.get();
  if (p == nullptr || !p->named.load(std::memory_order_acquire))
    return {};
  try {
    return p->rt->name_of(p);
  } catch (...) {
    return {};
  }
}
} // namespace

const char* to_string(log_level l) noexcept {
  switch (l) {
  case log_level::debug:
    return "debug";
  case log_level::info:
    return "info";
  case log_level::notice:
    return "notice";
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

log_level set_log_level(log_level level) noexcept {
  return threshold.exchange(level, std::memory_order_relaxed);
}

log_level get_log_level() noexcept {
  return threshold.load(std::memory_order_relaxed);
}

bool log_enabled(log_level level) noexcept {
  return level >= threshold.load(std::memory_order_relaxed);
}

std::string format_log_event(const log_event& event) {
  std::string out;
  out.reserve(event.text.size() + 10);
  out += '[';
  out += to_string(event.level);
  out += "] ";
  out += event.text;
  return out;
}

void log(log_level level, const pid& who, std::string text) noexcept {
  if (!log_enabled(level))
    return;
  strip_level_prefix(level, text);
  // Metadata first, outside the sink's lock: no lock is ever taken under
  // it but the sink's own.
  log_event ev{level, who, std::move(text), registered_name_of(who),
               std::chrono::system_clock::now()};
  std::lock_guard<std::mutex> lk(sink_mutex());
  if (current_sink()) {
    try {
      current_sink()(ev);
    } catch (...) {
      // The report passed the threshold, so the user wants it: it goes to
      // stderr after the line naming the sink's failure.
      report_sink_failure(ev);
    }
    return;
  }
  put_report(ev);
}

} // namespace otp
