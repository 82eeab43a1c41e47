#include "framework/detail/process.hpp"

#include "framework/detail/runtime_impl.hpp"

#include <boost/fiber/context.hpp>

#include <exception>
#include <stdexcept>
#include <string>

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

void dispose(envelope* e) noexcept {
  if (is_signal_kind(e->kind))
    delete static_cast<signal_envelope*>(e);
  else
    destroy(e);
}

void send_exit(process* p, pid from, exit_reason reason,
               exit_flavour flavour) noexcept {
  signal_envelope* s = make_signal(kind_exit_signal, std::move(from));
  s->reason = std::move(reason);
  s->flavour = flavour;
  push(p, s);
}

std::uint64_t serial_of(boost::fibers::context* ctx) noexcept {
  boost::fibers::fiber_properties* props = ctx->get_properties();
  return props != nullptr ? static_cast<fiber_link*>(props)->proc->serial : 0;
}

void check_signals(process* p) {
  if (p->signal_hint.load(std::memory_order_acquire)) {
    p->signal_hint.store(false, std::memory_order_relaxed);
    drain(p);
  }
  if (must_unwind(p))
    throw exit_unwind{};
}

} // namespace otp::detail
