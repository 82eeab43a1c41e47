#include "framework/runtime.hpp"

#include "framework/detail/fault_handler.hpp"
#include "framework/detail/park.hpp"
#include "framework/detail/runtime_impl.hpp"
#include "framework/log.hpp"

#include <boost/fiber/all.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace otp {

namespace detail {

namespace {
// Pid serials are unique in the whole program, so pids of two runtimes never
// compare equal.
std::atomic<std::uint64_t> next_serial{1};

constexpr std::size_t min_stack_size = std::size_t{16} * 1024;
constexpr unsigned default_blocking_threads = 512;

void validate(const runtime_options& o) {
  if (o.threads > 1024)
    throw std::invalid_argument(
        "runtime_options::threads must be at most 1024 (got "
        + std::to_string(o.threads) + ")");
  if (o.spare_threads && *o.spare_threads > 1024)
    throw std::invalid_argument(
        "runtime_options::spare_threads must be at most 1024 (got "
        + std::to_string(*o.spare_threads) + ")");
  if (o.stack_size < min_stack_size)
    throw std::invalid_argument(
        "runtime_options::stack_size must be at least 16384 bytes (got "
        + std::to_string(o.stack_size) + ")");
  if (o.stack_size > (std::size_t{1} << 30))
    throw std::invalid_argument(
        "runtime_options::stack_size must be at most 1 GiB (got "
        + std::to_string(o.stack_size) + ")");
  if (o.blocking_threads > 65536)
    throw std::invalid_argument(
        "runtime_options::blocking_threads must be at most 65536 (got "
        + std::to_string(o.blocking_threads) + ")");
  if (o.blocking_keep_alive.count() < 0)
    throw std::invalid_argument(
        "runtime_options::blocking_keep_alive must not be negative");
  if (o.long_schedule.count() < 0)
    throw std::invalid_argument("runtime_options::long_schedule must not be "
                                "negative (0 turns the warning off)");
  if (o.idle_spin.count() < 0)
    throw std::invalid_argument("runtime_options::idle_spin must not be "
                                "negative");
  if (o.shutdown_timeout.count() < 0)
    throw std::invalid_argument(
        "runtime_options::shutdown_timeout must not be negative");
}

/// What an abandoned runtime leaves allocated stays reachable from here:
/// code still running in it may use it, and leak checkers should not flag it.
void keep_forever(const void* p) {
  static auto* kept = new std::vector<const void*>;
  static auto* m = new std::mutex;
  std::lock_guard<std::mutex> lk(*m);
  kept->push_back(p);
}

runtime_options normalized(runtime_options o) {
  validate(o);
  if (o.threads == 0)
    o.threads = std::max(1u, std::thread::hardware_concurrency());
  if (!o.spare_threads)
    o.spare_threads = o.threads;
  if (o.blocking_threads == 0)
    o.blocking_threads = default_blocking_threads;
  return o;
}
} // namespace

// -- runtime_impl -------------------------------------------------------------

runtime_impl::runtime_impl(const runtime_options& o)
    : opts(normalized(o)),
      spares(*opts.spare_threads),
      default_stacks(&stack_pool::for_size(opts.stack_size)),
      blocking({.max_threads = opts.blocking_threads,
                .keep_alive = opts.blocking_keep_alive}) {
  install_fault_handler();
  reserve_signals();
  prepare_spawn_statics();
  const unsigned n = opts.threads + spares;
  group_.spin = opts.idle_spin;
  // A thread that made no pick for this long with a process queued is
  // stuck behind a long-running one. Lower, and two partners that talk
  // get split across threads whenever one pauses briefly.
  group_.stuck_after = std::chrono::milliseconds(1);
  group_.algos.assign(n, nullptr);
  group_.keep.resize(n);
  stuck_ = std::make_unique<std::atomic<bool>[]>(n);
  for (unsigned i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<worker>());
    // fiber_main pushes here without allocating (it cannot fail).
    workers_.back()->idle.reserve(idle_cap);
  }
  for (unsigned i = 0; i < n; ++i) {
    workers_[i]->thread = std::thread([this, i] {
      worker& w = *workers_[i];
      // The fault handler runs here when a process overflows its stack.
      alt_signal_stack alt;
      boost::fibers::use_scheduling_algorithm<worker_algo>(group_, i,
                                                           i < opts.threads);
      w.algo = group_.algos[i];
      group_.keep[i] = w.algo;
      w.main_ctx = boost::fibers::context::active();
      w.sched = w.main_ctx->get_scheduler();
      w.algo->set_scheduler(w.sched);
      warm_up_thread();
      {
        // No thread runs a fiber before all have registered (stealing reads
        // every thread's algorithm).
        std::unique_lock<std::mutex> lk(start_m_);
        ++start_ready_;
        start_cv_.notify_all();
        start_cv_.wait(lk, [&] { return start_go_; });
      }
      worker_main(i);
      w.exited.store(true, std::memory_order_release);
    });
  }
  {
    std::unique_lock<std::mutex> lk(start_m_);
    start_cv_.wait(lk, [&] { return start_ready_ == n; });
    start_go_ = true;
  }
  start_cv_.notify_all();
  timers.start();
  watchdog_ = std::thread([this] { watchdog_loop(); });
  if (opts.exception_traces)
    count_tracing_runtime(true);
}

// shutdown() throws only when called from one of the runtime's processes,
// and ~runtime has already called it (and kept the runtime alive) by then.
// NOLINTNEXTLINE(bugprone-exception-escape)
runtime_impl::~runtime_impl() {
  shutdown();
  if (opts.exception_traces)
    count_tracing_runtime(false);
}

process* runtime_impl::create_process(const spawn_options& o) {
  stack_pool* stacks = default_stacks;
  if (o.stack_size != 0) {
    if (o.stack_size < min_stack_size || o.stack_size > (std::size_t{1} << 30))
      throw std::invalid_argument(
          "spawn_options::stack_size must be 0 (default) or between 16384 "
          "bytes and 1 GiB (got "
          + std::to_string(o.stack_size) + ")");
    stacks = &stack_pool::for_size(o.stack_size);
  }
  auto* p =
      new process(this, next_serial.fetch_add(1, std::memory_order_relaxed));
  p->refs.store(2, std::memory_order_relaxed);
  p->stacks = stacks;
  live_shard& sh = live_[p->serial % live_shards];
  {
    std::lock_guard<spin_mutex> lk(sh.m);
    p->live_next = sh.head;
    if (sh.head != nullptr)
      sh.head->live_prev = p;
    sh.head = p;
  }
  live_count_.fetch_add(1, std::memory_order_acq_rel);
  if (shut_down_.load(std::memory_order_acquire))
    send_exit(p, pid(), exit_reason::shutdown(), exit_flavour::runtime);
  return p;
}

void runtime_impl::exited(process* p) noexcept {
  live_shard& sh = live_[p->serial % live_shards];
  {
    std::lock_guard<spin_mutex> lk(sh.m);
    if (p->live_prev != nullptr)
      p->live_prev->live_next = p->live_next;
    else
      sh.head = p->live_next;
    if (p->live_next != nullptr)
      p->live_next->live_prev = p->live_prev;
    p->live_prev = p->live_next = nullptr;
  }
  if (live_count_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard<std::mutex> lk(idle_m_);
    idle_cv_.notify_all();
  }
  release(p);
}

pid runtime_impl::find(std::uint64_t serial) const {
  live_shard& sh = live_[serial % live_shards];
  std::lock_guard<spin_mutex> lk(sh.m);
  for (process* p = sh.head; p != nullptr; p = p->live_next) {
    if (p->serial == serial) {
      retain(p);
      return pid::adopt(p, p->serial);
    }
  }
  return {};
}

std::vector<pid> runtime_impl::snapshot() const {
  std::vector<pid> out;
  out.reserve(live());
  for (auto& sh : live_) {
    std::lock_guard<spin_mutex> lk(sh.m);
    for (process* p = sh.head; p != nullptr; p = p->live_next) {
      if (p->state.load(std::memory_order_acquire) == proc_state::dead)
        continue;
      retain(p);
      out.push_back(pid::adopt(p, p->serial));
    }
  }
  return out;
}

void runtime_impl::shutdown() {
  std::lock_guard<std::mutex> guard(shutdown_m_);
  if (workers_.empty())
    return;
  process* caller = current_process();
  if (caller != nullptr && caller->rt == this)
    throw std::logic_error(
        "otp::runtime::shutdown called from one of its own processes");
  // A process created from now on gets `shutdown` as it is created
  // (create_process), so one sweep reaches all; it is repeated now and then
  // only as a safety net.
  shut_down_.store(true, std::memory_order_seq_cst);
  const auto wait_all = [&](const exit_reason& why,
                            std::chrono::steady_clock::time_point until) {
    while (live() != 0) {
      for (const pid& p : snapshot())
        send_exit(p.get(), pid(), why, exit_flavour::runtime);
      const auto now = std::chrono::steady_clock::now();
      if (now >= until)
        return;
      std::unique_lock<std::mutex> lk(idle_m_);
      idle_cv_.wait_until(lk, std::min(until, now + std::chrono::seconds(2)),
                          [&] { return live() == 0; });
    }
  };
  const auto start = std::chrono::steady_clock::now();
  wait_all(exit_reason::shutdown(), start + opts.shutdown_timeout);
  if (live() != 0) {
    // Destructors that wait, code that caught the unwinding: a kill ends
    // them without further unwinding (see exit_point).
    wait_all(exit_reason::kill(),
             std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  if (live() != 0)
    report_abandoned();
  timers.stop();
  {
    std::lock_guard<std::mutex> lk(watchdog_m_);
    watchdog_stop_ = true;
  }
  watchdog_cv_.notify_all();
  if (watchdog_.joinable())
    watchdog_.join();
  // Threads that wake our fibers from outside (blocking pool, timers) must be
  // gone before the schedulers they wake into are destroyed. Calls that are
  // still running belong to zombies (blocking.cpp), dead to everyone but
  // with their frames still to unwind: they get what is left of
  // `shutdown_timeout` (at least 100 ms) to return, so those destructors
  // run; what still runs then is left running, and those stacks are never
  // freed.
  const auto budget_end = start + opts.shutdown_timeout;
  const auto now = std::chrono::steady_clock::now();
  report_blocking(blocking.stop(std::max<std::chrono::steady_clock::duration>(
      budget_end - now, std::chrono::milliseconds(100))));
  group_.stopping.store(true, std::memory_order_release);
  for (auto& w : workers_) {
    std::lock_guard<spin_mutex> lk(w->inject_lock);
    w->stop = true;
    wake_main(*w);
  }
  for (auto& w : workers_) {
    // A thread that still runs an abandoned process cannot be joined.
    if (abandoned_ && !w->exited.load(std::memory_order_acquire)) {
      const auto until =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
      while (!w->exited.load(std::memory_order_acquire)
             && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (!w->exited.load(std::memory_order_acquire)) {
        w->thread.detach();
        continue;
      }
    }
    w->thread.join();
  }
  if (abandoned_) {
    // Whatever still runs may reach into the runtime when it next
    // suspends: leave it all allocated.
    for (auto& w : workers_)
      keep_forever(w.release());
  }
  workers_.clear();
}

} // namespace detail

// -- runtime -----------------------------------------------------------------

runtime::runtime() : runtime(runtime_options{}) {}

runtime::runtime(runtime_options opts)
    : impl_(std::make_unique<detail::runtime_impl>(opts)) {}

runtime::~runtime() {
  try {
    impl_->shutdown();
  } catch (const std::logic_error& e) {
    // Destroyed inside one of its own processes: it cannot wait for them.
    log(log_level::error, pid(),
        std::string(e.what())
            + "; the runtime is left running and its memory is leaked");
    detail::keep_forever(impl_.release());
    return;
  }
  if (impl_->abandoned())
    detail::keep_forever(impl_.release());
}

void runtime::shutdown() {
  impl_->shutdown();
}

std::size_t runtime::process_count() const noexcept {
  return impl_->live();
}

std::vector<pid> runtime::processes() const {
  return impl_->snapshot();
}

pid runtime::whereis(const std::string& name) const {
  return impl_->whereis(name);
}

std::size_t runtime::timer_count() const {
  return impl_->timers.pending();
}

unsigned runtime::threads() const noexcept {
  return impl_->opts.threads;
}

const runtime_options& runtime::options() const noexcept {
  return impl_->opts;
}

exit_reason runtime::run_task(detail::unique_task body) {
  detail::process* self = detail::current_process();
  if (self != nullptr && self->rt == impl_.get())
    throw std::logic_error("otp::runtime::run called from one of its own "
                           "processes (it would block a scheduler thread)");
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  exit_reason result;
  detail::process* p = impl_->create_process(spawn_options{});
  pid keep = pid::adopt(p, p->serial);
  p->initial_call = body.origin();
  p->extras().on_exit = [&](const exit_reason& why) {
    std::lock_guard<std::mutex> lk(m);
    result = why;
    done = true;
    cv.notify_all();
  };
  impl_->start(p, std::move(body), false);
  std::unique_lock<std::mutex> lk(m);
  cv.wait(lk, [&] { return done; });
  return result;
}

} // namespace otp
