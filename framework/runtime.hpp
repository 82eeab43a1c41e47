#pragma once
/// \file runtime.hpp
/// `otp::runtime`: the scheduler threads, the blocking pool and every process
/// (RAII).
///
/// ```cpp
/// int main() {
///   otp::runtime rt;                 // one scheduler thread per core
///   rt.run([] {                      // main's code, as a process
///     otp::pid me = otp::self();
///     otp::spawn([me] { otp::send(me, std::string("hi")); });
///     std::cout << otp::receive_as<std::string>() << "\n";
///   });
/// }                                  // ~runtime: shutdown()
/// ```
///
/// Processes are Boost.Fiber fibers. A process woken by another process goes
/// to the waker's thread's queue, otherwise to the queue of the thread it
/// last ran on; an idle thread steals from a busy one, spins briefly, then
/// sleeps. Partners that talk stay on one thread.
///
/// Stacks. Each process has its own stack (`stack_size` usable bytes) with a
/// guard page and an 8 KiB reserve below it. A process that overflows ends
/// alone with `stack_overflow` (links, monitors and supervisors see it as any
/// exit); see the README's "Faults and limits" for what ends the program
/// instead, and for kernels without `MADV_GUARD_INSTALL`.
///
/// Starvation. A process that never suspends holds its thread; the other
/// threads take over its queue, its timers and its parked processes' wake-ups
/// within about a millisecond, and when every thread is held, spare threads
/// stand in (`spare_threads`) after 10 ms. Nothing preempts the process
/// itself.
///
/// Shutdown. `shutdown()` sends `shutdown` to every process, waits up to
/// `shutdown_timeout`, kills the rest, waits 1 s more, and abandons (names
/// in a warning, leaves running) what still runs. Calls in `blocking()` of
/// processes it ended get what is left of `shutdown_timeout` to return, so
/// their processes' destructors run.
///
/// Thread safety: every member may be called from any thread, including from
/// processes of this runtime, except `shutdown` and the destructor, which
/// must not be called from one of its own processes.

#include "framework/exit_reason.hpp"
#include "framework/pid.hpp"
#include "framework/spawn.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace otp {

/// How a runtime is built.
struct runtime_options {
  /// Scheduler threads; 0 = `std::thread::hardware_concurrency()`.
  unsigned threads = 0;
  /// Usable stack of a process, in bytes (at least 16 KiB). It is virtual
  /// memory: a process that stays shallow commits one page. Below it sit a
  /// guard page and an 8 KiB overflow reserve (see "Stacks" above), so an
  /// overflow ends only the overflowing process, with `stack_overflow`.
  std::size_t stack_size = std::size_t{64} * 1024;
  /// Extra scheduler threads that stand in while processes that never
  /// suspend hold scheduler threads (see "Starvation" above); nullopt =
  /// as many as `threads`, 0 = none.
  std::optional<unsigned> spare_threads{};
  /// Most threads the blocking pool grows to for `blocking(fn)`; 0 = 512.
  unsigned blocking_threads = 0;
  /// A blocking-pool thread idle this long exits.
  std::chrono::milliseconds blocking_keep_alive{10000};
  /// How long an idle scheduler thread spins before it sleeps.
  std::chrono::microseconds idle_spin{50};
  /// Warn (log_level::warning, naming the pid) when a process runs this long
  /// without suspending, again each time that time doubles, and once more
  /// when it suspends (BEAM's long_schedule monitor). 0 turns it off.
  std::chrono::milliseconds long_schedule{500};
  /// How long `shutdown()` waits for processes to end after sending them
  /// `shutdown`; then it kills what is left and waits 1 s more. A process
  /// still running after that is abandoned, and a warning names it.
  std::chrono::milliseconds shutdown_timeout{5000};
  /// Record where each exception thrown in a process was thrown (Erlang's
  /// stack trace): a process that ends by an exception carries the
  /// throwing stack in its reason (`exit_reason::stack_trace()`), and its
  /// crash report (a GenServer's too) prints it, with file and line where
  /// the program has debug information. A throw then costs about a
  /// microsecond more; off, a load. A rethrow keeps the first throw's
  /// stack.
  bool exception_traces = false;
};

/// The process runtime.
class runtime {
public:
  /// Start the scheduler threads with default options.
  runtime();
  /// Start with `opts`; throws `std::invalid_argument` naming a bad option.
  explicit runtime(runtime_options opts);
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;
  /// `shutdown()`. From one of its own processes (which cannot wait for the
  /// others) it logs an error and leaves the runtime running, leaked.
  ~runtime();

  /// Start a process running `fn(args...)` (see spawn.hpp).
  template <class F, class... A>
  pid spawn(F&& fn, A&&... args) {
    return detail::spawn_task(
        impl_.get(), spawn_options{},
        detail::make_body(std::forward<F>(fn), std::forward<A>(args)...));
  }
  /// `spawn` with options.
  template <class F, class... A>
  pid spawn_opt(const spawn_options& opts, F&& fn, A&&... args) {
    return detail::spawn_task(
        impl_.get(), opts,
        detail::make_body(std::forward<F>(fn), std::forward<A>(args)...));
  }

  /// Run `fn` as a process (so it may use `self`, `send`, `receive`) and
  /// block the calling thread until that process exits. Returns its exit
  /// reason: `normal`, or the exception that escaped `fn`.
  template <class F>
  exit_reason run(F&& fn) {
    return run_task(detail::make_body(std::forward<F>(fn)));
  }

  /// Terminate every process (reason `shutdown`; each unwinds at its next
  /// suspension point), wait for them, stop the threads. Idempotent.
  /// Returns within `shutdown_timeout` + 1 s: what still runs then (a
  /// process that never suspends) is named in a warning and left running,
  /// with the runtime's memory. Throws `std::logic_error` from one of this
  /// runtime's processes.
  void shutdown();

  /// Processes alive now.
  std::size_t process_count() const noexcept;
  /// The pids of all processes alive now (a snapshot).
  std::vector<pid> processes() const;
  /// Scheduler threads.
  unsigned threads() const noexcept;
  /// The process registered as `name` in this runtime, or the null pid.
  pid whereis(const std::string& name) const;
  /// Pending timers.
  std::size_t timer_count() const;
  const runtime_options& options() const noexcept;

  /// Internal.
  detail::runtime_impl* impl() const noexcept { return impl_.get(); }

private:
  exit_reason run_task(detail::unique_task body);
  std::unique_ptr<detail::runtime_impl> impl_;
};

} // namespace otp
