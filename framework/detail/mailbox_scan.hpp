#pragma once
/// \file detail/mailbox_scan.hpp
/// The non-template engine behind `receive`: walks the mailbox oldest first,
/// never re-examining a message within one `receive` call, and parks the
/// process when it runs out of messages. Owner-side only.

#include "framework/detail/process_handle.hpp"
#include "framework/message.hpp"

#include <chrono>
#include <cstdint>

namespace otp::detail {

using clock = std::chrono::steady_clock;

class mailbox_scan {
public:
  /// Start at the oldest message, or just after the mailbox mark when
  /// `mark_id` names the current mark.
  mailbox_scan(process* p, std::uint32_t mark_id = 0);

  /// The next unexamined message, or nullptr if there is none right now.
  /// Moves newly arrived messages into the save queue (handling signals).
  envelope* next();
  /// Unlink the message last returned by `next()`; the caller owns it.
  void take(envelope* e) noexcept;
  /// Park until a new message arrives (true) or `deadline` passes (false).
  bool wait(clock::time_point deadline);

private:
  process* p_;
  envelope* prev_ = nullptr; ///< last examined node that stays queued
  envelope* cur_ = nullptr;  ///< last returned node
  bool started_ = false;
};

/// Take a mark: later, `mailbox_scan(p, id)` skips everything that arrived
/// before it. O(1).
std::uint32_t mailbox_mark(process* p) noexcept;

/// Remove every queued message; returns them oldest first as a chain.
envelope* mailbox_take_all(process* p);

} // namespace otp::detail
