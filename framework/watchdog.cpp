// The runtime's watchdog thread: it looks at every scheduler thread every
// few milliseconds and
// - reports a process that runs too long without suspending (BEAM's
//   long_schedule monitor): when it passes `long_schedule`, each time that
//   time doubles, and once more, with the total, when it finally suspends;
// - marks threads stuck behind such a process (work from outside goes
//   elsewhere) and activates a spare thread for each stuck one, so the other
//   processes keep `threads` threads (Go's sysmon retaking a thread stuck in
//   a system call); a spare goes back to sleep when it is not needed;
// - retries revivals that found no stack.
#include "framework/detail/runtime_impl.hpp"
#include "framework/log.hpp"

#include <string>

namespace otp::detail {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds period{5};
/// A thread that made no pick for this long while running one process is
/// stuck: a spare takes its place.
constexpr milliseconds handoff_after{10};

struct seen {
  std::uint64_t serial = 0;
  std::uint64_t picks = 0;
  steady_clock::time_point since{};
  /// The next running time at which to warn (0: none yet).
  milliseconds next_warning{0};
  bool warned = false;
  /// The process, once warned about (it may be gone by the final report).
  pid who;
  std::string described;
};

std::string describe(runtime_impl& rt, std::uint64_t serial) {
  std::string who = "<0." + std::to_string(serial) + ".0>";
  const pid p = rt.find(serial);
  if (p) {
    const std::string name = rt.name_of(p.get());
    if (!name.empty())
      who += " (\"" + name + "\")";
  }
  return who;
}

} // namespace

void runtime_impl::watchdog_loop() {
  // A report it cannot build (out of memory) must not end the thread.
  for (;;) {
    try {
      watch();
      return;
    } catch (...) {
    }
  }
}

void runtime_impl::watch() {
  const std::size_t n = workers_.size();
  std::vector<seen> last(n);
  std::unique_lock<std::mutex> lk(watchdog_m_);
  while (!watchdog_cv_.wait_for(lk, period, [&] { return watchdog_stop_; })) {
    const auto now = steady_clock::now();
    unsigned stuck = 0;
    unsigned active = 0;
    for (std::size_t i = 0; i < n; ++i) {
      worker_algo* a = workers_[i]->algo;
      const std::uint64_t serial = a->running();
      const std::uint64_t picks = a->picks();
      seen& s = last[i];
      if (serial != s.serial || picks != s.picks) {
        if (s.warned) {
          const auto ran =
              std::chrono::duration_cast<milliseconds>(now - s.since);
          log(log_level::warning, s.who,
              "Process " + s.described + " ran for "
                  + std::to_string(ran.count())
                  + " ms without suspending, holding scheduler thread "
                  + std::to_string(i) + " (long_schedule)");
        }
        s = seen{serial, picks, now, opts.long_schedule, false, {}, {}};
      }
      const auto ran = std::chrono::duration_cast<milliseconds>(now - s.since);
      const bool is_stuck = serial != 0 && ran >= handoff_after;
      stuck_[i].store(is_stuck, std::memory_order_relaxed);
      if (a->active()) {
        ++active;
        stuck += is_stuck ? 1 : 0;
      }
      if (serial != 0 && opts.long_schedule.count() > 0
          && ran >= s.next_warning) {
        if (!s.warned) {
          s.who = find(serial);
          s.described = describe(*this, serial);
        }
        s.warned = true;
        s.next_warning = ran * 2;
        log(log_level::warning, s.who,
            "Process " + s.described + " has run for "
                + std::to_string(ran.count())
                + " ms without suspending; it holds scheduler thread "
                + std::to_string(i) + " (long_schedule)");
      }
    }
    // Keep `threads` threads that can run the other processes.
    const unsigned want =
        std::min<unsigned>(opts.threads + stuck, opts.threads + spares);
    for (std::size_t i = opts.threads; i < n && active < want; ++i) {
      if (!workers_[i]->algo->active()) {
        workers_[i]->algo->set_active(true);
        ++active;
      }
    }
    for (std::size_t i = n; i > opts.threads && active > want; --i) {
      worker_algo* a = workers_[i - 1]->algo;
      if (a->active() && !stuck_[i - 1].load(std::memory_order_relaxed)) {
        a->set_active(false);
        --active;
      }
    }
    // Revivals that found no stack: try again.
    process* retry = nullptr;
    {
      std::lock_guard<spin_mutex> rl(retry_lock_);
      retry = std::exchange(retry_head_, nullptr);
    }
    while (retry != nullptr) {
      process* next = retry->revive_next;
      push_revival(pick_worker(), retry);
      retry = next;
    }
  }
}

void runtime_impl::report_abandoned() {
  abandoned_ = true;
  const auto now = steady_clock::now();
  (void)now;
  for (const pid& p : snapshot()) {
    process* q = p.get();
    std::string doing = "it never suspended";
    for (const auto& w : workers_) {
      if (w->algo->running() == q->serial) {
        doing = "it runs on scheduler thread "
                + std::to_string(w->algo->index()) + " without suspending";
        break;
      }
    }
    if (is_waiting_word(q->inbox.load(std::memory_order_acquire)))
      doing = "it waits and does not wake";
    log(log_level::warning, p,
        "runtime shutdown: process " + describe(*this, q->serial)
            + " did not exit within shutdown_timeout ("
            + std::to_string(opts.shutdown_timeout.count())
            + " ms) and a kill; " + doing
            + ". It is abandoned: left running, with the runtime's memory");
  }
}

} // namespace otp::detail

namespace otp::detail {

void runtime_impl::report_blocking(const blocking_threads::stop_report& r) {
  for (const auto& o : r.orphaned) {
    auto* p = static_cast<process*>(o.user);
    retain(p);
    const pid who = pid::adopt(p, p->serial);
    const auto ms =
        std::chrono::duration_cast<milliseconds>(o.running_for).count();
    log(log_level::warning, who,
        "runtime shutdown: process " + who.to_string()
            + " had been in a blocking() call for " + std::to_string(ms)
            + " ms, and it still runs: its thread is left running, and the "
              "call's result is dropped when it returns (initial call: "
            + (p->initial_call != nullptr ? demangle(*p->initial_call)
                                          : std::string("unknown"))
            + ")");
  }
  for (const auto& j : r.dropped) {
    auto* p = static_cast<process*>(j->user());
    log(log_level::warning, pid(),
        "runtime shutdown: a blocking() call of process <0."
            + std::to_string(p->serial) + ".0> was dropped before it ran");
  }
}

} // namespace otp::detail
