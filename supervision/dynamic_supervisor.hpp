#pragma once
/// \file dynamic_supervisor.hpp
/// `otp::dynamic_supervisor`: Elixir's `DynamicSupervisor` (docs/semantics.md
/// 78-82). It starts with no children; children are added with
/// `start_child`, have no id that matters and no order, and are all
/// restarted one_for_one.
///
/// - `start_child` ignores the spec's id (two children may share it); a
///   start returning `ignore` adds nothing and returns `ignore`;
/// - at `max_children` children (those being restarted included) it
///   returns `error(max_children)`;
/// - `extra_arguments` are *prepended* to each child's start arguments, also
///   on restarts (Erlang's `simple_one_for_one` appends instead): a child
///   built with `otp::worker<T>(id, otp::takes_extra<E...>{}, args...)` is
///   started as `T::start_link(e..., args...)`, with `options::
///   extra_arguments = otp::make_extra_arguments(e...)`; a spec whose start
///   callable takes `const extra_arguments&` receives them as they are; a
///   plain start callable ignores them;
/// - restarts, reports and intensity are as in `supervisor` (default 3 in
///   5 s; exceeding it ends the supervisor with `shutdown`);
/// - on shutdown every child is signalled at once (not in order), and each
///   is killed when its own shutdown timeout passes (one deadline per
///   shutdown value, like Elixir's grouped timers);
/// - only `strategy::one_for_one` and `auto_shutdown::never` are accepted
///   (else `{supervisor_data,{invalid_strategy,..}}` /
///   `{supervisor_data,{invalid_auto_shutdown,..}}`).
///
/// Client functions may be called from any process but the supervisor; they
/// never throw (failures of the call itself as in supervisor.hpp).
/// `supervisor::which_children`, `count_children`, `stop`, `try_stop` and
/// `get_state` work here too, as do `otp::stop` and the `sys` functions
/// (framework/sys.hpp; suspended, it restarts nothing until resumed).

#include "framework/result.hpp"
#include "framework/server_ref.hpp"
#include "framework/start.hpp"
#include "supervision/child_info.hpp"
#include "supervision/child_spec.hpp"
#include "supervision/strategy.hpp"

#include <chrono>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace otp::dynamic_supervisor {

/// Options (Elixir's defaults).
struct options {
  /// Only one_for_one is accepted.
  otp::strategy strategy = otp::strategy::one_for_one;
  int max_restarts = 3;
  std::chrono::seconds max_seconds{5};
  /// The most children at once (restarting ones count);
  /// `std::numeric_limits<std::size_t>::max()` is Elixir's `:infinity`.
  std::size_t max_children = std::numeric_limits<std::size_t>::max();
  /// Prepended to every child's start arguments (see the file comment).
  extra_arguments extra{};
  /// Only never is accepted.
  otp::auto_shutdown auto_shutdown = otp::auto_shutdown::never;
  /// Register under this name (empty: none).
  std::string name{};
};

/// Start an empty dynamic supervisor linked to the caller. Results:
/// `ok(pid)`; `error({already_started,Pid})`;
/// `error({supervisor_data,{invalid_intensity|invalid_period|
/// invalid_strategy|invalid_auto_shutdown,V}})` (the supervisor ended with
/// it, which also ends a non-trapping linked caller).
start_result start_link(options opts = {});

/// Like `start_link`, without a link (and so without a parent).
start_result start(options opts = {});

/// A child spec for a nested dynamic supervisor (type supervisor).
child_spec spec(std::string id, options opts = {});

/// Start a child. Results: `ok(pid)`; `ignore` (nothing added);
/// `error(max_children)`; `error(E)` for an invalid spec
/// (`check_child_spec`; `significant` is always a bad combination here) or
/// the child's start error `E`; call failure.
start_result start_child(const server_ref& sup, child_spec spec,
                         std::chrono::milliseconds timeout = otp::infinity);

/// Terminate child `child` by its shutdown (its spec goes too). Results:
/// ok; `error(not_found)` if it is not a child (any more); call failure.
result<void> terminate_child(const server_ref& sup, const otp::pid& child,
                             std::chrono::milliseconds timeout = otp::infinity);

/// Every child, id empty (`undefined`). Results: the list; call failure.
result<std::vector<child_info>>
which_children(const server_ref& sup,
               std::chrono::milliseconds timeout = otp::infinity);

/// `specs`/`active`/`supervisors`/`workers`. Results: the counts; call
/// failure.
result<child_counts>
count_children(const server_ref& sup,
               std::chrono::milliseconds timeout = otp::infinity);

namespace detail {
/// The process body (shared with task_supervisor, whose `kind` differs).
void run(starter& s, const options& opts, bool linked, const char* kind);
/// Start a dynamic supervisor of `kind`, linked or not.
start_result start_as(options opts, bool link, const char* kind);
} // namespace detail

} // namespace otp::dynamic_supervisor
