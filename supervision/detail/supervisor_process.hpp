#pragma once
/// \file detail/supervisor_process.hpp
/// What every supervisor kind shares as a special process
/// (framework/sys_protocol.hpp): its sys hooks (the state is a
/// `supervisor_state` snapshot, never replaceable), the stop request, the
/// main loop and its suspended variant, the messages every kind handles
/// alike (system messages, the parent's EXIT, unexpected messages) and the
/// statistics counters. Used inside the supervisor process only.

#include "framework/call.hpp"
#include "framework/receive.hpp"
#include "framework/signals.hpp"
#include "framework/sys_protocol.hpp"
#include "supervision/detail/child_ops.hpp"
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

  /// Serve messages until a stop request or the parent's EXIT sets
  /// `stop_`, then `terminate_and_exit`. Never returns.
  [[noreturn]] void loop() {
    for (;;) {
      if (suspended)
        serve_suspended();
      else
        serve();
      if (stop_)
        terminate_and_exit(std::move(*stop_));
    }
  }

protected:
  /// `supervisor`, `dynamic_supervisor` or `task_supervisor`.
  virtual const char* kind() const noexcept = 0;
  /// The flags and children now.
  virtual supervisor_state snapshot() const = 0;
  /// Handle one message (not suspended), through `serve_with`.
  virtual void serve() = 0;
  /// Terminate the children, then exit with `reason`.
  [[noreturn]] virtual void terminate_and_exit(exit_reason reason) = 0;

  /// Receive one message: system messages and the parent's EXIT (which sets
  /// `stop_`) first, then `handlers` (the kind's own: its children's EXITs
  /// and DOWNs, its calls), then anything else, reported and dropped. Counts
  /// every message but system ones.
  template <class... Handlers>
  void serve_with(Handlers&&... handlers) {
    bool system = false;
    otp::receive(
        [&](system_message&& m) {
          system = true;
          on_system(m);
        },
        otp::guard(
            [&](const exit_message& m) { return parent && m.from == parent; },
            [&](exit_message&& m) { stop_ = std::move(m.reason); }),
        std::forward<Handlers>(handlers)...,
        [&](any_message&& m) { rep_.unexpected(m); });
    if (!system)
      count_in();
  }

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
  /// Who reports: the supervisor's pid and printable name.
  reporter rep_;

private:
  supervisor_state last_; ///< what `system_get_state` points to
};

} // namespace otp::detail::sup
