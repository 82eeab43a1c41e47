#include "framework/this_process.hpp"

#include "framework/detail/mailbox_scan.hpp"
#include "framework/detail/park.hpp"
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
  // A process sent a kill is not alive (Erlang orders is_process_alive
  // after the caller's signals); for itself it is, as long as it runs code
  // (the kill takes effect at its next suspension point).
  if (!p)
    return false;
  const detail::proc_state s = p.get()->state.load(std::memory_order_acquire);
  return s == detail::proc_state::running
         || (s == detail::proc_state::exiting
             && p.get() == detail::current_process());
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
  detail::yield_now();
  detail::check_signals(p);
}

bool system_stopping() noexcept {
  process* p = detail::current_process();
  return p != nullptr && p->rt->stopping();
}

namespace detail {
void sleep_until(std::chrono::steady_clock::time_point deadline) {
  process* p = require_process("otp::sleep");
  check_signals(p);
  // Start the scan at the end of the queue: sleeping examines nothing, it
  // only moves arrivals into the queue (handling exit signals).
  std::uint32_t id = mailbox_mark(p);
  mailbox_scan scan(p, id);
  for (;;) {
    while (scan.next() != nullptr) {
    }
    if (!scan.wait(deadline))
      return;
  }
}
} // namespace detail

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
