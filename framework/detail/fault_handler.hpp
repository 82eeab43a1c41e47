#pragma once
/// \file detail/fault_handler.hpp
/// Stack overflow containment: the SIGSEGV handler and the alternate signal
/// stacks of the scheduler threads.
///
/// A fault in a stack's reserve or hard guard (stack_pool.hpp) is a stack
/// overflow of the process running on that thread:
/// - the first fault in the reserve opens that page, marks the process
///   overflowed and lets it go on: whatever it was doing (a call into libc
///   holding a lock, say) can finish, and the process ends with
///   `stack_overflow` at its next suspension point, unwinding normally;
/// - a further fault in the reserve, or one in the hard guard, ends it at
///   once: the handler makes the thread resume at the process's landing
///   (landing.hpp), dropping the frames in between;
/// - where that is unsafe (the fault is in the C or C++ runtime, the dynamic
///   loader or the unwinder, which may hold locks other threads need), a
///   reserve page is opened instead while any is left; at the hard guard the
///   handler writes a report naming the process and ends the program.
/// Any other SIGSEGV goes to the handler installed before ours (or the
/// default action).

namespace otp::detail {

/// Install the handler (once per program; later calls do nothing).
void install_fault_handler() noexcept;

/// Gives the calling thread an alternate signal stack for as long as it
/// lives (the handler cannot run on the stack that overflowed).
class alt_signal_stack {
public:
  alt_signal_stack() noexcept;
  ~alt_signal_stack();
  alt_signal_stack(const alt_signal_stack&) = delete;
  alt_signal_stack& operator=(const alt_signal_stack&) = delete;

private:
  void* mem_ = nullptr;
  unsigned long bytes_ = 0;
};

} // namespace otp::detail
