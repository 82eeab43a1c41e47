#pragma once
/// \file spawn.hpp
/// `spawn(fn, args...)`: start a process. The exception -> exit reason
/// boundary lives behind it (spawn.cpp).
///
/// - `fn` and `args` are decay-copied into the new process (they must be
///   isolated, see message.hpp), and `fn(args...)` runs there.
/// - A normal return ends the process with reason `normal`, silently.
/// - An exception escaping `fn` ends it with `exit_reason::exception(type,
///   what)` and writes one error report naming the pid and the `what()`.
///   Nothing reaches `std::terminate`.
/// - A process spawned by a process runs at once on the spawner's scheduler
///   thread (the spawner is queued to continue right after), so a parent that
///   spawns in a loop never builds up a backlog of unstarted children.
/// - Because the child runs first, a short child may already have ended when
///   `spawn` returns: a `monitor(child)` right after it then delivers DOWN
///   `noproc`, and `link(child)` gives `noproc` (Erlang allows both; spawn
///   promises no order). To watch a child from its first instruction, use
///   `spawn_monitor` / `spawn_link`, which set up the monitor or link before
///   the child runs.
///
/// `otp::spawn` must be called from a process; from other threads use
/// `runtime::spawn`.

#include "framework/detail/unique_task.hpp"
#include "framework/message.hpp"
#include "framework/pid.hpp"

#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace otp {

/// Per-process options.
struct spawn_options {
  /// Stack size in bytes (virtual: pages are committed as they are used).
  /// 0 = the runtime's default (`runtime_options::stack_size`).
  std::size_t stack_size = 0;
};

class exit_reason;

namespace detail {
class runtime_impl;
/// Inside a `catch (...)`: the exit reason the current exception stands for
/// (an `exit_error`'s reason, `{exception, Type, what}`, or `nocatch`).
/// Returns false for the runtime's own unwinding (a kill or a hibernate in
/// progress), which the caller must rethrow with `throw;`.
bool current_exception_reason(exit_reason& out);
struct process;

/// Start `body` as a new process of `rt`, or, if `rt` is null, of the
/// calling process's runtime (throwing `std::logic_error` naming `caller`
/// outside a process).
pid spawn_task(runtime_impl* rt, const spawn_options& opts, unique_task body,
               const char* caller = "otp::spawn");

template <class F, class... A>
unique_task make_body(F&& f, A&&... a) {
  // Arguments are copied in like messages (string literals become
  // std::string).
  static_assert(std::is_invocable_v<std::decay_t<F>&, message_type_t<A>&...>,
                "otp::spawn: fn is not callable with these arguments");
  static_assert((is_isolated<message_type_t<A>>::value && ...),
                "otp::spawn: an argument shares mutable state with the "
                "spawner (pointer, reference, view or shared_ptr<T>); pass "
                "owning values");
  unique_task t([fn = std::decay_t<F>(std::forward<F>(f)),
                 args = std::tuple<message_type_t<A>...>(std::forward<A>(
                     a)...)]() mutable { std::apply(fn, args); });
  t.set_origin(&typeid(std::decay_t<F>));
  return t;
}
} // namespace detail

/// Start a process running `fn(args...)`; returns its pid at once.
template <class F, class... A>
pid spawn(F&& fn, A&&... args) {
  return detail::spawn_task(
      nullptr, spawn_options{},
      detail::make_body(std::forward<F>(fn), std::forward<A>(args)...));
}

/// `spawn` with options.
template <class F, class... A>
pid spawn_opt(const spawn_options& opts, F&& fn, A&&... args) {
  return detail::spawn_task(
      nullptr, opts,
      detail::make_body(std::forward<F>(fn), std::forward<A>(args)...),
      "otp::spawn_opt");
}

} // namespace otp
