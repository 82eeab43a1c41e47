#pragma once
/// \file child_info.hpp
/// What `which_children` and `count_children` return (docs/semantics.md items
/// 74), for static and dynamic supervisors alike. Plain values.

#include "framework/pid.hpp"
#include "supervision/strategy.hpp"

#include <cstddef>
#include <iosfwd>
#include <string>

namespace otp {

/// The state of one child.
enum class child_status {
  /// It has a process (`pid` is set).
  running,
  /// Its restart failed and is being retried (OTP's `restarting`).
  restarting,
  /// No process: terminated, ignored, or not restarted yet (OTP's
  /// `undefined`).
  undefined
};

/// One entry of `which_children`: OTP's `{Id, Child, Type, Modules}`.
struct child_info {
  /// The spec's id; empty (OTP's `undefined`) for a dynamic supervisor.
  std::string id;
  /// The process; null unless `status == running`.
  otp::pid pid;
  child_status status = child_status::undefined;
  child_type type = child_type::worker;
  friend bool operator==(const child_info&, const child_info&) = default;
};

/// `count_children`: OTP's `[{specs,N},{active,N},{supervisors,N},
/// {workers,N}]`.
struct child_counts {
  /// Every child spec, running or not.
  std::size_t specs = 0;
  /// Children with a live process.
  std::size_t active = 0;
  /// Specs of type supervisor, running or not.
  std::size_t supervisors = 0;
  /// Specs of type worker, running or not.
  std::size_t workers = 0;
  friend bool operator==(const child_counts&, const child_counts&) = default;
};

/// `running`, `restarting`, `undefined`.
const char* to_string(child_status s) noexcept;
std::ostream& operator<<(std::ostream& os, const child_info& c);
std::ostream& operator<<(std::ostream& os, const child_counts& c);

} // namespace otp
