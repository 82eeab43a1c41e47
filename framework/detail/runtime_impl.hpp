#pragma once
/// \file detail/runtime_impl.hpp
/// The runtime's internals: scheduler threads, the injection queues through
/// which other threads hand work to them, the live-process list, the
/// blocking pool. Not user-facing.

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
  std::vector<request> injected;
  std::uintptr_t inject_state = 0; ///< 0 or waiting(epoch), under the lock
  bool stop = false;               ///< under the lock

  // Finished processes leave their fiber here for the next spawn on this
  // thread (owner thread only: no lock). `stopping` is set by the thread's
  // main context before it drains the pool, so no fiber parks after that.
  std::vector<idle_fiber*> idle;
  bool stopping = false;
};

/// Threads that run `blocking(fn)` calls.
class blocking_pool {
public:
  struct job {
    void (*fn)(void*) noexcept;
    void* arg;
    boost::fibers::context* ctx;
    std::size_t epoch;
  };
  void start(unsigned threads);
  void submit(const job& j);
  void stop();

private:
  void loop();
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<job> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

class runtime_impl {
public:
  explicit runtime_impl(const runtime_options& o);
  ~runtime_impl();

  /// A new control block, registered as live. Returns with two references:
  /// the live list's and the caller's.
  process* create_process(const spawn_options& opts);
  /// Start `body` as `p`'s fiber: on this thread if it is one of ours (run at
  /// once if `dispatch`), else through a scheduler thread's injection queue.
  /// `sched` is the caller's Boost.Fiber scheduler if the caller already
  /// knows it (saves a thread-local lookup), else nullptr.
  void start(process* p, unique_task body, bool dispatch,
             boost::fibers::scheduler* sched = nullptr);
  /// Run processes on the calling fiber, starting with `p`, and park it in
  /// the idle pool between processes (see spawn.cpp).
  void fiber_main(process* p, unique_task& body, bool poolable) noexcept;
  /// `p` has finished: drop it from the live list (releases its reference).
  void exited(process* p) noexcept;

  /// The worker whose Boost.Fiber scheduler is `s`, or nullptr.
  worker* worker_of(boost::fibers::scheduler* s) const noexcept;
  /// The live process with this serial, or the null pid.
  pid find(std::uint64_t serial) const;

  void shutdown();
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
  /// `p` has ended: drop its name, if it still has one.
  void release_name(process* p) noexcept;

  const runtime_options opts;
  stack_pool* default_stacks;
  blocking_pool blocking;
  timer_service timers{*this};

private:
  void worker_main(unsigned index);
  void inject(process* p, unique_task body);
  void new_fiber(process* p, unique_task body, bool dispatch);
  worker* current_worker() const noexcept;

  static constexpr std::size_t idle_cap = 1024;

  scheduler_group group_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::atomic<unsigned> next_inject_{0};

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
  std::mutex shutdown_m_;

  std::mutex start_m_;
  std::condition_variable start_cv_;
  unsigned start_ready_ = 0;
  bool start_go_ = false;

  mutable std::mutex registry_m_;
  std::unordered_map<std::string, process*> names_;
  std::unordered_map<const process*, std::string> name_of_;

  void watchdog_loop();
  std::thread watchdog_;
  std::mutex watchdog_m_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
};

/// Run a process's code on the calling fiber (see spawn.cpp).
void run_process(process* p, unique_task& body) noexcept;

} // namespace otp::detail
