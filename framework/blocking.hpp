#pragma once
/// \file blocking.hpp
/// `blocking(fn)`: run a call that blocks its OS thread (file I/O, a C
/// library, `std::this_thread::sleep_for`) on the runtime's separate blocking
/// pool, as Inko's `process.blocking`. The calling process waits without
/// holding its scheduler thread, so other processes keep running. The result
/// (or the exception) of `fn` is handed back to the caller.
///
/// The end of a blocking call is a suspension point: an exit signal that
/// arrived meanwhile terminates the process there, after `fn` has finished.
/// Must be called from a process.

#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace otp {

namespace detail {
/// Runs `fn(arg)` on the blocking pool; the calling process waits.
void run_blocking(void (*fn)(void*) noexcept, void* arg);
} // namespace detail

/// Run `fn()` on the blocking pool and return its result.
template <class F>
std::invoke_result_t<F&> blocking(F&& fn) {
  using R = std::invoke_result_t<F&>;
  struct frame {
    F& fn;
    std::exception_ptr error;
    std::conditional_t<
        std::is_void_v<R>, bool,
        std::optional<std::conditional_t<
            std::is_reference_v<R>,
            std::reference_wrapper<std::remove_reference_t<R>>, R>>>
        out{};
  } f{fn, nullptr};
  detail::run_blocking(
      [](void* p) noexcept {
        auto& fr = *static_cast<frame*>(p);
        try {
          if constexpr (std::is_void_v<R>)
            fr.fn();
          else
            fr.out.emplace(fr.fn());
        } catch (...) {
          fr.error = std::current_exception();
        }
      },
      &f);
  if (f.error)
    std::rethrow_exception(f.error);
  if constexpr (!std::is_void_v<R>)
    return static_cast<R>(*std::move(f.out));
}

} // namespace otp
