#pragma once
/// \file detail/landing.hpp
/// Ending a process without unwinding its stack, and the C++ exception state
/// that travels with a fiber.
///
/// - A `landing` sits in the frame of `run_process` (spawn.cpp), just above
///   the process's own code. `abandon(p)` jumps back to it: every frame in
///   between is dropped without running destructors (what they own on the
///   heap leaks). The runtime does this only when unwinding is impossible or
///   was defeated: a stack overflow (no stack left to unwind on), an exit
///   that the process's code swallowed and then suspended anyway, a kill
///   that arrives while a destructor waits.
/// - The C++ runtime keeps the exceptions being handled or thrown per OS
///   thread (`std::uncaught_exceptions`, `std::current_exception`). A fiber
///   that suspends inside a `catch` block, or while unwinding, takes that
///   state with it (`eh_take` before it suspends, `eh_put` after it resumes,
///   possibly on another thread), so no other fiber sees it.
///
/// Owner side only; `abandon` is also reached from the fault handler, on the
/// process's own thread.

#include "framework/detail/stack_pool.hpp"
#include "framework/detail/unique_task.hpp"

#include <atomic>

namespace otp::detail {

struct process;

/// Where an abandoned process lands, and what its fiber's stack looks like.
struct landing {
  /// `__builtin_setjmp` buffer.
  void* jmp[5] = {};
  /// The stack this fiber runs on.
  stack_slot slot;
  /// `run_landed` is on the stack: `abandon` may jump.
  bool armed = false;
  /// The fault handler opened reserve pages (they are closed again when the
  /// process has ended).
  std::atomic<bool> reserve_opened{false};
};

/// Run `task` with `l` as the landing for `p`: true if it returned (or
/// threw: the exception propagates), false if the process was abandoned.
bool run_landed(process* p, landing& l, unique_task& task);

/// Jump to `p`'s landing, from `p`'s own fiber. Outside `run_landed` there
/// are no frames of the process's code to drop, and it throws `exit_unwind`
/// instead.
[[noreturn]] void abandon(process* p);

/// The calling thread's C++ exception state.
struct eh_state {
  void* caught = nullptr;
  unsigned uncaught = 0;
  bool empty() const noexcept { return caught == nullptr && uncaught == 0; }
};

/// Take the thread's exception state, leaving it empty (before a fiber
/// suspends).
eh_state eh_take() noexcept;
/// Give a resumed fiber its exception state back.
void eh_put(const eh_state& s) noexcept;

} // namespace otp::detail
