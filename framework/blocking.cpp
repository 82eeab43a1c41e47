#include "framework/blocking.hpp"

#include "framework/detail/runtime_impl.hpp"

#include <boost/fiber/context.hpp>

namespace otp::detail {

void run_blocking(void (*fn)(void*) noexcept, void* arg) {
  process* p = require_process("otp::blocking");
  check_signals(p);
  boost::fibers::context* ctx = boost::fibers::context::active();
  const std::size_t e =
      ctx->waker_epoch_.fetch_add(1, std::memory_order_acq_rel) + 1;
  p->epoch = e;
  p->rt->blocking.submit({fn, arg, ctx, e});
  // Only the pool thread knows `e`: it resumes us when `fn` has returned.
  ctx->suspend();
  check_signals(p);
}

} // namespace otp::detail
