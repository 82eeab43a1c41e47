#pragma once
/// \file support.hpp
/// Helpers of the GenServer suite: the receive patterns every test repeats
/// (one DOWN, one EXIT, a notification a server sends to its observer, what
/// is queued now) and the messages servers use to tell the test what they
/// did. All helpers that receive must run inside a process.

#include "behaviours/gen_server.hpp"
#include "behaviours/sys.hpp"
#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"
#include "support/scale.hpp"
#include "support/waits.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace gst {

using namespace std::chrono_literals;
using duration = std::chrono::steady_clock::duration;
using otp_test::eventually;
using otp_test::scaled;

/// A server ran `terminate(reason)` (sent to its observer).
struct terminated {
  otp::pid who;
  otp::exit_reason reason;
};
/// A server reached a point of interest (sent to its observer).
struct reached {
  std::string what;
};
/// A server says who it is (sent from init to its observer).
struct hello {
  otp::pid who;
};
/// Tells a helper process to end.
struct finish {};
/// A message type nobody sends: receiving it parks a process.
struct never {};

/// Server options with a name.
inline otp::server_options named(std::string name) {
  otp::server_options o;
  o.name = std::move(name);
  return o;
}
/// Server options with a start timeout.
inline otp::server_options start_timeout(std::chrono::milliseconds t) {
  otp::server_options o;
  o.timeout = t;
  return o;
}
/// Server options with `hibernate_after`.
inline otp::server_options hibernate_after(std::chrono::milliseconds t) {
  otp::server_options o;
  o.hibernate_after = t;
  return o;
}

/// DOWN and EXIT waits (tests/support).
using otp_test::down_reason;
using otp_test::exit_reason_from;

/// The next `T`, or nothing after `timeout` (0: only if one is queued now).
template <class T>
std::optional<T> next(duration timeout = 5s) {
  return otp::receive([](T&& v) { return std::optional<T>(std::move(v)); },
                      otp::after(timeout, [] { return std::optional<T>(); }));
}

/// Remove every queued `T` and return them (a poll: waits for nothing).
template <class T>
std::vector<T> take_queued() {
  std::vector<T> out;
  while (auto v = next<T>(0s))
    out.push_back(std::move(*v));
  return out;
}

/// The reason of `terminate` reported by `who`, or nothing after `timeout`.
inline std::optional<otp::exit_reason> terminate_reason(const otp::pid& who,
                                                        duration timeout = 5s) {
  return otp::receive(
      otp::guard([&](const terminated& t) { return t.who == who; },
                 [](terminated&& t) {
                   return std::optional<otp::exit_reason>(t.reason);
                 }),
      otp::after(timeout, [] { return std::optional<otp::exit_reason>(); }));
}

/// Wait for `reached{what}`; false after `timeout`.
inline bool wait_reached(const std::string& what, duration timeout = 5s) {
  return otp::receive(
      otp::guard([&](const reached& r) { return r.what == what; },
                 [](reached&&) { return true; }),
      otp::after(timeout, [] { return false; }));
}

/// The status `process_info` reports for `p` ("" if it is dead).
inline std::string status_of(const otp::pid& p) {
  auto info = otp::process_info(p);
  return info ? info->status : std::string();
}

/// How many `level` reports mention `text`.
inline std::size_t count_reports(const otp_test::log_capture& logs,
                                 otp::log_level level,
                                 const std::string& text) {
  std::size_t n = 0;
  for (const auto& e : logs.events(level))
    if (e.text.find(text) != std::string::npos)
      ++n;
  return n;
}

/// `{Inner, {GenServer,call,...}}` with the expected inner reason.
inline bool is_call_failure(const otp::exit_reason& r,
                            const otp::exit_reason& inner,
                            const char* site = "{GenServer,call") {
  return r.what_kind() == otp::exit_reason::kind::wrapped && r.inner() == inner
         && r.where().find(site) != std::string::npos;
}

} // namespace gst
