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
/// Processes are Boost.Fiber fibers. A process that becomes ready goes to the
/// queue of the thread it last ran on; an idle thread steals from a busy one,
/// spins briefly, then sleeps. Partners that talk stay on one thread.
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
#include <string>
#include <vector>

namespace otp {

/// How a runtime is built.
struct runtime_options {
  /// Scheduler threads; 0 = `std::thread::hardware_concurrency()`.
  unsigned threads = 0;
  /// Default process stack, in bytes. It is virtual memory: a process that
  /// stays shallow commits one page. Stacks have no guard page (a million
  /// guard pages would exceed `vm.max_map_count`), so size it for the
  /// deepest code your processes run.
  std::size_t stack_size = 64 * 1024;
  /// Threads for `blocking(fn)`; 0 = max(4, threads).
  unsigned blocking_threads = 0;
  /// How long an idle scheduler thread spins before it sleeps.
  std::chrono::microseconds idle_spin{50};
  /// Warn (log_level::warning, naming the pid) when a process runs this long
  /// without suspending: it holds its scheduler thread, and nothing can stop
  /// it until it suspends (BEAM's long_schedule monitor). 0 turns it off.
  std::chrono::milliseconds long_schedule{500};
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
  /// `shutdown()`.
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
  /// suspension point), wait for them, stop the threads. Idempotent. A
  /// process that never suspends again cannot be stopped and makes shutdown
  /// wait for it.
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
