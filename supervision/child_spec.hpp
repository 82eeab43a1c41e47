#pragma once
/// \file child_spec.hpp
/// `child_spec`: how a supervisor starts, restarts and stops one child, and
/// the helpers that build one from a type with
/// `static start_result start_link(args...)` (`worker<T>`,
/// `supervisor_child<T>`), never naming a behaviour.
///
/// ```cpp
/// otp::child_spec a = otp::worker<counter>("counter", 0); // start_link(0)
/// a.restart = otp::restart_type::transient;
/// otp::child_spec b{.id = "raw", .start = [] {
///   return otp::start_link({}, [](otp::starter& s) { s.ack(); /* loop */ });
/// }};
/// ```
///
/// The `start` callable runs inside the supervisor process, once per
/// (re)start, and must return what `otp::start_link` returns: `ok(pid)` of a
/// process linked to the caller, `ignore`, or `error(reason)`. An exception
/// escaping it counts as `error({exception,...})`.
///
/// A spec is a plain value: it is copied into the supervisor, so whatever the
/// callable captures must be safe to use from that process (owning values).

#include "framework/message.hpp"
#include "framework/start.hpp"
#include "supervision/strategy.hpp"

#include <any>
#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace otp {

/// The arguments a dynamic supervisor prepends to every child's start
/// arguments (`dynamic_supervisor::options::extra_arguments`): an
/// `std::tuple<E...>` in an `std::any`, built by `make_extra_arguments`.
/// Empty for a static supervisor.
using extra_arguments = std::any;

/// `extra_arguments` holding `std::tuple<E...>{e...}` (string literals
/// become `std::string`).
template <class... E>
extra_arguments make_extra_arguments(E&&... e) {
  return extra_arguments(
      std::tuple<message_type_t<E>...>(std::forward<E>(e)...));
}

/// How to start a child: a callable `start_result()` or, to receive a
/// dynamic supervisor's extra arguments, `start_result(const
/// extra_arguments&)`. Re-invoked on every restart.
class child_start {
public:
  child_start() = default;
  /// A start that ignores extra arguments.
  template <class F>
    requires(
        !std::same_as<
            std::decay_t<F>,
            child_start> && std::is_invocable_r_v<start_result, std::decay_t<F>&>)
  child_start(F&& f) // NOLINT: implicit, like std::function
      : fn_([f = std::decay_t<F>(std::forward<F>(f))](
                const extra_arguments&) mutable { return f(); }) {}
  /// A start that takes the extra arguments.
  template <class F>
    requires(
        !std::same_as<
            std::decay_t<F>,
            child_start> && !std::is_invocable_v<std::decay_t<F>&> && std::is_invocable_r_v<start_result, std::decay_t<F>&, const extra_arguments&>)
  child_start(F&& f) // NOLINT: implicit, like std::function
      : fn_(std::forward<F>(f)) {}

  /// Start the child (in the calling process, normally the supervisor).
  start_result operator()(const extra_arguments& extra = {}) const {
    return fn_(extra);
  }
  /// False for a default-constructed start (an invalid spec).
  explicit operator bool() const noexcept { return bool(fn_); }

private:
  std::function<start_result(const extra_arguments&)> fn_;
};

/// One child of a supervisor (OTP's child specification map).
struct child_spec {
  /// Unique among the children of a static supervisor; ignored by a dynamic
  /// one. Must not be empty.
  std::string id{};
  /// How to start it (must not be empty).
  child_start start{};
  /// When it is restarted.
  restart_type restart = restart_type::permanent;
  /// How it is terminated; empty: 5000 ms for a worker, infinity for a
  /// supervisor.
  std::optional<child_shutdown> shutdown{};
  /// Worker or supervisor.
  child_type type = child_type::worker;
  /// Whether its ending may end the supervisor (`auto_shutdown`); only for
  /// transient or temporary children.
  bool significant = false;

  /// `shutdown`, or the default for `type`.
  child_shutdown shutdown_or_default() const {
    return shutdown
               ? *shutdown
               : (type == child_type::worker
                      ? child_shutdown::timeout(std::chrono::milliseconds(5000))
                      : child_shutdown::infinity());
  }
};

/// Check `spec` for a supervisor with `mode`. Returns nothing if it is
/// valid, else the reason, naming the bad field:
/// - `{invalid_id,""}`: empty id;
/// - `{missing_start,Id}`: empty start;
/// - `{invalid_shutdown,-5}`: negative timeout;
/// - `{invalid_restart_type,N}` / `{invalid_child_type,N}`: an enum value out
///   of range;
/// - `{bad_combination,[{restart,permanent},{significant,true}]}`;
/// - `{bad_combination,[{auto_shutdown,never},{significant,true}]}`.
std::optional<exit_reason> check_child_spec(const child_spec& spec,
                                            auto_shutdown mode);

/// A type that a supervisor can start with `T::start_link(args...)`.
template <class T, class... A>
concept startable = requires(A&... a) {
  { T::start_link(a...) } -> std::same_as<start_result>;
};

/// Tag for `worker` / `supervisor_child`: `T::start_link` takes the dynamic
/// supervisor's extra arguments, of types `E...`, before its own.
template <class... E>
struct takes_extra {};

namespace detail {
/// `{bad_extra_arguments,...}`: the supervisor's extra arguments are not
/// the `std::tuple<E...>` the child expects.
exit_reason bad_extra_arguments(const std::type_info& expected,
                                const extra_arguments& got);

template <class T, class... A>
child_spec make_spec(std::string id, child_type type, A&&... args) {
  static_assert(startable<T, message_type_t<A>...>,
                "otp::worker<T>: T needs static start_result "
                "start_link(args...) callable with these arguments");
  child_spec s;
  s.id = std::move(id);
  s.type = type;
  s.start = [args = std::tuple<message_type_t<A>...>(
                 std::forward<A>(args)...)]() -> start_result {
    auto copy = args; // a restart must see the original arguments
    return std::apply([](auto&... a) { return T::start_link(a...); }, copy);
  };
  return s;
}

template <class T, class... E, class... A>
child_spec make_spec_extra(std::string id, child_type type, A&&... args) {
  static_assert(startable<T, E..., message_type_t<A>...>,
                "otp::worker<T>(id, takes_extra<E...>{}, args...): T needs "
                "static start_result start_link(E..., args...)");
  child_spec s;
  s.id = std::move(id);
  s.type = type;
  s.start = [args = std::tuple<message_type_t<A>...>(std::forward<A>(args)...)](
                const extra_arguments& x) -> start_result {
    std::tuple<E...> extra;
    if (const auto* e = std::any_cast<std::tuple<E...>>(&x))
      extra = *e;
    else if (x.has_value() || sizeof...(E) != 0)
      return start_result::error(
          bad_extra_arguments(typeid(std::tuple<E...>), x));
    auto all = std::tuple_cat(std::move(extra), args);
    return std::apply([](auto&... a) { return T::start_link(a...); }, all);
  };
  return s;
}
} // namespace detail

/// A permanent worker started with `T::start_link(args...)` (arguments
/// copied in, and copied again for each restart).
template <class T, class... A>
child_spec worker(std::string id, A&&... args) {
  return detail::make_spec<T>(std::move(id), child_type::worker,
                              std::forward<A>(args)...);
}

/// A permanent worker started with `T::start_link(extra..., args...)`,
/// where `extra` are the dynamic supervisor's extra arguments (types `E...`).
template <class T, class... E, class... A>
child_spec worker(std::string id, takes_extra<E...>, A&&... args) {
  return detail::make_spec_extra<T, E...>(std::move(id), child_type::worker,
                                          std::forward<A>(args)...);
}

/// A permanent supervisor child (shutdown infinity) started with
/// `T::start_link(args...)`.
template <class T, class... A>
child_spec supervisor_child(std::string id, A&&... args) {
  return detail::make_spec<T>(std::move(id), child_type::supervisor,
                              std::forward<A>(args)...);
}

/// Like `supervisor_child`, with the dynamic supervisor's extra arguments
/// first.
template <class T, class... E, class... A>
child_spec supervisor_child(std::string id, takes_extra<E...>, A&&... args) {
  return detail::make_spec_extra<T, E...>(std::move(id), child_type::supervisor,
                                          std::forward<A>(args)...);
}

} // namespace otp
