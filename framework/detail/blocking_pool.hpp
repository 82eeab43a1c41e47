#pragma once
/// \file detail/blocking_pool.hpp
/// `blocking_threads`: the OS threads that run `otp::blocking(fn)` calls,
/// the runtime's counterpart of Erlang's dirty I/O schedulers and Tokio's
/// blocking pool. Not user-facing.
///
/// - It grows with demand up to `max_threads` (default 512, as Tokio):
///   threads are created lazily, and an idle thread exits after
///   `keep_alive` (default 10 s, as Tokio).
/// - A job submitted while fewer than `max_threads` jobs run gets a thread
///   at once (an idle one, or a new one), so jobs that wait for each other
///   never deadlock below the limit. At the limit, jobs queue in order.
/// - `cancel` removes a queued job (its `done` never runs) or asks a running
///   one to stop through its `std::stop_token`; `orphan` says its owner is
///   gone, so its `done` never runs.
/// - `stop(grace)` never waits for the backlog and never hangs: queued jobs
///   are dropped and handed back, running ones are asked to stop and get
///   `grace`; those still running then are orphaned, their threads
///   detached, and they are named in the report.
///
/// Concurrency contract: every member function may be called from any
/// thread, including a scheduler thread (a fiber): none suspends a fiber or
/// holds the pool's lock across user code or thread creation. `submit` and
/// `cancel` never block beyond that short lock; `orphan` may also wait for a
/// `done` that is executing at that moment (`done` must be short). `stop`
/// blocks up to `grace`, plus the time idle threads take to exit.
///
/// Lifetime: the state a pool thread uses is shared with it, so a detached
/// thread may end long after the pool object is gone and touch nothing
/// freed. Once `orphan(job)`, `stop` or the destructor has returned, no
/// `done` of an orphaned job runs or is still running. The pool keeps a
/// reference to each job while it is queued or running; `run` must touch
/// only memory that outlives it, e.g. members of a class derived from
/// `blocking_job`, which the last reference deletes.

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace otp::detail {

struct blocking_threads_core;
struct blocking_worker;
class blocking_threads;

/// Where a job is in its life. Exactly one of `finished`, `cancelled`,
/// `dropped` and `orphaned` ends it, so `done` runs at most once, and never
/// after the owner was told it would not.
enum class blocking_job_state : std::uint8_t {
  created,    ///< not submitted yet
  queued,     ///< waiting for a thread
  running,    ///< `run` is executing
  completing, ///< `run` has returned and `done` is executing
  finished,   ///< `done` has returned
  cancelled,  ///< removed by `cancel`/`orphan` before it ran: nothing runs
  dropped,    ///< removed by `stop` before it ran: nothing runs
  orphaned,   ///< given up while `run` executed: `done` never runs
};

/// One blocking call. Refcounted (intrusively, through
/// `boost::intrusive_ptr`), so the owner and the pool may both hold it;
/// create it with `make_blocking_job`. One-shot: submit it once. Derive
/// from it to keep the call's data alive as long as a pool thread may use
/// it; the last reference deletes it through the virtual destructor.
class blocking_job {
public:
  /// Runs on a pool thread. Must not throw (catch inside and store it).
  using run_fn = void (*)(blocking_job&) noexcept;
  /// Runs on the same thread right after `run` unless the job was orphaned
  /// first. Must be short and must not block (`orphan` and `stop` may wait
  /// for it); it may call `submit`/`cancel` on the pool.
  using done_fn = void (*)(blocking_job&) noexcept;

  /// `done` may be null (nothing to do). Throws std::invalid_argument if
  /// `run` is null, std::bad_alloc if the stop state cannot be allocated.
  blocking_job(run_fn run, done_fn done, void* user = nullptr)
      : run_(run),
        done_(done),
        user_(user) {
    if (run == nullptr)
      throw std::invalid_argument("blocking_job: run must not be null");
  }
  blocking_job(const blocking_job&) = delete;
  blocking_job& operator=(const blocking_job&) = delete;

  /// The pointer given at construction (the runtime: the waiting process).
  void* user() const noexcept { return user_; }
  /// For `run`: stop is requested when the owner cancels or orphans the job
  /// while it runs, and when the pool stops. Pair it with a
  /// `std::stop_callback` that interrupts the OS call (write to a pipe,
  /// poke an eventfd); the callback runs on the thread that cancels.
  std::stop_token stop_token() const noexcept { return stop_.get_token(); }
  bool stop_requested() const noexcept { return stop_.stop_requested(); }
  blocking_job_state state() const noexcept {
    return state_.load(std::memory_order_acquire);
  }

  friend void intrusive_ptr_add_ref(const blocking_job* j) noexcept {
    j->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  friend void intrusive_ptr_release(const blocking_job* j) noexcept {
    if (j->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      delete j;
  }

protected:
  /// Protected: a job lives on the heap, owned by its references.
  virtual ~blocking_job() = default;

private:
  friend struct blocking_threads_core;
  friend class blocking_threads;

  run_fn run_;
  done_fn done_;
  void* user_;
  std::stop_source stop_;
  mutable std::atomic<std::uint32_t> refs_{0};
  std::atomic<blocking_job_state> state_{blocking_job_state::created};
  /// Which thread runs it: lets `orphan`/`stop` called from its own `done`
  /// skip waiting for themselves.
  std::atomic<std::thread::id> runner_id_{};
  // The pool's, under its lock: the queue or running list, the thread.
  blocking_job* prev_ = nullptr;
  blocking_job* next_ = nullptr;
  blocking_worker* runner_ = nullptr;
  std::chrono::steady_clock::time_point started_{};
  // stop()'s own list of the jobs running when it began.
  blocking_job* stop_next_ = nullptr;
  bool stop_orphaned_ = false;
};

using blocking_job_ptr = boost::intrusive_ptr<blocking_job>;

/// A new `Job` (a `blocking_job` or a class derived from it) made from
/// `args`.
template <class Job = blocking_job, class... Args>
boost::intrusive_ptr<Job> make_blocking_job(Args&&... args) {
  static_assert(std::is_base_of_v<blocking_job, Job>,
                "make_blocking_job: Job must derive from blocking_job");
  return boost::intrusive_ptr<Job>(new Job(std::forward<Args>(args)...));
}

/// How a pool thread is created: `pthread_create`'s signature.
using create_thread_fn = int (*)(pthread_t*, const pthread_attr_t*,
                                 void* (*)(void*), void*) noexcept;

/// Options of a `blocking_threads`; the constructor rejects bad values with
/// std::invalid_argument naming the field.
struct blocking_threads_options {
  /// Most threads, so most jobs running at once: 1 to 65536.
  unsigned max_threads = 512;
  /// An idle thread exits after this long without a job; 0 = as soon as
  /// it finds no job. Must not be negative.
  std::chrono::milliseconds keep_alive{10000};
  /// Stack of each thread in bytes, rounded up to the page size: 0 (the
  /// system default, `ulimit -s`, often 8 MiB) or 64 KiB to 1 GiB. 2 MiB,
  /// as Rust's and Tokio's threads: blocking code is arbitrary C library
  /// code (getaddrinfo, compression, database clients) that needs more
  /// than a fiber's 64 KiB, and 512 threads then reserve 1 GiB of address
  /// space, of which only the touched pages cost memory.
  std::size_t stack_size = std::size_t{2} * 1024 * 1024;
  /// The threads' name in top, gdb and /proc (`pthread_setname_np`): 1 to
  /// 15 characters.
  std::string name = "otp-blocking";
  /// Fault injection for tests: replaces `pthread_create` (nullptr).
  create_thread_fn create_thread = nullptr;
};

/// A snapshot of a pool, for tests and diagnostics.
struct blocking_threads_stats {
  std::size_t threads = 0;      ///< alive, including starting and orphaned ones
  std::size_t idle = 0;         ///< waiting for a job
  std::size_t running = 0;      ///< jobs in `run` or `done`, orphaned included
  std::size_t queued = 0;       ///< jobs waiting for a thread
  std::size_t peak_threads = 0; ///< most threads alive at once
  std::uint64_t spawn_failures = 0; ///< thread creations that failed
};

/// The pool. Destroying it stops it with no grace (call `stop` first to
/// give running jobs time and to learn what was dropped or orphaned).
class blocking_threads {
public:
  enum class submit_result : std::uint8_t {
    /// A thread was available or created for it: it starts at once.
    started,
    /// `max_threads` jobs are running: it waits for one of them to end.
    queued,
    /// A thread could not be created (EAGAIN; counted in
    /// `spawn_failures`): it waits until a thread frees up or a later
    /// `submit` manages to create one.
    no_thread,
    /// Not taken, because `stop` has begun or the job was submitted or
    /// cancelled before: neither `run` nor `done` will run.
    rejected,
  };
  enum class cancel_result : std::uint8_t {
    /// It had not started (or had been removed already): neither `run`
    /// nor `done` will run.
    removed,
    /// `run` is executing: stop was requested on its token; `done` still
    /// runs when `run` returns, unless the job is orphaned first.
    running,
    /// `run` has returned: `done` has run or is running, or the job was
    /// orphaned.
    finished,
  };
  /// A job `stop` gave up on: its `done` never runs, and `run` may still
  /// be executing on a detached thread.
  struct orphaned_job {
    blocking_job_ptr job;
    void* user; ///< `job->user()`
    /// How long `run` had been executing when `stop` returned.
    std::chrono::steady_clock::duration running_for;
  };
  struct stop_report {
    /// Queued jobs, in order, that never ran: wake their owners.
    std::vector<blocking_job_ptr> dropped;
    /// Jobs `stop` orphaned because `run` was still executing when the
    /// grace ran out, and jobs their owner had orphaned that still ran.
    std::vector<orphaned_job> orphaned;
  };

  /// Creates no thread yet. Throws std::invalid_argument for bad options.
  explicit blocking_threads(const blocking_threads_options& opts = {});
  ~blocking_threads();
  blocking_threads(const blocking_threads&) = delete;
  blocking_threads& operator=(const blocking_threads&) = delete;

  /// Queue `job` (which must not be null) and make sure a thread takes it;
  /// a new thread is created outside the lock. Thread-safe and cheap.
  submit_result submit(const blocking_job_ptr& job) noexcept;

  /// Give up on `job` (submitted to this pool; the caller holds a
  /// reference), see `cancel_result`. Stop callbacks run on the calling
  /// thread.
  cancel_result cancel(blocking_job& job) noexcept;

  /// The owner of `job` is gone: its `done` will not run after this
  /// returns (if `done` is executing right now, wait for it to return). A
  /// queued job is removed, and a running one is also asked to stop. True
  /// if this call orphaned a job whose `run` was executing.
  bool orphan(blocking_job& job) noexcept;

  /// Shut down (idempotent; a second, concurrent call returns at once with
  /// an empty report): refuse new jobs, drop the queued ones, request stop
  /// on the running ones and wait up to `grace` (saturating; negative =
  /// 0) for them. Those still running are orphaned and their threads
  /// detached; idle threads exit and are joined. Never hangs on a job.
  /// Throws std::bad_alloc only if the report cannot be allocated; the pool
  /// is stopped anyway.
  stop_report stop(std::chrono::steady_clock::duration grace);

  /// `stop` has begun.
  bool stopped() const noexcept;
  blocking_threads_stats stats() const noexcept;
  const blocking_threads_options& options() const noexcept;

private:
  std::shared_ptr<blocking_threads_core> core_;
};

} // namespace otp::detail
