#pragma once
/// \file detail/supervisor_process.hpp
/// What every supervisor kind shares as a special process
/// (framework/sys_protocol.hpp): its sys hooks (the state is a
/// `supervisor_state` snapshot, never replaceable), the stop request, the
/// suspended loop and the statistics counters. Used inside the supervisor
/// process only.

#include "framework/call.hpp"
#include "framework/sys_protocol.hpp"
#include "supervision/supervisor_state.hpp"

#include <optional>
#include <string>
#include <utility>

namespace otp::detail::sup {

class supervisor_process : public special_process {
public:
  // -- special_process ------------------------------------------------------
  const char* system_module() const noexcept override { return "supervisor"; }
  std::string system_type() const override;
  std::string system_format_status() override;
  system_state system_get_state() override;

protected:
  /// `supervisor`, `dynamic_supervisor` or `task_supervisor`.
  virtual const char* kind() const noexcept = 0;
  /// The flags and children now.
  virtual supervisor_state snapshot() const = 0;

  /// Handle a system message; a stop request sets `stop_`.
  void on_system(system_message& m);
  /// While suspended: wait for one system message, or the parent's EXIT
  /// (which sets `stop_`), and handle it; children's EXITs and requests
  /// stay queued (OTP's `sys:suspend_loop`).
  void serve_suspended();
  /// Count one message of the supervisor's own (not a system message).
  void count_in() noexcept {
    ++counters.messages_in;
    ++counters.callbacks;
  }
  /// Answer a call, counting it.
  template <class R>
  void answer(const from& f, R&& value) {
    otp::reply(f, std::forward<R>(value));
    ++counters.messages_out;
  }

  /// Set when the supervisor is to end (the loop terminates the children,
  /// then exits with it).
  std::optional<exit_reason> stop_;

private:
  supervisor_state last_; ///< what `system_get_state` points to
};

} // namespace otp::detail::sup
