#pragma once
/// \file supervisor_error.hpp
/// The error reasons that supervisor calls return, as OTP spells them, so
/// callers compare instead of matching text:
/// `r.error() == otp::supervisor_error::not_found()`.
///
/// Each is an `exit_reason::user` with OTP's atom as its text. Plain values.

#include "framework/exit_reason.hpp"

namespace otp::supervisor_error {

/// `already_present`: `start_child` with the id of a stopped child.
inline exit_reason already_present() {
  return exit_reason::user("already_present");
}
/// `not_found`: no child with that id (or pid).
inline exit_reason not_found() {
  return exit_reason::user("not_found");
}
/// `running`: `restart_child` / `delete_child` of a running child.
inline exit_reason running() {
  return exit_reason::user("running");
}
/// `restarting`: `restart_child` / `delete_child` of a child whose restart
/// failed and is being retried.
inline exit_reason restarting() {
  return exit_reason::user("restarting");
}
/// `max_children`: a dynamic supervisor is full.
inline exit_reason max_children() {
  return exit_reason::user("max_children");
}
/// `dynamic_supervisor`: an id-based request (restart_child, delete_child,
/// terminate_child by id) sent to a dynamic supervisor (OTP's
/// `simple_one_for_one` error).
inline exit_reason dynamic_supervisor() {
  return exit_reason::user("dynamic_supervisor");
}

} // namespace otp::supervisor_error
