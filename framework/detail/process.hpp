#pragma once
/// \file detail/process.hpp
/// The process control block (not user-facing).
///
/// Concurrency contract:
/// - `inbox` is the only field other threads write. It is a lock-free stack
///   of envelopes (newest first) or one of the sentinel words below. Senders
///   push with a CAS; the owner takes the whole stack with an exchange and
///   reverses it, so per-sender FIFO order holds.
/// - A parked owner publishes `waiting(epoch)` in `inbox`; the sender whose
///   CAS replaces that word owns the wake-up and calls `ctx->wake(epoch)`.
///   Boost.Fiber's epoch CAS makes exactly one of {sender, timer} resume it.
/// - Everything under "owner only" is touched only by the process's own fiber.
/// - The block is reference counted: every `pid` holds one reference and the
///   runtime's live list holds one until the process has exited.

#include "framework/detail/exception_trace.hpp"
#include "framework/detail/process_handle.hpp"
#include "framework/detail/unique_task.hpp"
#include "framework/exit_reason.hpp"
#include "framework/message.hpp"
#include "framework/pid.hpp"
#include "framework/ref.hpp"
#include "framework/spawn.hpp"

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

namespace boost::fibers {
class context;
} // namespace boost::fibers

namespace otp::detail {

class runtime_impl;
class stack_pool;
class worker_algo;
struct landing;
struct park_record;

/// Sentinel values of `process::inbox`. Envelope pointers are 8-aligned and
/// above 4096, so they never collide with these.
inline constexpr std::uintptr_t inbox_closed = 2;
inline constexpr std::uintptr_t inbox_hibernating = 4;
/// `waiting(epoch)` is `(epoch << 3) | 1`.
inline constexpr bool is_waiting_word(std::uintptr_t w) noexcept {
  return (w & 1u) != 0;
}
inline constexpr std::uintptr_t waiting_word(std::size_t epoch) noexcept {
  return (static_cast<std::uintptr_t>(epoch) << 3) | 1u;
}
inline constexpr std::size_t waiting_epoch(std::uintptr_t w) noexcept {
  return static_cast<std::size_t>(w >> 3);
}
inline constexpr bool is_envelope_word(std::uintptr_t w) noexcept {
  return w > 4096;
}
/// The newest envelope of an inbox word that `is_envelope_word`.
inline envelope* envelope_of(std::uintptr_t w) noexcept {
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the word holds a pointer
  return reinterpret_cast<envelope*>(w);
}

/// `running`; `exiting` once a kill has been sent to it (it cannot survive
/// that: `alive` is false, and a new link or monitor gets `noproc`, as the
/// killer's later calls must see in Erlang); `dead` once it has ended.
enum class proc_state : std::uint8_t { running, exiting, dead };

/// `running` -> `exiting` (no other transition). Any thread.
inline void mark_exiting(std::atomic<proc_state>& s) noexcept {
  proc_state expected = proc_state::running;
  s.compare_exchange_strong(expected, proc_state::exiting,
                            std::memory_order_acq_rel);
}

/// Signal kinds carried in `envelope::kind` (0 is a user message). Signals
/// travel in the mailbox, in order with messages, and are handled by the
/// receiver when it drains its inbox (mailbox.cpp).
inline constexpr std::uint32_t kind_exit_signal = 1;
inline constexpr std::uint32_t kind_link = 2;
inline constexpr std::uint32_t kind_unlink = 3;
inline constexpr std::uint32_t kind_monitor = 4;
inline constexpr std::uint32_t kind_demonitor = 5;
inline constexpr std::uint32_t kind_down = 6;
/// A user message sent to an alias (`tag` = alias id): kept only if the
/// alias is active when it is drained.
inline constexpr std::uint32_t kind_alias_message = 7;
inline constexpr std::uint32_t kind_info_request = 8;

inline constexpr bool is_signal_kind(std::uint32_t k) noexcept {
  return k != kind_message && k != kind_alias_message;
}

/// Where an exit signal comes from; decides how it is handled.
enum class exit_flavour : std::uint8_t {
  runtime,   ///< the runtime's shutdown: untrappable
  exit_call, ///< `exit(pid, reason)`
  link,      ///< a linked process ended (or a link met a dead process)
};

struct info_slot;

/// Every signal kind in one envelope type (signals are rare).
struct signal_envelope final : envelope {
  pid from;
  exit_reason reason;
  std::uint64_t ref = 0;
  exit_flavour flavour = exit_flavour::exit_call;
  /// For an info request: what the target was doing when it arrived.
  std::uint8_t target_status = 0;
  std::string name;
  info_slot* slot = nullptr;
};

/// Make a signal of `kind` from `from` (may be null); throws std::bad_alloc.
signal_envelope* make_signal(std::uint32_t kind, pid from);
/// `make_signal` for the paths that must not fail (a dying process's EXITs
/// and DOWNs, shutdown): falls back on a reserve, then waits for memory.
signal_envelope* make_signal_nofail(std::uint32_t kind, pid from) noexcept;
/// Fill the reserve (a runtime does it as it starts).
void reserve_signals();

/// Apply a link, unlink, monitor or demonitor signal to the owner's sets
/// (other kinds are ignored). Owner only.
void apply_link_signal(process* p, signal_envelope* s);

/// Reverse an inbox chain (newest first) into arrival order.
envelope* arrival_order(envelope* newest_first) noexcept;

/// Destroy any envelope, message or signal.
void dispose(envelope* e) noexcept;

/// Thrown at a suspension point to unwind a process that must exit. It does
/// not derive from std::exception; if user code swallows it with
/// `catch (...)`, the next suspension point throws it again and the process
/// still ends with the pending reason.
struct exit_unwind {};

/// Thrown by `hibernate` to unwind the stack down to the process entry.
struct hibernate_unwind {};

/// A set or map that costs one pointer while empty: created on first insert,
/// released by `shrink()` once empty again (a hibernating process keeps no
/// empty hash tables). Reads of an absent container see a shared empty one.
template <class C>
class lazy_container {
public:
  using iterator = typename C::iterator;
  using key_type = typename C::key_type;

  template <class... A>
  auto insert(A&&... a) {
    return make().insert(std::forward<A>(a)...);
  }
  template <class... A>
  auto emplace(A&&... a) {
    return make().emplace(std::forward<A>(a)...);
  }
  std::size_t erase(const key_type& k) { return c_ ? c_->erase(k) : 0; }
  iterator erase(iterator it) { return c_->erase(it); }
  iterator find(const key_type& k) { return get().find(k); }
  std::size_t count(const key_type& k) const { return c_ ? c_->count(k) : 0; }
  iterator begin() { return get().begin(); }
  iterator end() { return get().end(); }
  bool empty() const noexcept { return !c_ || c_->empty(); }
  std::size_t size() const noexcept { return c_ ? c_->size() : 0; }
  void clear() { c_.reset(); }
  /// Free the container if it is empty.
  void shrink() noexcept {
    if (c_ && c_->empty())
      c_.reset();
  }

private:
  C& make() {
    if (!c_)
      c_ = std::make_unique<C>();
    return *c_;
  }
  C& get() {
    static C none;
    return c_ ? *c_ : none;
  }
  std::unique_ptr<C> c_;
};

/// The rarely used parts of a process, allocated on first use, so that the
/// common process stays small (a million of them must fit).
struct process_extras {
  /// Why the process must exit (valid when `process::exiting`).
  exit_reason pending_reason;
  lazy_container<std::unordered_set<pid>> links;
  /// Monitors this process holds, by ref: the monitored pid.
  lazy_container<std::unordered_map<ref, pid>> monitors;
  /// Monitors on this process, by ref: the watcher.
  lazy_container<std::unordered_map<ref, pid>> monitored_by;
  /// The names of monitors this process took by registered name.
  lazy_container<std::unordered_map<ref, std::string>> monitor_names;
  /// Active aliases (ids).
  lazy_container<std::unordered_set<std::uint64_t>> aliases;
  /// One more active alias, outside the table (0: none).
  std::uint64_t alias_slot = 0;
  /// The continuation of a hibernating process.
  unique_task continuation;
  /// Called once with the final reason (used by `runtime::run`).
  std::function<void(const exit_reason&)> on_exit;
  /// The stacks of its last throws (runtime_options::exception_traces).
  std::unique_ptr<throw_log> throws;

  /// Release empty containers (before hibernating).
  void shrink() noexcept {
    links.shrink();
    monitors.shrink();
    monitored_by.shrink();
    monitor_names.shrink();
    aliases.shrink();
  }
};

struct process {
  explicit process(runtime_impl* r, std::uint64_t s) noexcept
      : serial(s),
        rt(r) {}

  // -- shared -----------------------------------------------------------
  std::atomic<std::uintptr_t> inbox{0};
  /// Senders between reading `waiting(e)` and finishing `wake(e)`; a process
  /// resumed by its timer waits for this to drop to 0 before it may let its
  /// fiber context go (see mailbox.cpp).
  std::atomic<std::uint32_t> wakers{0};
  std::atomic<std::uint32_t> refs{1};
  std::atomic<proc_state> state{proc_state::running};
  /// Set by exit signals so that suspension points notice them cheaply.
  std::atomic<bool> signal_hint{false};
  /// Has a registered name (the name itself lives in the runtime's
  /// registry, under its lock).
  std::atomic<bool> named{false};
  /// Set by the fault handler (on the owner's thread) when the process ran
  /// into its stack's reserve: it must end with `stack_overflow`.
  std::atomic<bool> overflowed{false};

  // -- owner only -------------------------------------------------------
  /// Set when an exit signal has decided that this process must die.
  bool exiting = false;
  bool trap_exit = false;
  /// Restarted from hibernation by a sender: maybe only a signal arrived.
  bool revived = false;
  /// How often the exit's unwinding (`exit_unwind`) has been thrown: a
  /// process that suspends again with nothing unwinding swallowed it.
  std::uint8_t unwinds = 0;
  /// The exit may not wait any more (a kill, or a second exit while the
  /// first unwinds): any suspension point abandons the process.
  bool exit_hard = false;
  /// Ended for everyone else while its fiber waits for a blocking call
  /// that was running (blocking.cpp): its mailbox is closed for good.
  bool zombie = false;
  /// `finish` has run.
  bool finished = false;
  std::uint32_t mark_id = 0;
  const std::uint64_t serial;
  runtime_impl* const rt;
  /// The fiber running this process (changes when a hibernated process is
  /// revived). Written by the owner before it publishes `waiting(e)`.
  std::atomic<boost::fibers::context*> ctx{nullptr};
  /// The record of the current park (on the parked stack), for the waker
  /// that wins its epoch (see park.hpp).
  std::atomic<park_record*> park{nullptr};
  /// Where `abandon` lands, while the process runs (owner only).
  landing* landing_ = nullptr;
  /// The type of the function the process was spawned with (reports).
  const std::type_info* initial_call = nullptr;
  envelope* save_head = nullptr;
  envelope* save_tail = nullptr;
  /// The receive mark (see `mailbox_mark`): messages up to and including this
  /// node arrived before the mark.
  envelope* mark = nullptr;
  /// The inbox top when the mark was taken; becomes `mark` when drained.
  envelope* pending_mark = nullptr;
  /// Last epoch used; carried over to a new fiber so waiting words are unique
  /// for the whole life of the process.
  std::size_t epoch = 0;
  std::uint32_t save_len = 0;
  /// Where this process gets its fiber stacks.
  stack_pool* stacks = nullptr;
  std::unique_ptr<process_extras> extras_;

  process_extras& extras() {
    if (!extras_)
      extras_ = std::make_unique<process_extras>();
    return *extras_;
  }

  // -- runtime bookkeeping (under the runtime's live-list lock) -----------
  process* live_prev = nullptr;
  process* live_next = nullptr;
  /// Link in a worker's list of revivals (under that list's lock).
  process* revive_next = nullptr;
};

/// Binds the calling fiber to `p` for its lifetime, so that
/// `current_process()` finds `p` (through Boost.Fiber's fiber properties:
/// no thread_local state, correct when the fiber migrates).
class fiber_binding {
public:
  explicit fiber_binding(process* p) noexcept;
  ~fiber_binding();
  fiber_binding(const fiber_binding&) = delete;
  fiber_binding& operator=(const fiber_binding&) = delete;
  boost::fibers::context* context() const noexcept { return ctx_; }

private:
  boost::fibers::context* ctx_;
  alignas(16) unsigned char buf_[48];
};

/// Send an exit signal to `p` (in order with messages from the caller).
void send_exit(process* p, pid from, exit_reason reason,
               exit_flavour flavour) noexcept;

/// What a process was doing when an info request reached it.
inline constexpr std::uint8_t info_runnable = 0;
inline constexpr std::uint8_t info_waiting = 1;
inline constexpr std::uint8_t info_hibernating = 2;

/// Answer a `process_info` request (the owner, while draining).
void answer_info(process* p, signal_envelope* s);
/// Answer a request that reached a dead process: "no such process".
void fail_info(signal_envelope* s) noexcept;

enum class spawn_link_mode { none, link, monitor, link_monitor };

/// Spawn, and link or monitor the child from the calling process (which
/// must exist unless `mode` is none) before the child runs.
pid spawn_with(runtime_impl* rt, const spawn_options& opts, unique_task body,
               const char* caller, spawn_link_mode mode, ref* mon);

/// Tell the scheduler thread that `p` now runs on it (for the watchdog; a
/// process started by direct resume never passes through pick_next).
void note_running(process* p, boost::fibers::context* ctx) noexcept;

/// `algo` picked `ctx`: remember the thread on the fiber; returns the serial
/// of its process, or 0 (for the watchdog).
std::uint64_t on_pick(boost::fibers::context* ctx, worker_algo* algo) noexcept;
/// The process bound to `ctx`, or nullptr (async-signal-safe).
process* process_of(boost::fibers::context* ctx) noexcept;
/// The scheduler thread that last picked `ctx` (a process fiber).
worker_algo* algo_of(boost::fibers::context* ctx) noexcept;

/// Move newly arrived messages into the save queue, handling signals.
/// Returns true if a message was appended. Throws `exit_unwind` if a signal
/// decided that the process exits.
bool drain(process* p);
/// `drain` without acting on an exit (for a process that has no fiber).
bool drain_inbox(process* p);

/// End `p` for everyone else (mailbox, links, monitors, name, live list)
/// while its fiber lives on until a running blocking call returns; the
/// fiber's later `finish` does nothing. Owner only.
void finish_zombie(process* p) noexcept;

/// At a suspension point: end the calling process if it must exit. The
/// first time, by throwing `exit_unwind` (destructors run); if its code
/// swallowed that and suspends again, or a kill arrives while a destructor
/// waits, or it overflowed its stack too close to the end, by abandoning
/// its frames (landing.hpp). A destructor that suspends while the process
/// unwinds may otherwise wait normally.
void exit_point(process* p);

} // namespace otp::detail
