#pragma once
/// \file waits.hpp
/// Receive patterns every suite repeats: wait for the DOWN of one monitor,
/// or for the EXIT of one linked process. Call from inside a process.

#include "framework/otp.hpp"

#include <chrono>
#include <optional>

namespace otp_test {

/// The reason of the DOWN for monitor `r`, or nothing after `timeout`.
inline std::optional<otp::exit_reason> down_reason(
    const otp::ref& r,
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(5)) {
  return otp::receive(
      otp::guard([&](const otp::down_message& d) { return d.monitor == r; },
                 [](otp::down_message&& d) {
                   return std::optional<otp::exit_reason>(d.reason);
                 }),
      otp::after(timeout, [] { return std::optional<otp::exit_reason>(); }));
}

/// The reason of the next `exit_message` from `from`, or nothing after
/// `timeout`.
inline std::optional<otp::exit_reason> exit_reason_from(
    const otp::pid& from,
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(5)) {
  return otp::receive(
      otp::guard([&](const otp::exit_message& m) { return m.from == from; },
                 [](otp::exit_message&& m) {
                   return std::optional<otp::exit_reason>(m.reason);
                 }),
      otp::after(timeout, [] { return std::optional<otp::exit_reason>(); }));
}

} // namespace otp_test
