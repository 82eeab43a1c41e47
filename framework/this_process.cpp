#include "framework/this_process.hpp"

#include "framework/detail/mailbox_scan.hpp"
#include "framework/detail/runtime_impl.hpp"

#include <boost/fiber/operations.hpp>

#include <ostream>

namespace otp {

using detail::envelope;
using detail::process;

pid self() {
  process* p = detail::require_process("otp::self");
  detail::retain(p);
  return pid::adopt(p, p->serial);
}

bool alive(const pid& p) noexcept {
  return p
         && p.get()->state.load(std::memory_order_acquire)
                != detail::proc_state::dead;
}

namespace {
std::size_t drop_all(envelope* e, std::ostream* os) {
  std::size_t n = 0;
  while (e != nullptr) {
    envelope* next = e->next;
    if (os != nullptr) {
      e->type->print(*os, e);
      *os << '\n';
    }
    detail::destroy(e);
    e = next;
    ++n;
  }
  return n;
}
} // namespace

std::size_t flush() {
  process* p = detail::require_process("otp::flush");
  detail::check_signals(p);
  return drop_all(detail::mailbox_take_all(p), nullptr);
}

std::size_t flush(std::ostream& os) {
  process* p = detail::require_process("otp::flush");
  detail::check_signals(p);
  return drop_all(detail::mailbox_take_all(p), &os);
}

std::size_t message_queue_len() {
  process* p = detail::require_process("otp::message_queue_len");
  detail::drain(p);
  return p->save_len;
}

void yield() {
  process* p = detail::require_process("otp::yield");
  detail::check_signals(p);
  boost::this_fiber::yield();
  detail::check_signals(p);
}

void sleep(std::chrono::steady_clock::duration d) {
  process* p = detail::require_process("otp::sleep");
  detail::check_signals(p);
  const auto deadline = d >= std::chrono::hours(24 * 365 * 100)
                            ? detail::clock::time_point::max()
                            : detail::clock::now() + d;
  // Start the scan at the end of the queue: sleeping examines nothing, it
  // only moves arrivals into the queue (handling exit signals).
  std::uint32_t id = detail::mailbox_mark(p);
  detail::mailbox_scan scan(p, id);
  for (;;) {
    while (scan.next() != nullptr) {
    }
    if (!scan.wait(deadline))
      return;
  }
}

namespace detail {
void hibernate_task(unique_task continuation) {
  process* p = require_process("otp::hibernate");
  p->extras().continuation = std::move(continuation);
  throw hibernate_unwind{};
}

void hibernate_on_return_task(unique_task continuation) {
  process* p = require_process("otp::hibernate_on_return");
  p->extras().continuation = std::move(continuation);
}
} // namespace detail

} // namespace otp
