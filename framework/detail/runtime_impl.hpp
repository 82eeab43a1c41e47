#pragma once
/// \file detail/runtime_impl.hpp
/// The runtime's internals: scheduler threads (active and spare), the
/// injection queues through which other threads hand work to them, the
/// live-process list, the registry, the watchdog. Not user-facing.
///
/// Files: runtime.cpp (construction, the process table, shutdown),
/// worker.cpp (what a scheduler thread does), watchdog.cpp (long-schedule
/// reports, spare threads, retries), registry.cpp.

#include "framework/detail/blocking_pool.hpp"
#include "framework/detail/process.hpp"
#include "framework/detail/scheduler.hpp"
#include "framework/detail/spin_mutex.hpp"
#include "framework/detail/stack_pool.hpp"
#include "framework/detail/timer_service.hpp"
#include "framework/detail/unique_task.hpp"
#include "framework/runtime.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace otp::detail {

/// A fiber waiting in a worker's idle pool for its next process. It lives on
/// that fiber's own stack.
struct idle_fiber {
  boost::fibers::context* ctx;
  process* proc = nullptr;
  unique_task body;
  bool quit = false;
};

/// One scheduler thread.
struct worker {
  std::thread thread;
  worker_algo* algo = nullptr;
  boost::fibers::scheduler* sched = nullptr;
  boost::fibers::context* main_ctx = nullptr;

  // Work handed over by other threads, run by the thread's main context.
  struct request {
    process* proc;
    unique_task body;
  };
  spin_mutex inject_lock;
  std::vector<request> injected;   ///< spawns, under the lock
  process* revive_head = nullptr;  ///< hibernated processes to revive,
  process* revive_tail = nullptr;  ///< oldest first
  std::uintptr_t inject_state = 0; ///< 0 or waiting(epoch), under the lock
  bool stop = false;               ///< under the lock
  /// The thread function has returned (shutdown may join it).
  std::atomic<bool> exited{false};

  // Finished processes leave their fiber here for the next spawn on this
  // thread (owner thread only: no lock). `stopping` is set by the thread's
  // main context before it drains the pool, so no fiber parks after that.
  std::vector<idle_fiber*> idle;
  bool stopping = false;
};

class runtime_impl {
public:
  explicit runtime_impl(const runtime_options& o);
  ~runtime_impl(); // NOLINT(bugprone-exception-escape): see runtime.cpp

  /// A new control block, registered as live. Returns with two references:
  /// the live list's and the caller's.
  process* create_process(const spawn_options& opts);
  /// Start `body` as `p`'s fiber: on this thread if it is one of ours (run at
  /// once if `dispatch`), else through a scheduler thread's injection queue.
  /// `sched` is the caller's Boost.Fiber scheduler if the caller already
  /// knows it (saves a lookup), else nullptr.
  /// Throws `std::bad_alloc` if no stack can be had; `body` is then left
  /// untouched (it is moved from only on success).
  void start(process* p, unique_task&& body, bool dispatch,
             boost::fibers::scheduler* sched = nullptr);
  /// A sender won `p`'s hibernating inbox: have a scheduler thread's main
  /// context revive it (never on the sender's stack, never allocating).
  void revive(process* p) noexcept;
  /// Run processes on the calling fiber, starting with `p`, and park it in
  /// the idle pool between processes (see worker.cpp).
  void fiber_main(process* p, unique_task& body, bool poolable) noexcept;
  /// `p` has finished: drop it from the live list (releases its reference).
  void exited(process* p) noexcept;

  /// The worker whose Boost.Fiber scheduler is `s`, or nullptr.
  worker* worker_of(boost::fibers::scheduler* s) const noexcept;
  /// The live process with this serial, or the null pid.
  pid find(std::uint64_t serial) const;

  void shutdown();
  /// `shutdown()` has begun.
  bool stopping() const noexcept {
    return shut_down_.load(std::memory_order_acquire);
  }
  /// `shutdown()` had to leave processes running: the runtime's memory must
  /// outlive them (the destructor leaks it).
  bool abandoned() const noexcept { return abandoned_; }
  std::size_t live() const noexcept {
    return live_count_.load(std::memory_order_acquire);
  }
  std::vector<pid> snapshot() const;

  // -- registry (under registry_m_) --------------------------------------
  /// Throws std::invalid_argument naming the problem.
  void register_name(const std::string& name, process* p);
  void unregister_name(const std::string& name);
  pid whereis(const std::string& name) const;
  std::vector<std::string> registered() const;
  std::string name_of(const process* p) const;
  /// `name_of` for the fault handler: no allocation, and gives up (false)
  /// if the registry is locked.
  bool try_name_of(const process* p, char* out, std::size_t cap) const noexcept;
  /// `p` has ended: drop its name, if it still has one.
  void release_name(process* p) noexcept;

  const runtime_options opts;
  /// Active scheduler threads (`opts.threads`) plus spares.
  const unsigned spares;
  stack_pool* default_stacks;
  blocking_threads blocking;
  timer_service timers{*this};

private:
  void worker_main(unsigned index);
  void run_injected(worker& w);
  void handle_revival(worker& w, process* p) noexcept;
  void inject(process* p, unique_task body);
  void push_revival(worker& w, process* p) noexcept;
  void new_fiber(process* p, unique_task&& body, bool dispatch);
  worker* current_worker() const noexcept;
  /// A worker for work from outside: the next one round robin that the
  /// watchdog does not see stuck.
  worker& pick_worker() noexcept;
  void wake_main(worker& w) noexcept;
  void watchdog_loop();
  void watch();
  /// Processes still alive after shutdown gave up on them: name them.
  void report_abandoned();
  /// Blocking calls shutdown had to leave running: name their processes.
  void report_blocking(const blocking_threads::stop_report& r);

  static constexpr std::size_t idle_cap = 1024;

  scheduler_group group_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::atomic<unsigned> next_inject_{0};
  /// Per worker, set by the watchdog: runs a process that does not suspend.
  std::unique_ptr<std::atomic<bool>[]> stuck_;

  static constexpr unsigned live_shards = 16;
  struct alignas(64) live_shard {
    spin_mutex m;
    process* head = nullptr;
  };
  mutable live_shard live_[live_shards];
  std::atomic<std::size_t> live_count_{0};
  std::mutex idle_m_;
  std::condition_variable idle_cv_;
  std::atomic<bool> shut_down_{false};
  bool abandoned_ = false;
  std::mutex shutdown_m_;

  std::mutex start_m_;
  std::condition_variable start_cv_;
  unsigned start_ready_ = 0;
  bool start_go_ = false;

  /// Revivals that found no stack; the watchdog retries them.
  spin_mutex retry_lock_;
  process* retry_head_ = nullptr;
  std::atomic<bool> retry_warned_{false};

  mutable std::mutex registry_m_;
  std::unordered_map<std::string, process*> names_;
  std::unordered_map<const process*, std::string> name_of_;

  std::thread watchdog_;
  std::mutex watchdog_m_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
};

/// What a scheduler thread allocates once, done as it starts.
void warm_up_thread();
/// Run a process's code on the calling fiber (see spawn.cpp).
void run_process(process* p, unique_task& body) noexcept;
/// End `p`, which has no fiber, with its pending reason (a hibernated
/// process killed by a signal): on the calling thread's own stack.
void finish_stackless(process* p) noexcept;
/// Build what process exits need in a crisis (at runtime start).
void prepare_spawn_statics();
/// Try to give up the stack: succeeds if the mailbox is empty; a sender that
/// finds `hibernating` then revives it. After success the caller must not
/// touch `p`.
bool try_hibernate(process* p) noexcept;

} // namespace otp::detail
