#pragma once
/// \file gen_server_core.hpp
/// The non-template half of a GenServer: its receive loop, termination and
/// crash report, and the protocol messages (call, cast) that clients
/// put in its mailbox. `gen_server.hpp` is the user-facing half.
///
/// System messages (sys, stop) are the framework's (sys_protocol.hpp): the
/// core is a `special_process` and hands them to `handle_system_message`.
///
/// Owned by the server process: nothing here may be touched from another
/// process. Clients only build protocol envelopes (`gen_ops`) and push them.

#include "behaviours/server_action.hpp"
#include "framework/call.hpp"
#include "framework/message.hpp"
#include "framework/pid.hpp"
#include "framework/start.hpp"
#include "framework/sys_protocol.hpp"

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <typeinfo>

namespace otp::detail {

class gen_server_core;

/// What dispatching one message decided.
struct gen_step {
  bool stop = false;
  /// `terminate` already ran (`stop(reason, reply)`).
  bool terminated = false;
  exit_reason reason;
  server_action action;
};

enum class gen_op : std::uint8_t { call, cast };

/// How a GenServer handles one of its protocol messages; pointed to by the
/// envelope's `type_desc::ext`.
struct gen_ops {
  gen_op op;
  /// The server class the message was typed for; null: any GenServer.
  const std::type_info* server;
  gen_step (*invoke)(gen_server_core& core, envelope* e);
  /// The caller of a call (for crash reports); null for casts.
  const from* (*caller)(const envelope* e);
};

/// The loop and state every GenServer shares (`special_process` holds the
/// parent, the name, the suspension and the counters).
class gen_server_core : public special_process {
public:
  ~gen_server_core() override;

  // -- hooks of the typed server ------------------------------------------
  /// The user's server object.
  virtual void* server() noexcept = 0;
  virtual const std::type_info& server_type() const noexcept = 0;
  /// `handle_info` (logs and ignores a message nobody handles).
  virtual cast_result handle_info(any_message& m) = 0;
  /// The user's `terminate`, if any.
  virtual void call_terminate(const exit_reason& r) = 0;
  /// `format_status`: the state as shown in reports and `get_status`.
  virtual std::string format_status() = 0;

  // -- special_process ----------------------------------------------------
  const char* system_module() const noexcept override { return "GenServer"; }
  std::string system_type() const override;
  std::string system_format_status() override { return format_status(); }
  /// The server object, replaceable.
  system_state system_get_state() override;

  // -- loop ---------------------------------------------------------------
  /// Serve messages until idle, then hibernate (the continuation owns the
  /// server), or until the server stops (exit_error unwinds from here).
  static void run(std::unique_ptr<gen_server_core> self);
  /// Apply a callback's action to the loop.
  void apply(server_action& a);
  /// Turn a `cast_result` into a step.
  static gen_step step_of(cast_result& r);
  /// Run `terminate(reason)` now; returns the final reason (an exception
  /// in terminate replaces it).
  exit_reason terminate_now(exit_reason reason) noexcept;

  // -- state --------------------------------------------------------------
  std::chrono::milliseconds hibernate_after{0};

private:
  /// `e` is an EXIT from the parent.
  bool from_parent(const envelope* e) const noexcept;
  envelope* next_message();
  void dispatch(envelope* e);
  [[noreturn]] void finish(gen_step& st, const envelope* last);
  void report(const exit_reason& reason, const envelope* last);
  gen_step run_continue();

  std::unique_ptr<server_action::continuation> continue_;
  std::chrono::steady_clock::time_point deadline_;
  bool timeout_armed_ = false;
  bool hibernate_now_ = false;
};

/// `init` failed with `why` (raised, `stop(why)` or a bad return): log a
/// crash report unless `why` is silent (as proc_lib does), then report the
/// error to the starter and exit with `why`. `terminate` is not called.
[[noreturn]] void init_failed(starter& st, const std::type_info& server,
                              exit_reason why);

} // namespace otp::detail
