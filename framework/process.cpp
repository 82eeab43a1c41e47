#include "framework/detail/process.hpp"

#include "framework/detail/landing.hpp"
#include "framework/detail/runtime_impl.hpp"
#include "framework/detail/stack_pool.hpp"

#include <boost/fiber/context.hpp>

#include <chrono>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>

namespace otp::detail {

void retain(process* p) noexcept {
  p->refs.fetch_add(1, std::memory_order_relaxed);
}

void release(process* p) noexcept {
  if (p->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
    delete p;
}

namespace {
/// Links a Boost.Fiber context to its process. It lives in a buffer on the
/// process's own stack (see `fiber_binding`); Boost "deletes" it when the
/// binding is cleared, so its operator delete does nothing.
struct fiber_link final : boost::fibers::fiber_properties {
  fiber_link(boost::fibers::context* ctx, process* p) noexcept
      : fiber_properties(ctx),
        proc(p) {}
  static void operator delete(void*) noexcept {}
  process* proc;
  worker_algo* algo = nullptr;
};
} // namespace

fiber_binding::fiber_binding(process* p) noexcept
    : ctx_(boost::fibers::context::active()) {
  ctx_->set_properties(::new (static_cast<void*>(buf_)) fiber_link(ctx_, p));
}

fiber_binding::~fiber_binding() {
  ctx_->set_properties(nullptr);
}

process* current_process() noexcept {
  // Off a process stack (a thread of the program's, a runtime thread, a
  // static destructor after Boost's thread-local state is gone) there is no
  // process, and Boost.Fiber's thread state must not be touched.
  if (!on_process_stack(__builtin_frame_address(0)))
    return nullptr;
  boost::fibers::fiber_properties* props =
      boost::fibers::context::active()->get_properties();
  return props != nullptr ? static_cast<fiber_link*>(props)->proc : nullptr;
}

process* require_process(const char* what) {
  process* p = current_process();
  if (p == nullptr)
    throw std::logic_error(std::string(what)
                           + " must be called from inside a process");
  return p;
}

signal_envelope* make_signal(std::uint32_t kind, pid from) {
  auto* s = new signal_envelope();
  s->kind = kind;
  s->from = std::move(from);
  return s;
}

namespace {

/// Signals the runtime must send even when the heap is exhausted (a dying
/// process's EXITs and DOWNs, shutdown): allocated ahead, and refilled from
/// signals as they are freed.
class signal_reserve {
public:
  static constexpr std::size_t capacity = 4096;

  /// Never destroyed: signals are freed until the very end of the program.
  static signal_reserve& get() {
    static auto* r = new signal_reserve;
    return *r;
  }
  signal_envelope* take() noexcept {
    std::lock_guard<spin_mutex> lk(m_);
    if (n_ == 0)
      return nullptr;
    return slots_[--n_];
  }
  bool full() const noexcept { return n_relaxed() >= capacity; }
  /// Keeps `s` if there is room; false if the caller must delete it.
  bool give(signal_envelope* s) noexcept {
    std::lock_guard<spin_mutex> lk(m_);
    if (n_ >= capacity)
      return false;
    slots_[n_++] = s;
    return true;
  }

private:
  signal_reserve() {
    for (n_ = 0; n_ < capacity; ++n_)
      slots_[n_] = new signal_envelope();
  }
  std::size_t n_relaxed() const noexcept {
    return __atomic_load_n(&n_, __ATOMIC_RELAXED);
  }
  spin_mutex m_;
  std::size_t n_ = 0;
  signal_envelope* slots_[capacity];
};

} // namespace

void reserve_signals() {
  (void)signal_reserve::get();
}

signal_envelope* make_signal_nofail(std::uint32_t kind, pid from) noexcept {
  signal_envelope* s = new (std::nothrow) signal_envelope();
  if (s == nullptr)
    s = signal_reserve::get().take();
  // Reserve spent too: wait for memory rather than lose the signal (links
  // and monitors must hear of every exit).
  for (int tries = 0; s == nullptr; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    s = new (std::nothrow) signal_envelope();
    if (s == nullptr)
      s = signal_reserve::get().take();
  }
  s->kind = kind;
  s->from = std::move(from);
  return s;
}

void dispose(envelope* e) noexcept {
  if (!is_signal_kind(e->kind)) {
    destroy(e);
    return;
  }
  auto* s = static_cast<signal_envelope*>(e);
  // Recycled into the reserve while it is short (after an OOM episode).
  signal_reserve& r = signal_reserve::get();
  if (!r.full()) {
    s->from = pid();
    s->reason = exit_reason();
    s->name.clear();
    s->slot = nullptr;
    if (r.give(s))
      return;
  }
  delete s;
}

void send_exit(process* p, pid from, exit_reason reason,
               exit_flavour flavour) noexcept {
  signal_envelope* s = make_signal_nofail(kind_exit_signal, std::move(from));
  s->reason = std::move(reason);
  s->flavour = flavour;
  push(p, s);
}

std::uint64_t on_pick(boost::fibers::context* ctx, worker_algo* algo) noexcept {
  boost::fibers::fiber_properties* props = ctx->get_properties();
  if (props == nullptr)
    return 0;
  auto* link = static_cast<fiber_link*>(props);
  link->algo = algo;
  return link->proc->serial;
}

process* process_of(boost::fibers::context* ctx) noexcept {
  boost::fibers::fiber_properties* props = ctx->get_properties();
  return props != nullptr ? static_cast<fiber_link*>(props)->proc : nullptr;
}

worker_algo* algo_of(boost::fibers::context* ctx) noexcept {
  boost::fibers::fiber_properties* props = ctx->get_properties();
  return props != nullptr ? static_cast<fiber_link*>(props)->algo : nullptr;
}

namespace {
/// The process overflowed its stack and survived it (the fault handler
/// gave it reserve pages): end it with `stack_overflow`.
void overflow_exit(process* p) {
  if (!p->exiting) {
    p->extras().pending_reason = exit_reason::stack_overflow();
    p->exiting = true;
  }
  // Its destructors may run, but none may wait.
  p->exit_hard = true;
  // Too close to the end of the stack to unwind: the unwinder needs a few
  // KiB, and a destructor would fault again.
  const landing* l = p->landing_;
  if (l != nullptr
      && static_cast<const char*>(__builtin_frame_address(0))
             < l->slot.usable_lo + std::ptrdiff_t{8} * 1024)
    abandon(p);
}
} // namespace

void exit_point(process* p) {
  if (p->overflowed.load(std::memory_order_relaxed)) [[unlikely]]
    overflow_exit(p);
  if (!p->exiting) [[likely]]
    return;
  if (std::uncaught_exceptions() == 0) {
    // Unwind (destructors run). If the process gets here again with nothing
    // unwinding, its code caught the unwinding and went on: unwind again,
    // and after the third time end it without further unwinding (a loop
    // around a `catch (...)` would swallow every unwinding).
    constexpr std::uint8_t max_unwinds = 3;
    if (p->unwinds >= max_unwinds)
      abandon(p);
    ++p->unwinds;
    throw exit_unwind{};
  }
  // A destructor suspends while the process unwinds: allowed, unless the
  // exit may not wait (a kill).
  if (p->exit_hard)
    abandon(p);
}

void check_signals(process* p) {
  if (p->signal_hint.load(std::memory_order_acquire)) {
    p->signal_hint.store(false, std::memory_order_relaxed);
    drain(p);
  }
  exit_point(p);
}

} // namespace otp::detail
