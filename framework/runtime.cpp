#include "framework/runtime.hpp"

#include "framework/detail/runtime_impl.hpp"
#include "framework/log.hpp"

#include <boost/fiber/all.hpp>

#include <stdexcept>
#include <string>

namespace otp {

namespace detail {

namespace {
// Pid serials are unique in the whole program, so pids of two runtimes never
// compare equal.
std::atomic<std::uint64_t> next_serial{1};

constexpr std::size_t min_stack_size = 16 * 1024;

void validate(const runtime_options& o) {
  if (o.threads > 1024)
    throw std::invalid_argument(
        "runtime_options::threads must be at most 1024 (got "
        + std::to_string(o.threads) + ")");
  if (o.stack_size < min_stack_size)
    throw std::invalid_argument(
        "runtime_options::stack_size must be at least 16384 bytes (got "
        + std::to_string(o.stack_size) + ")");
  if (o.stack_size > (std::size_t{1} << 30))
    throw std::invalid_argument(
        "runtime_options::stack_size must be at most 1 GiB (got "
        + std::to_string(o.stack_size) + ")");
  if (o.blocking_threads > 4096)
    throw std::invalid_argument(
        "runtime_options::blocking_threads must be at most 4096 (got "
        + std::to_string(o.blocking_threads) + ")");
  if (o.long_schedule.count() < 0)
    throw std::invalid_argument("runtime_options::long_schedule must not be "
                                "negative (0 turns the watchdog off)");
  if (o.idle_spin.count() < 0)
    throw std::invalid_argument("runtime_options::idle_spin must not be "
                                "negative");
}

runtime_options normalized(runtime_options o) {
  validate(o);
  if (o.threads == 0)
    o.threads = std::max(1u, std::thread::hardware_concurrency());
  if (o.blocking_threads == 0)
    o.blocking_threads = std::max(4u, o.threads);
  return o;
}

/// What a new fiber runs: processes, the first one being `p`.
struct process_fiber {
  runtime_impl* rt;
  process* p;
  unique_task body;
  void operator()() {
    rt->fiber_main(p, body, p->stacks == rt->default_stacks);
  }
};
} // namespace

// -- blocking pool ------------------------------------------------------------

void blocking_pool::start(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this] { loop(); });
}

void blocking_pool::submit(const job& j) {
  {
    std::lock_guard<std::mutex> lk(m_);
    jobs_.push_back(j);
  }
  cv_.notify_one();
}

void blocking_pool::stop() {
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
}

void blocking_pool::loop() {
  for (;;) {
    job j;
    {
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait(lk, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty())
        return;
      j = jobs_.front();
      jobs_.pop_front();
    }
    j.fn(j.arg);
    // The process parked with epoch j.epoch and nobody else knows it, so this
    // CAS always wins; done by hand to keep Boost.Fiber's per-thread state
    // off this thread.
    std::size_t expected = j.epoch;
    if (j.ctx->waker_epoch_.compare_exchange_strong(expected, j.epoch + 1,
                                                    std::memory_order_acq_rel))
      j.ctx->get_scheduler()->schedule_from_remote(j.ctx);
  }
}

// -- runtime_impl
// --------------------------------------------------------------

runtime_impl::runtime_impl(const runtime_options& o)
    : opts(normalized(o)),
      default_stacks(&stack_pool::for_size(opts.stack_size)) {
  group_.spin = opts.idle_spin;
  // A thread that made no pick for this long with a process queued is
  // stuck behind a long-running one. Lower, and two partners that talk
  // get split across threads whenever one pauses briefly.
  group_.stuck_after = std::chrono::milliseconds(1);
  group_.algos.assign(opts.threads, nullptr);
  group_.keep.resize(opts.threads);
  for (unsigned i = 0; i < opts.threads; ++i)
    workers_.push_back(std::make_unique<worker>());
  for (unsigned i = 0; i < opts.threads; ++i) {
    workers_[i]->thread = std::thread([this, i] {
      worker& w = *workers_[i];
      boost::fibers::use_scheduling_algorithm<worker_algo>(group_, i);
      w.algo = group_.algos[i];
      group_.keep[i] = w.algo;
      w.main_ctx = boost::fibers::context::active();
      w.sched = w.main_ctx->get_scheduler();
      {
        // No thread runs a fiber before all have registered (stealing reads
        // every thread's algorithm).
        std::unique_lock<std::mutex> lk(start_m_);
        ++start_ready_;
        start_cv_.notify_all();
        start_cv_.wait(lk, [&] { return start_go_; });
      }
      worker_main(i);
    });
  }
  {
    std::unique_lock<std::mutex> lk(start_m_);
    start_cv_.wait(lk, [&] { return start_ready_ == opts.threads; });
    start_go_ = true;
  }
  start_cv_.notify_all();
  blocking.start(opts.blocking_threads);
  timers.start();
  if (opts.long_schedule.count() > 0)
    watchdog_ = std::thread([this] { watchdog_loop(); });
}

void runtime_impl::watchdog_loop() {
  struct seen {
    std::uint64_t serial = 0;
    std::uint64_t picks = 0;
    std::chrono::steady_clock::time_point since{};
    bool warned = false;
  };
  std::vector<seen> last(workers_.size());
  const auto period = std::max(
      std::chrono::milliseconds(1),
      std::min(std::chrono::milliseconds(100), opts.long_schedule / 4));
  std::unique_lock<std::mutex> lk(watchdog_m_);
  while (!watchdog_cv_.wait_for(lk, period, [&] { return watchdog_stop_; })) {
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      const std::uint64_t serial = workers_[i]->algo->running();
      const std::uint64_t picks = workers_[i]->algo->picks();
      seen& s = last[i];
      if (serial != s.serial || picks != s.picks) {
        s = seen{serial, picks, now, false};
        continue;
      }
      if (serial != 0 && !s.warned && now - s.since >= opts.long_schedule) {
        s.warned = true;
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            now - s.since);
        log(log_level::warning, find(serial),
            "[warning] Process <0." + std::to_string(serial)
                + ".0> has run for " + std::to_string(ms.count())
                + " ms without suspending; it holds scheduler thread "
                + std::to_string(i) + " (long_schedule)");
      }
    }
  }
}

runtime_impl::~runtime_impl() {
  shutdown();
}

void runtime_impl::worker_main(unsigned index) {
  worker& w = *workers_[index];
  // Boost.Fiber's spinlock builds a 5 KiB random-number generator on the
  // stack the first time a thread uses it; do that here, on the thread's own
  // stack, never on a small process stack.
  {
    boost::fibers::detail::spinlock warm;
    warm.lock();
    warm.unlock();
    boost::fibers::fiber f([] {});
    f.join();
  }
  for (;;) {
    std::vector<worker::request> batch;
    bool stop = false;
    {
      std::lock_guard<spin_mutex> lk(w.inject_lock);
      batch.swap(w.injected);
      stop = w.stop;
      if (batch.empty() && !stop) {
        const std::size_t e =
            w.main_ctx->waker_epoch_.fetch_add(1, std::memory_order_acq_rel)
            + 1;
        w.inject_state = waiting_word(e);
      }
    }
    for (auto& r : batch)
      start(r.proc, std::move(r.body), false);
    if (batch.empty()) {
      if (stop) {
        // No fiber parks after this (see fiber_main); end the parked ones.
        w.stopping = true;
        // Resume each one directly: it ends at once, on this thread. Made
        // ready instead, it would sit detached in the queue, where Boost's
        // scheduler teardown does not wait for it (and another thread could
        // steal it from a destroyed queue).
        for (idle_fiber* f : std::exchange(w.idle, {})) {
          f->quit = true;
          f->ctx->resume(w.main_ctx);
        }
        return;
      }
      w.main_ctx->suspend();
    }
  }
}

worker* runtime_impl::current_worker() const noexcept {
  // context::active() also sets up Boost.Fiber on a foreign thread the first
  // time it is asked; that thread then simply is not one of ours.
  return worker_of(boost::fibers::context::active()->get_scheduler());
}

worker* runtime_impl::worker_of(boost::fibers::scheduler* s) const noexcept {
  for (const auto& w : workers_) {
    if (w->sched == s)
      return w.get();
  }
  return nullptr;
}

void runtime_impl::inject(process* p, unique_task body) {
  worker& w = *workers_[next_inject_.fetch_add(1, std::memory_order_relaxed)
                        % workers_.size()];
  // Wake under the lock: the thread reads `stop` under it too, so it cannot
  // exit (destroying its scheduler) while wake() is still using it.
  std::lock_guard<spin_mutex> lk(w.inject_lock);
  w.injected.push_back({p, std::move(body)});
  const std::uintptr_t state = std::exchange(w.inject_state, 0);
  if (is_waiting_word(state))
    w.main_ctx->wake(waiting_epoch(state));
}

void runtime_impl::start(process* p, unique_task body, bool dispatch,
                         boost::fibers::scheduler* sched) {
  worker* w = sched != nullptr ? worker_of(sched) : current_worker();
  if (w == nullptr) {
    inject(p, std::move(body));
    return;
  }
  boost::fibers::context* self = boost::fibers::context::active();
  dispatch = dispatch && !self->is_context(boost::fibers::type::pinned_context);
  if (dispatch)
    w->algo->resume_spawner_first();
  if (p->stacks != default_stacks || w->idle.empty()) {
    new_fiber(p, std::move(body), dispatch);
    return;
  }
  idle_fiber* f = w->idle.back();
  w->idle.pop_back();
  f->proc = p;
  f->body = std::move(body);
  if (dispatch)
    f->ctx->resume(self); // run the child now; we are queued right behind
  else
    self->schedule(f->ctx);
}

void runtime_impl::new_fiber(process* p, unique_task body, bool dispatch) {
  boost::fibers::fiber(dispatch ? boost::fibers::launch::dispatch
                                : boost::fibers::launch::post,
                       std::allocator_arg, pooled_stack(*p->stacks),
                       process_fiber{this, p, std::move(body)})
      .detach();
}

void runtime_impl::fiber_main(process* p, unique_task& first,
                              bool poolable) noexcept {
  run_process(p, first);
  if (!poolable)
    return;
  boost::fibers::context* const ctx = boost::fibers::context::active();
  for (;;) {
    // The thread we finished on (the fiber may have migrated).
    worker* w = worker_of(ctx->get_scheduler());
    if (w == nullptr || w->stopping || w->idle.size() >= idle_cap)
      return;
    idle_fiber me{ctx, nullptr, {}, false};
    w->idle.push_back(&me);
    me.ctx->suspend();
    if (me.quit)
      return;
    run_process(me.proc, me.body);
  }
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

void note_running(process* p, boost::fibers::context* ctx) noexcept {
  if (worker* w = p->rt->worker_of(ctx->get_scheduler()))
    w->algo->set_running(p->serial);
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
  if (current_process() != nullptr && current_process()->rt == this)
    throw std::logic_error(
        "otp::runtime::shutdown called from one of its own processes");
  shut_down_.store(true, std::memory_order_release);
  // Kill everything once; a process created from now on gets the signal as
  // it is created (create_process), so one sweep reaches all. The sweep is
  // repeated now and then only as a safety net.
  shut_down_.store(true, std::memory_order_seq_cst);
  while (live() != 0) {
    for (const pid& p : snapshot())
      send_exit(p.get(), pid(), exit_reason::shutdown(), exit_flavour::runtime);
    std::unique_lock<std::mutex> lk(idle_m_);
    idle_cv_.wait_for(lk, std::chrono::seconds(2), [&] { return live() == 0; });
  }
  timers.stop();
  {
    std::lock_guard<std::mutex> lk(watchdog_m_);
    watchdog_stop_ = true;
  }
  watchdog_cv_.notify_all();
  if (watchdog_.joinable())
    watchdog_.join();
  // Threads that wake our fibers from outside (blocking pool, timers) must be
  // gone before the schedulers they wake into are destroyed.
  blocking.stop();
  group_.stopping.store(true, std::memory_order_release);
  for (auto& w : workers_) {
    std::lock_guard<spin_mutex> lk(w->inject_lock);
    w->stop = true;
    const std::uintptr_t state = std::exchange(w->inject_state, 0);
    if (is_waiting_word(state))
      w->main_ctx->wake(waiting_epoch(state)); // under the lock: see inject
  }
  for (auto& w : workers_)
    w->thread.join();
  workers_.clear();
}

} // namespace detail

// -- runtime -----------------------------------------------------------------

runtime::runtime() : runtime(runtime_options{}) {}

runtime::runtime(runtime_options opts)
    : impl_(std::make_unique<detail::runtime_impl>(opts)) {}

runtime::~runtime() {
  impl_->shutdown();
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
