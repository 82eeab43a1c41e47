#pragma once
/// \file signals.hpp
/// Links, monitors, exit signals, `trap_exit` and aliases, with Erlang's
/// semantics (docs/semantics.md items 1-16, 21).
///
/// Signals travel in the same per-pair FIFO as messages: a message sent just
/// before a process dies arrives before that process's EXIT or DOWN. A
/// signal takes effect when the receiver handles its mailbox (at its next
/// suspension point: receive, yield, sleep, the end of a `blocking` call).
///
/// Exit signals (`exit(pid, reason)` and those of linked processes):
/// - `kill` sent with `exit(pid, kill)` cannot be trapped: the target dies
///   with `killed` (links and monitors then see `killed`).
/// - A trapping process (`trap_exit(true)`) receives every other exit signal
///   as an `exit_message`, `normal` included.
/// - Otherwise `normal` is ignored (except `exit(self(), normal)`, which
///   ends the caller), and any other reason ends the process with that
///   reason, unwinding its stack. A linked process that ended with `kill`
///   passes `kill` on as an ordinary, trappable reason.
///
/// Killed processes unwind at their next suspension point; a `catch (...)`
/// that swallows the unwinding does not save the process: the next
/// suspension point unwinds again (the third time it is swallowed, the
/// process ends there without further unwinding), and a normal return still
/// ends it with the pending reason.
///
/// Must be called from a process (std::logic_error otherwise).

#include "framework/exit_reason.hpp"
#include "framework/pid.hpp"
#include "framework/ref.hpp"
#include "framework/spawn.hpp"

#include <iosfwd>
#include <string>

namespace otp {

/// `{'EXIT', From, Reason}`: an exit signal received by a trapping process.
struct exit_message {
  pid from;
  exit_reason reason;
  friend std::ostream& operator<<(std::ostream& os, const exit_message& m);
};

/// `{'DOWN', Ref, process, Who, Reason}`: a monitored process ended (or never
/// existed: reason `noproc`). For a monitor on a name that was not
/// registered, `who` is null and `name` holds the name.
struct down_message {
  ref monitor;
  pid who;
  std::string name;
  exit_reason reason;
  friend std::ostream& operator<<(std::ostream& os, const down_message& m);
};

/// Link the caller and `p`: when one ends, the other gets an exit signal
/// with its reason. Links are a set (linking twice is one link); linking to
/// self does nothing. If `p` is already dead, a trapping caller receives
/// `exit_message{p, noproc}` and a non-trapping caller throws
/// `exit_error(noproc)`.
void link(const pid& p);

/// Remove the link with `p`, if any. Once it returns, that link has no
/// further effect on the caller; an `exit_message` already delivered stays.
void unlink(const pid& p);

/// Monitor `p`: when it ends, the caller receives one `down_message` with
/// the returned ref. Monitoring a dead pid delivers DOWN `noproc` at once.
/// Each call makes a new, independent monitor.
ref monitor(const pid& p);

/// Monitor the process registered as `name` (DOWN `noproc` at once if none).
ref monitor(const std::string& name);

/// Options of `demonitor`.
struct demonitor_options {
  /// Also remove a `down_message` for this monitor already in the mailbox.
  bool flush = false;
};

/// Turn off the monitor `r`. Once it returns no DOWN for `r` will be
/// delivered. Returns true if the monitor was still active (Erlang's `info`
/// option), false if its DOWN had already arrived or it was removed before.
bool demonitor(const ref& r, demonitor_options opts = {});

/// Send an exit signal with `reason` to `p` (Erlang's `exit/2`); see the file
/// comment. Sending to a dead pid does nothing.
void exit(const pid& p, exit_reason reason);

/// End the calling process with `reason` (Erlang's `exit/1`). Links see
/// `reason` as it is (also `kill`).
[[noreturn]] void exit(exit_reason reason);

/// Set whether the caller traps exits; returns the previous setting.
bool trap_exit(bool on);
/// Whether the caller traps exits.
bool trapping_exits();

/// `spawn_link`: spawn and link in one step; the child cannot end before
/// the link exists.
template <class F, class... A>
pid spawn_link(F&& fn, A&&... args);

/// A pid and the monitor watching it.
struct spawned {
  otp::pid pid;
  ref monitor;
};

/// `spawn_monitor`: spawn and monitor in one step.
template <class F, class... A>
spawned spawn_monitor(F&& fn, A&&... args);

// -- aliases (docs/semantics.md item 21) -------------------------------------

/// An address of the calling process that can be turned off: messages sent
/// to an inactive alias are silently dropped. A late reply to a call that
/// timed out is discarded this way.
struct alias_ref {
  otp::pid pid;
  ref id;
};

/// Make a new active alias of the caller.
alias_ref alias();
/// Deactivate an alias of the caller; returns false if it was not active.
bool unalias(const alias_ref& a);

namespace detail {
void send_alias(const alias_ref& a, envelope* e) noexcept;
pid spawn_linked(runtime_impl* rt, unique_task body, bool link, ref* mon);
} // namespace detail

/// Send `msg` to the process behind `a`, if the alias is still active.
template <class M>
void send(const alias_ref& a, M&& msg) {
  using T = message_type_t<M>;
  static_assert(message<T>, "otp::send: the message type shares mutable "
                            "state; send owning values");
  detail::send_alias(a, detail::make_envelope<T>(std::forward<M>(msg)));
}

template <class F, class... A>
pid spawn_link(F&& fn, A&&... args) {
  return detail::spawn_linked(
      nullptr, detail::make_body(std::forward<F>(fn), std::forward<A>(args)...),
      true, nullptr);
}

template <class F, class... A>
spawned spawn_monitor(F&& fn, A&&... args) {
  spawned s;
  s.pid = detail::spawn_linked(
      nullptr, detail::make_body(std::forward<F>(fn), std::forward<A>(args)...),
      false, &s.monitor);
  return s;
}

} // namespace otp
