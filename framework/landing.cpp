#include "framework/detail/landing.hpp"

#include "framework/detail/process.hpp"

#include <cxxabi.h>

namespace otp::detail {

namespace {
/// The layout of libstdc++'s `__cxa_eh_globals` (the Itanium C++ ABI's).
struct eh_globals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};

// `__cxa_get_globals` is declared `const`, so the compiler may reuse its
// result within a function; a fiber that resumes on another thread needs a
// fresh one. Each caller below calls it once, and none is inlined into code
// that suspends.
[[gnu::noinline]] eh_globals* globals() noexcept {
  return reinterpret_cast<eh_globals*>(abi::__cxa_get_globals());
}
} // namespace

[[gnu::noinline]] bool run_landed(process* p, landing& l, unique_task& task) {
  p->landing_ = &l;
  // Disarmed however `task` ends; a hibernating process must not leave a
  // pointer to this frame behind.
  struct disarm {
    process* p;
    landing& l;
    ~disarm() {
      l.armed = false;
      p->landing_ = nullptr;
    }
  } guard{p, l};
  if (__builtin_setjmp(l.jmp) != 0)
    return false;
  l.armed = true;
  task();
  return true;
}

void abandon(process* p) {
  if (p->landing_ == nullptr || !p->landing_->armed)
    throw exit_unwind{};
  // The dropped frames may have been inside a catch block or unwinding.
  eh_globals* g = globals();
  g->caught_exceptions = nullptr;
  g->uncaught_exceptions = 0;
  __builtin_longjmp(p->landing_->jmp, 1);
}

[[gnu::noinline]] eh_state eh_take() noexcept {
  eh_globals* g = globals();
  eh_state s{g->caught_exceptions, g->uncaught_exceptions};
  if (!s.empty()) {
    g->caught_exceptions = nullptr;
    g->uncaught_exceptions = 0;
  }
  return s;
}

[[gnu::noinline]] void eh_put(const eh_state& s) noexcept {
  if (s.empty())
    return;
  eh_globals* g = globals();
  g->caught_exceptions = s.caught;
  g->uncaught_exceptions = s.uncaught;
}

} // namespace otp::detail
