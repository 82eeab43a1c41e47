#pragma once
/// \file exception_trace.hpp
/// Internal: the stacks of recent throws of a process, recorded when its
/// runtime has `runtime_options::exception_traces` (exception_trace.cpp).
///
/// Every throw in the program passes through our `__cxa_throw`, which costs
/// one relaxed load while no runtime traces. With tracing on, a throw inside
/// a process records the thrown object's address and the return addresses
/// of the throwing stack in a ring of `throw_log::slots` entries of that
/// process; when the library turns an exception into an exit reason it takes
/// the entry of the exception being handled (a rethrow keeps the object, so
/// it keeps the stack of the first throw, as Erlang's `raise` does).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace otp::detail {

struct process;

/// One recorded throw.
struct throw_record {
  static constexpr std::size_t max_frames = 32;
  const void* object = nullptr;
  std::size_t depth = 0;
  std::array<void*, max_frames> frames{};
};

/// The last throws of one process (allocated at its first traced throw).
struct throw_log {
  static constexpr std::size_t slots = 4;
  std::array<throw_record, slots> records{};
  std::size_t next = 0;
};

/// A runtime with `exception_traces` starts (true) or ends (false).
void count_tracing_runtime(bool starts) noexcept;

/// Inside a catch: the stack recorded for the exception being handled by
/// the calling process (innermost frame first), or empty.
std::vector<std::uintptr_t> handled_exception_trace() noexcept;

/// `frames` as text, one line per frame (`#0 function at file:line`), each
/// line starting with `indent`. Symbolized on a thread of its own (never on
/// a small process stack); safe to call from any thread.
std::string symbolize(const std::vector<std::uintptr_t>& frames,
                      const char* indent);

} // namespace otp::detail
