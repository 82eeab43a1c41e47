#pragma once
/// \file blocking.hpp
/// `blocking(fn)`: run a call that blocks its OS thread (file I/O, a C
/// library, `std::this_thread::sleep_for`) on the runtime's blocking pool,
/// as Inko's `process.blocking` or Erlang's dirty I/O schedulers. The calling
/// process waits without holding its scheduler thread, so other processes
/// keep running. The result (or the exception) of `fn` is handed back to the
/// caller.
///
/// - The pool grows with demand up to `runtime_options::blocking_threads`
///   (512 by default) and lets idle threads go after `blocking_keep_alive`:
///   calls that wait for each other (a reader and its writer) never
///   deadlock below that limit.
/// - An exit signal ends the waiting process at once, like any other:
///   - a call that has not started is dropped;
///   - a call that is running cannot be stopped from outside, so the process
///     dies as far as everyone else can see (links, monitors, names, `alive`
///     hear of it at once) while `fn` runs on to its end; then its stack
///     unwinds, and `fn`'s result is dropped. Give `fn` a `std::stop_token`
///     parameter to hear of it: stop is requested when the caller exits (and
///     at runtime shutdown), and a `std::stop_callback` can interrupt the
///     call (close a socket, write to a self-pipe).
/// - Runtime shutdown does not wait for calls that never return: it names
///   their processes and leaves their threads running.
///
/// Must be called from a process.

#include <exception>
#include <functional>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace otp {

namespace detail {
/// Runs `fn(arg, token)` on the blocking pool; the calling process waits.
void run_blocking(void (*fn)(void* arg, std::stop_token token) noexcept,
                  void* arg);

template <class F>
constexpr bool takes_stop_token = std::is_invocable_v<F&, std::stop_token>;

template <class F>
using blocking_result_t =
    typename std::conditional_t<takes_stop_token<F>,
                                std::invoke_result<F&, std::stop_token>,
                                std::invoke_result<F&>>::type;
} // namespace detail

/// Run `fn()` (or `fn(std::stop_token)`) on the blocking pool and return its
/// result.
template <class F>
detail::blocking_result_t<F> blocking(F&& fn) {
  using R = detail::blocking_result_t<F>;
  // On the caller's stack: it stays until the call has ended, even if the
  // caller exits meanwhile.
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
      [](void* p, std::stop_token token) noexcept {
        auto& fr = *static_cast<frame*>(p);
        try {
          auto call = [&]() -> decltype(auto) {
            if constexpr (detail::takes_stop_token<F>)
              return fr.fn(std::move(token));
            else
              return fr.fn();
          };
          if constexpr (std::is_void_v<R>)
            call();
          else
            fr.out.emplace(call());
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
