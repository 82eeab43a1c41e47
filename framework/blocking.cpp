// A process waiting for a blocking call. It parks on its mailbox, so that
// exit signals reach it, and on the call, which wakes it when done (both
// through the same epoch: whoever comes first resumes it).
//
// An exit while the call is queued drops the call. An exit while it runs
// cannot stop the OS thread, and the call writes into this process's stack:
// the process then becomes a zombie, dead to everyone else at once
// (finish_zombie) while its fiber waits for the call to return before its
// stack may unwind and go away. If the runtime shuts down first, the call is
// orphaned and the zombie's stack is never freed.
#include "framework/blocking.hpp"

#include "framework/detail/blocking_pool.hpp"
#include "framework/detail/park.hpp"
#include "framework/detail/runtime_impl.hpp"

#include <stdexcept>

namespace otp::detail {

namespace {

struct process_job final : blocking_job {
  // `run` is never null, so the base cannot throw.
  // NOLINTNEXTLINE(bugprone-exception-escape)
  process_job(process* p, void (*f)(void*, std::stop_token) noexcept,
              void* a) noexcept
      : blocking_job(&run, &done, p),
        owner(p),
        fn(f),
        arg(a) {
    retain(owner);
  }
  ~process_job() override { release(owner); }

  static void run(blocking_job& j) noexcept {
    auto& self = static_cast<process_job&>(j);
    self.fn(self.arg, j.stop_token());
  }
  /// On the pool thread, when the call has returned.
  static void done(blocking_job& j) noexcept {
    auto& self = static_cast<process_job&>(j);
    process* p = self.owner;
    // Counted first: the process, once it sees `completed`, waits for us
    // before its stack (and its fiber) may go away.
    p->wakers.fetch_add(1, std::memory_order_seq_cst);
    self.completed.store(true, std::memory_order_seq_cst);
    wake_parked(p, self.epoch.load(std::memory_order_seq_cst));
    p->wakers.fetch_sub(1, std::memory_order_release);
  }

  process* owner;
  void (*fn)(void*, std::stop_token) noexcept;
  void* arg;
  std::atomic<bool> completed{false};
  /// The epoch the process waits with now.
  std::atomic<std::size_t> epoch{0};
};

void wait_for_wakers(process* p) noexcept {
  while (p->wakers.load(std::memory_order_acquire) != 0)
    __builtin_ia32_pause();
}

/// Park until the job completes or something arrives in the mailbox
/// (`inbox_waits`); true once the job has completed.
bool wait_once(process* p, process_job& job, bool inbox_waits) {
  if (job.completed.load(std::memory_order_acquire))
    return true;
  parker pk(p);
  job.epoch.store(pk.epoch(), std::memory_order_seq_cst);
  const std::uintptr_t word = waiting_word(pk.epoch());
  if (inbox_waits) {
    std::uintptr_t expected = 0;
    if (!p->inbox.compare_exchange_strong(expected, word,
                                          std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
      // Something arrived. The job may already have our epoch, though.
      if (!pk.withdraw())
        pk.park(std::chrono::steady_clock::time_point::max());
      return job.completed.load(std::memory_order_acquire);
    }
  }
  // `done` stores `completed` then reads the epoch; we stored the epoch
  // and read `completed`: one of us sees the other.
  if (job.completed.load(std::memory_order_seq_cst) && pk.withdraw()) {
    // Nobody can resume us now; take the waiting word back (a sender that
    // replaced it lost the epoch to us, and its message stays queued).
  } else {
    pk.park(std::chrono::steady_clock::time_point::max());
  }
  if (inbox_waits) {
    std::uintptr_t expected = word;
    p->inbox.compare_exchange_strong(expected, 0, std::memory_order_acq_rel,
                                     std::memory_order_acquire);
  }
  wait_for_wakers(p);
  return job.completed.load(std::memory_order_acquire);
}

} // namespace

void run_blocking(void (*fn)(void*, std::stop_token) noexcept, void* arg) {
  process* p = require_process("otp::blocking");
  check_signals(p);
  blocking_threads& pool = p->rt->blocking;
  const auto job = make_blocking_job<process_job>(p, fn, arg);
  if (pool.submit(job) == blocking_threads::submit_result::rejected) {
    exit_point(p);
    throw std::logic_error("otp::blocking: the runtime is shutting down");
  }
  for (;;) {
    if (wait_once(p, *job, true))
      break;
    // Woken by an arrival: handle signals (messages stay queued).
    drain_inbox(p);
    if (!p->exiting)
      continue;
    // The process must exit. A call not yet started is dropped; one that
    // runs holds our stack: die for everyone now, and wait for it.
    switch (pool.cancel(*job)) {
    case blocking_threads::cancel_result::removed:
      break; // it never ran, and never will
    case blocking_threads::cancel_result::finished:
      // `done` is on its way: let it finish with us.
      while (!job->completed.load(std::memory_order_acquire))
        __builtin_ia32_pause();
      break;
    case blocking_threads::cancel_result::running:
      finish_zombie(p);
      while (!wait_once(p, *job, false)) {
      }
      break;
    }
    break;
  }
  wait_for_wakers(p);
  check_signals(p);
}

} // namespace otp::detail
