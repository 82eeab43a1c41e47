#pragma once
/// \file detail/gen_server_checks.hpp
/// Compile-time checks of a GenServer's callbacks, so that a callback the
/// loop would never call does not compile (a `void terminate()`, a
/// `handle_info(const tick&)` overload that no `info_types` lists, an
/// `init` the start arguments do not fit), and the list of message types
/// `handle_info` receives. Used by gen_server_impl.hpp only; pure types.
///
/// How a callback is found: C++20 cannot enumerate a class's overloads, but
/// it can tell whether a class declares a member of a given name at all
/// (any signature, template or not, public or not): a class derived from
/// both `S` and a class that declares the name finds it ambiguous exactly
/// when `S` declares it too. A declared callback that the loop's call does
/// not fit is then a static_assert naming the callback and the signature
/// it needs. This needs a class that can be derived from: for a `final`
/// server only the call itself is checked.
///
/// What handle_info receives:
/// - every `T` of `using info_types = otp::types<T...>;`;
/// - the `T` of a single, non-template `handle_info(const T&)` (deduced from
///   its address: no list needed);
/// - anything else goes to `handle_info(otp::any_message&)` if there is one,
///   else it is logged as unexpected and dropped (Erlang's default).
/// Several `handle_info` overloads (or a template) without `info_types` do
/// not compile: which types they take cannot be found out, and a message of
/// a type they take would be dropped (or reach the catch-all) in silence.

#include "behaviours/server_action.hpp"
#include "framework/exit_reason.hpp"
#include "framework/message.hpp"

#include <concepts>
#include <string>
#include <type_traits>

namespace otp {

/// A list of message types (for `info_types`).
template <class... T>
struct types {};

namespace detail {

template <class...>
inline constexpr bool callback_never = false;

// -- does S declare a member of this name? -----------------------------------

struct callback_names {
  void init();
  void handle_info();
  void terminate();
  void format_status();
};
template <class S>
struct callback_probe : S, callback_names {};

template <class S>
concept probe_ok = std::is_class_v<S> && !std::is_final_v<S>;

template <class S>
concept declares_init = probe_ok<S> && !requires {
  &callback_probe<S>::init;
};
template <class S>
concept declares_handle_info = probe_ok<S> && !requires {
  &callback_probe<S>::handle_info;
};
template <class S>
concept declares_terminate = probe_ok<S> && !requires {
  &callback_probe<S>::terminate;
};
template <class S>
concept declares_format_status = probe_ok<S> && !requires {
  &callback_probe<S>::format_status;
};

// -- one member function, its signature ---------------------------------------

/// The parameter of a one-parameter member function pointer.
template <class M>
struct one_param {
  static constexpr bool value = false;
};
template <class C, class R, class A, bool NE>
struct one_param<R (C::*)(A) noexcept(NE)> {
  static constexpr bool value = true;
  using type = A;
};
template <class C, class R, class A, bool NE>
struct one_param<R (C::*)(A) const noexcept(NE)> : one_param<R (C::*)(A)> {};

/// `S` has exactly one `handle_info`, not a template.
template <class S>
concept single_handle_info = requires {
  &S::handle_info;
};

template <class S>
concept has_info_types = requires {
  typename S::info_types;
};

/// `s.handle_info(any_message&)`: the catch-all.
template <class S>
concept info_catch_all = requires(S& s, any_message& m) {
  { s.handle_info(m) } -> std::convertible_to<cast_result>;
};

template <class S, class T>
concept info_handles = requires(S& s, T& v) {
  { s.handle_info(v) } -> std::convertible_to<cast_result>;
};

/// The message type of S's single `handle_info(const T&)`; `any_message`
/// for the catch-all or when there is none.
template <class S>
struct deduced_info {
  using type = any_message;
};
template <single_handle_info S>
requires one_param<decltype(&S::handle_info)>::value struct deduced_info<S> {
  using type =
      std::remove_cvref_t<typename one_param<decltype(&S::handle_info)>::type>;
};

template <class L, class T>
struct append_type;
template <class... L, class T>
struct append_type<types<L...>, T> {
  using type = types<L..., T>;
};
template <class... L>
struct append_type<types<L...>, any_message> {
  using type = types<L...>;
};

template <class S>
struct listed_info {
  using type = types<>;
};
template <has_info_types S>
struct listed_info<S> {
  using type = typename S::info_types;
};

/// Every type `handle_info` is called with (see the file comment).
template <class S>
using info_list_t = typename append_type<typename listed_info<S>::type,
                                         typename deduced_info<S>::type>::type;

// -- the checks -----------------------------------------------------------------

template <class S, class T>
constexpr bool check_listed_info() {
  static_assert(info_handles<S, T>,
                "otp::gen_server: a type listed in info_types has no "
                "handle_info: every T of `using info_types = "
                "otp::types<T...>;` needs a public `otp::cast_result "
                "handle_info(const T&)` (T is in this function's template "
                "arguments)");
  return true;
}

template <class S, class... T>
constexpr bool check_info_types(types<T...>) {
  return (check_listed_info<S, T>() && ... && true);
}

template <class S>
constexpr bool check_handle_info() {
  if constexpr (has_info_types<S>) {
    check_info_types<S>(typename S::info_types{});
  } else if constexpr (single_handle_info<S>) {
    using M = decltype(&S::handle_info);
    static_assert(one_param<M>::value,
                  "otp::gen_server: handle_info takes one parameter, the "
                  "message: `otp::cast_result handle_info(const T&)` or "
                  "`otp::cast_result handle_info(otp::any_message&)`");
    if constexpr (one_param<M>::value) {
      using T = std::remove_cvref_t<typename one_param<M>::type>;
      if constexpr (std::is_same_v<T, any_message>)
        static_assert(info_catch_all<S>,
                      "otp::gen_server: the catch-all is `otp::cast_result "
                      "handle_info(otp::any_message& m)` (any_message is "
                      "move-only: take it by reference)");
      else
        static_assert(info_handles<S, T>,
                      "otp::gen_server: handle_info must be public and "
                      "`otp::cast_result handle_info(const T&)` (return "
                      "noreply() or stop(reason))");
    }
  } else if constexpr (declares_handle_info<S> && !info_catch_all<S>) {
    static_assert(callback_never<S>,
                  "otp::gen_server: S declares handle_info, but it is "
                  "overloaded (or a template) and S has no info_types, or "
                  "it is not public. A message reaches handle_info(const "
                  "T&) only if T is listed: add `using info_types = "
                  "otp::types<T...>;` with every T it takes (the types "
                  "cannot be found out from the overloads)");
  } else if constexpr (declares_handle_info<S>) {
    static_assert(callback_never<S>,
                  "otp::gen_server: S has handle_info(otp::any_message&) and "
                  "other handle_info overloads, but no info_types: every "
                  "message would reach the catch-all. Add `using info_types "
                  "= otp::types<T...>;` listing the T of each "
                  "handle_info(const T&)");
  }
  return true;
}

template <class S>
constexpr bool check_callbacks() {
  check_handle_info<S>();
  if constexpr (declares_terminate<S>)
    static_assert(
        requires(S & s, const exit_reason& r) { s.terminate(r); },
        "otp::gen_server: S::terminate would never be called: the "
        "callback is a public `void terminate(const "
        "otp::exit_reason& reason)`");
  if constexpr (declares_format_status<S>)
    static_assert(
        requires(S & s) {
          { s.format_status() } -> std::convertible_to<std::string>;
        },
        "otp::gen_server: S::format_status would never be called: the "
        "callback is a public `std::string format_status()` (const or not)");
  return true;
}

// -- init ------------------------------------------------------------------------

/// Instantiated only to fail. Its template arguments, which the compiler
/// prints in the "required from" lines, are the server, the type of its
/// `init` (`void` if it is overloaded or a template) and the types of the
/// start arguments as init receives them (decayed copies, passed as
/// lvalues; string literals become std::string).
template <class Server, class Init, class... StartArgs>
struct init_does_not_take_start_args {
  static_assert(callback_never<Server>,
                "otp::gen_server: the server has an init, but it cannot be "
                "called with the start arguments (see StartArgs and Init in "
                "this template's arguments). init gets each argument as an "
                "lvalue: take `const T&`, `T&` or `T`");
  static constexpr bool value = false;
};

/// As above, for a server without init that no constructor fits.
template <class Server, class... StartArgs>
struct no_init_and_no_constructor_for {
  static_assert(callback_never<Server>,
                "otp::gen_server: the server has no init(args...) and no "
                "constructor taking the start arguments (their types are "
                "StartArgs in this template's arguments)");
  static constexpr bool value = false;
};

template <class S>
struct init_type {
  using type = void;
};
template <class S>
  requires requires {
    &S::init;
  }
struct init_type<S> {
  using type = decltype(&S::init);
};

} // namespace detail
} // namespace otp
