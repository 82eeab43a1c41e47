#pragma once
/// \file detail/process_handle.hpp
/// What the public templates (`send`, `receive`, `call`) may know of a
/// process: an opaque control block and the few runtime entry points they
/// call. The control block itself (detail/process.hpp) stays out of users'
/// translation units and out of the installed headers.

namespace otp::detail {

struct envelope;
struct process;

/// The process running on the calling fiber, or nullptr.
process* current_process() noexcept;
/// The current process; throws `std::logic_error` naming `what` outside one.
process* require_process(const char* what);

/// Push an envelope; wakes or revives the owner as needed. Drops (and
/// destroys) it if the mailbox is closed. Callable from any thread.
void push(process* p, envelope* e) noexcept;

/// Throws the termination of the calling process if an exit signal arrived.
/// Called at every suspension point.
void check_signals(process* p);

} // namespace otp::detail
