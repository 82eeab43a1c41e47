#pragma once
/// \file this_process.hpp
/// What a process does to itself and to others: `self`, `send`, `alive`,
/// `flush`, `yield`, `sleep`, `hibernate` (mirrors `boost::this_fiber`).
///
/// Every function here except `send` and `alive` must be called from inside a
/// process and throws `std::logic_error` otherwise. `send` and `alive` work
/// from any thread. `yield`, `sleep`, `receive` and `blocking` are suspension
/// points: a pending exit signal terminates the process there.

#include "framework/detail/deadline.hpp"
#include "framework/detail/unique_task.hpp"
#include "framework/message.hpp"
#include "framework/pid.hpp"
#include "framework/receive.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <iosfwd>

namespace otp {

namespace detail {
[[noreturn]] void hibernate_task(unique_task continuation);
/// `sleep`, with the deadline already saturated.
void sleep_until(std::chrono::steady_clock::time_point deadline);
void hibernate_on_return_task(unique_task continuation);
} // namespace detail

/// The pid of the calling process.
pid self();

/// Whether `p` names a process that has not exited yet (`Process.alive?`).
bool alive(const pid& p) noexcept;

/// Send `msg` to `to`: moved (or copied) into its mailbox. Sending to a dead
/// process, or to the null pid, silently drops the message, as in Erlang.
/// Per-sender order is kept. Returns nothing; never blocks.
template <class M>
void send(const pid& to, M&& msg) {
  using T = message_type_t<M>;
  static_assert(!std::is_pointer_v<T>,
                "otp::send: raw pointers cannot cross a process boundary; "
                "send a value, or std::shared_ptr<const T> for a large "
                "immutable payload");
  static_assert(message<T>,
                "otp::send: the message type shares mutable state (a "
                "reference, view, span or shared_ptr<T> with non-const T); "
                "send owning values or std::shared_ptr<const T>");
  if (!to)
    return;
  detail::push(to.get(), detail::make_envelope<T>(std::forward<M>(msg)));
}

/// Drop every message in the mailbox; returns how many there were.
std::size_t flush();
/// Print every message in the mailbox to `os`, one per line, and drop them
/// (IEx's `flush()`). Returns how many there were.
std::size_t flush(std::ostream& os);

/// Number of messages waiting in the calling process's mailbox.
std::size_t message_queue_len();

/// Let other processes run; this process stays ready.
void yield();

/// True once the calling process's runtime has begun `shutdown()` (Erlang's
/// `init:get_status()` answering `stopping`): every process is about to get
/// `shutdown`, so a supervisor restarts nothing from then on. False outside
/// a process.
bool system_stopping() noexcept;

/// Suspend the calling process for `d` (Erlang's `timer:sleep/1`). Messages
/// that arrive meanwhile stay queued. Any duration type; 100 years or more
/// (or `otp::infinity`) never ends; zero or negative only lets other
/// processes run (a suspension point still).
template <class Rep, class Period>
void sleep(std::chrono::duration<Rep, Period> d) {
  detail::sleep_until(detail::deadline_after(d, "otp::sleep: duration"));
}

/// `erlang:hibernate/3`: give up the stack (RAII destructors run as it
/// unwinds) and wait for the next message without one; when it arrives run
/// `continuation` on a fresh stack. If a message is already queued the
/// continuation starts at once. Never returns.
template <class F>
[[noreturn]] void hibernate(F&& continuation) {
  detail::hibernate_task(detail::unique_task(std::forward<F>(continuation)));
}

/// Hibernate without unwinding: when the calling process's body (the
/// function it was spawned with, or the continuation it is running) returns,
/// the process gives up its stack and runs `continuation` on a fresh one
/// when the next message arrives (at once if one is already queued). Calling
/// it again replaces the continuation. Cheaper than `hibernate` (nothing is
/// thrown); made for loops written as "handle one message, then return", such
/// as a GenServer's.
template <class F>
void hibernate_on_return(F&& continuation) {
  detail::hibernate_on_return_task(
      detail::unique_task(std::forward<F>(continuation)));
}

} // namespace otp
