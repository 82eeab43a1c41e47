#pragma once
/// \file detail/task_impl.hpp
/// What task.hpp's templates need: `task_core`, the engine in task.cpp and
/// the bodies task processes run. Included by task.hpp only, between its
/// value types and `class task`.

#include "framework/detail/unique_task.hpp"
#include "framework/message.hpp"
#include "framework/signals.hpp"
#include "framework/this_process.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <ranges>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace otp {

template <class T>
class task;

namespace detail {

/// The owner's view of one task (the fields of Elixir's `%Task{}`).
struct task_core {
  otp::pid pid;
  otp::pid owner;
  /// The owner's alias the reply is sent to.
  alias_ref alias;
  /// The owner's monitor of `pid`; the reply carries it too.
  otp::ref monitor;
  /// The owner's mailbox mark taken before the task could answer.
  std::uint32_t mark = 0;
  /// Its reply or DOWN was taken, or it was given up: nothing more comes.
  bool settled = false;
};

/// The go-ahead a task started by `async_nolink_via` waits for.
struct task_go {
  alias_ref reply_to;
  otp::ref monitor;
};

struct envelope_deleter {
  void operator()(envelope* e) const noexcept { destroy(e); }
};
/// An owned envelope.
using envelope_ptr = std::unique_ptr<envelope, envelope_deleter>;

/// What an operation got from a task: nothing yet (`!done`), its reply, or
/// the reason it ended.
struct task_outcome {
  bool done = false;
  envelope_ptr reply;
  exit_reason reason;
};

// -- owner side (task.cpp) ----------------------------------------------------

/// Before spawning: the owner, a mark and the reply alias.
task_core task_prepare(const char* caller);
/// Spawn `body` linked to and monitored by the caller; fills `c.pid` and
/// `c.monitor` before `body` runs.
void task_spawn(task_core& c, unique_task body);
/// After a spawner started a body: monitor `p` and send it the go-ahead.
void task_connect(task_core& c, otp::pid p);
/// Throw `std::invalid_argument` unless the caller owns `c`.
void task_check_owner(const task_core& c, const char* fn);

envelope_ptr task_await(task_core& c, const type_desc* type,
                        std::chrono::milliseconds timeout);
task_outcome task_yield(task_core& c, const type_desc* type,
                        std::chrono::milliseconds timeout);
task_outcome task_ignore(task_core& c, const type_desc* type);
task_outcome task_shutdown(task_core& c, const type_desc* type,
                           std::chrono::milliseconds timeout, bool brutal);
std::vector<envelope_ptr> task_await_many(const std::vector<task_core*>& cs,
                                          const type_desc* type,
                                          std::chrono::milliseconds timeout);
std::vector<task_outcome> task_yield_many(const std::vector<task_core*>& cs,
                                          const type_desc* type,
                                          const yield_many_options& opts);

/// Starts the next task of a stream (in input order) into `out`; false
/// when no input is left.
using stream_start = bool (*)(void* source, task_core& out);
/// One element of a stream, in completion order.
struct stream_item {
  std::size_t index;
  task_outcome outcome;
};
std::vector<stream_item> task_stream(stream_start start, void* source,
                                     const type_desc* type,
                                     const async_stream_options& opts);

// -- task side (task.cpp) -----------------------------------------------------

/// In a task spawned by `task_spawn`: the ref of its owner's monitor.
otp::ref task_monitor_of(const otp::pid& owner);
/// In a task started by a spawner: wait for the owner's go-ahead; exit
/// `{shutdown,Reason}` if the owner ends first.
task_go task_await_go(const otp::pid& owner);

// -- templates ----------------------------------------------------------------

template <class F, class... A>
using task_fn_result_t =
    std::invoke_result_t<std::decay_t<F>&, message_type_t<A>&...>;

/// What a task of `fn(args...)` delivers: its result, or `ok_t` for void.
template <class F, class... A>
using task_value_t =
    std::conditional_t<std::is_void_v<task_fn_result_t<F, A...>>, ok_t,
                       std::decay_t<task_fn_result_t<F, A...>>>;

/// What `async_stream(inputs, fn)` delivers per element.
template <class R, class F>
using stream_value_t = task_value_t<F, std::ranges::range_value_t<R>>;

/// Run `fn(args...)` and send the result to `to` as `task_reply{r, ...}`.
template <class T, class F, class Tuple>
void task_run(F& fn, Tuple& args, const alias_ref& to, const otp::ref& r) {
  if constexpr (std::is_same_v<decltype(std::apply(fn, args)), void>) {
    std::apply(fn, args);
    send(to, task_reply<T>{r, ok_t{}});
  } else {
    send(to, task_reply<T>{r, T(std::apply(fn, args))});
  }
}

template <class F, class... A>
constexpr void task_checks() {
  static_assert(std::is_invocable_v<std::decay_t<F>&, message_type_t<A>&...>,
                "otp::async: fn is not callable with these arguments");
  static_assert((is_isolated<message_type_t<A>>::value && ...),
                "otp::async: an argument shares mutable state; pass owning "
                "values");
  static_assert(message<task_value_t<F, A...>>,
                "otp::async: the result type shares mutable state; return "
                "owning values");
}

template <class F, class... A>
task_core async_linked(F&& fn, A&&... args) {
  task_checks<F, A...>();
  using T = task_value_t<F, A...>;
  task_core c = task_prepare("otp::async");
  task_spawn(c, unique_task([fn = std::decay_t<F>(std::forward<F>(fn)),
                             args = std::tuple<message_type_t<A>...>(
                                 std::forward<A>(args)...),
                             to = c.alias]() mutable {
               task_run<T>(fn, args, to, task_monitor_of(to.pid));
             }));
  return c;
}

template <class Spawner, class F, class... A>
task_core async_nolink(Spawner& spawner, F&& fn, A&&... args) {
  task_checks<F, A...>();
  using T = task_value_t<F, A...>;
  task_core c;
  c.owner = self();
  otp::pid p = spawner(unique_task(
      [fn = std::decay_t<F>(std::forward<F>(fn)),
       args = std::tuple<message_type_t<A>...>(std::forward<A>(args)...),
       owner = c.owner]() mutable {
        const task_go go = task_await_go(owner);
        task_run<T>(fn, args, go.reply_to, go.monitor);
      }));
  task_connect(c, std::move(p));
  return c;
}

template <class T>
T task_take(envelope_ptr& e) {
  T v = std::move(
      static_cast<typed_envelope<task_reply<T>>*>(e.get())->value.value);
  e.reset();
  return v;
}

template <class T>
std::optional<task_result<T>> task_to_result(task_outcome&& o) {
  if (!o.done)
    return std::nullopt;
  if (o.reply)
    return task_result<T>(task_take<T>(o.reply));
  return task_result<T>(std::move(o.reason));
}

template <class T>
const type_desc* reply_type() noexcept {
  return &type_desc_of<task_reply<T>>;
}

template <class T>
std::vector<task_core*> cores_of(std::vector<task<T>>& tasks) {
  std::vector<task_core*> cs;
  cs.reserve(tasks.size());
  for (auto& t : tasks)
    cs.push_back(&t.core());
  return cs;
}

template <class T>
std::vector<T> await_many_impl(std::vector<task<T>>& tasks,
                               std::chrono::milliseconds timeout) {
  auto replies = task_await_many(cores_of(tasks), reply_type<T>(), timeout);
  std::vector<T> out;
  out.reserve(replies.size());
  for (auto& e : replies)
    out.push_back(task_take<T>(e));
  return out;
}

template <class T>
std::vector<std::optional<task_result<T>>>
yield_many_impl(std::vector<task<T>>& tasks, const yield_many_options& opts) {
  auto got = task_yield_many(cores_of(tasks), reply_type<T>(), opts);
  std::vector<std::optional<task_result<T>>> out;
  out.reserve(got.size());
  for (auto& o : got)
    out.push_back(task_to_result<T>(std::move(o)));
  return out;
}

/// `v` printed, or `#<type>` if it has no `operator<<`.
template <class V>
std::string task_print(const V& v) {
  std::ostringstream os;
  if constexpr (printable<V>)
    os << v;
  else
    print_unprintable(os, typeid(V));
  return os.str();
}

template <class R, class F>
std::vector<task_result<stream_value_t<R, F>>>
async_stream_impl(R& inputs, F& fn, const async_stream_options& opts) {
  using T = stream_value_t<R, F>;
  using It = std::ranges::iterator_t<R>;
  using S = std::ranges::sentinel_t<R>;
  struct source {
    It it;
    S end;
    F& fn;
    bool zip;
    std::vector<std::string> texts;
    static bool start(void* self, task_core& out) {
      auto& me = *static_cast<source*>(self);
      if (me.it == me.end)
        return false;
      if (me.zip)
        me.texts.push_back(task_print(*me.it));
      out = async_linked(me.fn, *me.it);
      ++me.it;
      return true;
    }
  } src{std::ranges::begin(inputs),
        std::ranges::end(inputs),
        fn,
        opts.zip_input_on_exit,
        {}};
  auto items = task_stream(&source::start, &src, reply_type<T>(), opts);
  if (opts.ordered)
    std::sort(items.begin(), items.end(),
              [](const auto& x, const auto& y) { return x.index < y.index; });
  std::vector<task_result<T>> out;
  out.reserve(items.size());
  for (auto& item : items) {
    if (!item.outcome.reply && opts.zip_input_on_exit)
      item.outcome.reason = exit_reason::with_input(
          src.texts[item.index], std::move(item.outcome.reason));
    out.push_back(std::move(*task_to_result<T>(std::move(item.outcome))));
  }
  return out;
}

} // namespace detail

template <class T>
std::ostream& operator<<(std::ostream& os, const task_result<T>& r) {
  if (r.exited())
    return os << "{exit," << r.reason() << "}";
  return os << "{ok," << detail::task_print(r.value()) << "}";
}

} // namespace otp
