#pragma once
/// \file strategy.hpp
/// The small vocabulary of supervision, with OTP's words: `strategy`
/// (one_for_one, one_for_all, rest_for_one), `restart_type` (permanent,
/// transient, temporary), `child_type` (worker, supervisor),
/// `auto_shutdown` (never, any_significant, all_significant) and
/// `child_shutdown` (brutal_kill, a timeout in milliseconds, infinity).
///
/// Plain value types: no thread-safety concerns of their own.

#include <chrono>
#include <iosfwd>
#include <string>

namespace otp {

/// What a supervisor does when a child has to be restarted
/// (docs/semantics.md item 66).
enum class strategy {
  /// Restart only the child that ended.
  one_for_one,
  /// Terminate all other children (reverse start order), then restart all
  /// (start order).
  one_for_all,
  /// Terminate the children started after the one that ended (reverse
  /// order), then restart it and them (start order).
  rest_for_one
};

/// When a child that ended is restarted (docs/semantics.md item 67).
enum class restart_type {
  /// Always, whatever the reason (also `normal`).
  permanent,
  /// Unless the reason is `normal`, `shutdown` or `{shutdown, _}`.
  transient,
  /// Never; its spec is deleted when it ends.
  temporary
};

/// What a child is: a worker or a supervisor (changes the default shutdown
/// and what `count_children` counts).
enum class child_type { worker, supervisor };

/// When the ending of significant children ends the supervisor
/// (docs/semantics.md item 75).
enum class auto_shutdown {
  /// Never (the default; `significant` children are then invalid).
  never,
  /// When any significant child ends on its own (not by a restart).
  any_significant,
  /// When the last running significant child ends on its own.
  all_significant
};

/// How a child is terminated (docs/semantics.md item 64): `brutal_kill` (an
/// untrappable `kill` at once), `timeout(ms)` (`exit(child, shutdown)`, then
/// `kill` after `ms`) or `infinity` (`exit(child, shutdown)` and wait as long
/// as it takes; the default for supervisors).
class child_shutdown {
public:
  enum class kind { brutal_kill, timeout, infinity };

  /// `brutal_kill`.
  static child_shutdown brutal_kill() noexcept {
    return child_shutdown(kind::brutal_kill, {});
  }
  /// `exit(child, shutdown)`, then `kill` after `ms`. A negative `ms` is
  /// rejected when the child spec is checked (`{invalid_shutdown,-5}`).
  static child_shutdown timeout(std::chrono::milliseconds ms) noexcept {
    return child_shutdown(kind::timeout, ms);
  }
  /// Wait for the child as long as it takes.
  static child_shutdown infinity() noexcept {
    return child_shutdown(kind::infinity, {});
  }

  kind what() const noexcept { return kind_; }
  /// The timeout (only meaningful for `kind::timeout`).
  std::chrono::milliseconds time() const noexcept { return time_; }
  /// `brutal_kill`, `5000` or `infinity`.
  std::string to_string() const;
  friend bool operator==(const child_shutdown&,
                         const child_shutdown&) noexcept = default;

private:
  child_shutdown(kind k, std::chrono::milliseconds t) noexcept
      : kind_(k),
        time_(t) {}
  kind kind_;
  std::chrono::milliseconds time_;
};

/// `one_for_one`, ...
const char* to_string(strategy s) noexcept;
/// `permanent`, `transient`, `temporary`.
const char* to_string(restart_type r) noexcept;
/// `worker`, `supervisor`.
const char* to_string(child_type t) noexcept;
/// `never`, `any_significant`, `all_significant`.
const char* to_string(auto_shutdown a) noexcept;

std::ostream& operator<<(std::ostream& os, const child_shutdown& s);

} // namespace otp
