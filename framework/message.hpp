#pragma once
/// \file message.hpp
/// What may be sent between processes, and how a message travels.
///
/// Processes share nothing: `send` moves or copies the value into the
/// receiver's mailbox, so sender and receiver never see the same mutable
/// object. The `otp::message` concept enforces this at compile time for what
/// the type system can see: raw pointers, references, `std::reference_wrapper`,
/// `std::string_view`, `std::span` and `std::shared_ptr<T>` with a mutable `T`
/// are rejected, also inside pairs, tuples, optionals, variants and standard
/// containers. For a large immutable payload send `std::shared_ptr<const T>`:
/// the receivers share it, but nobody can change it. A string literal is sent
/// as a `std::string`.
///
/// A user struct is opaque to the check: keep its members owning values.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>

namespace otp {

// -- isolation check --------------------------------------------------------

template <class T>
struct is_isolated;

namespace detail {
template <class T, class = void>
struct has_value_type : std::false_type {};
template <class T>
struct has_value_type<T, std::void_t<typename T::value_type>> : std::true_type {
};

template <class T>
constexpr bool isolated_default() {
  if constexpr (std::is_pointer_v<
                    T> || std::is_reference_v<T> || std::is_member_pointer_v<T>)
    return false;
  else if constexpr (
      std::is_same_v<
          T, std::string> || std::is_arithmetic_v<T> || std::is_enum_v<T>)
    return true; // NOLINT(bugprone-branch-clone): branches by type
  else if constexpr (has_value_type<T>::value) {
    using V = std::remove_cv_t<typename T::value_type>;
    if constexpr (std::is_same_v<V, T>)
      return true;
    else
      return is_isolated<V>::value;
  } else {
    return true;
  }
}
} // namespace detail

/// Whether a `T` can cross a process boundary without sharing mutable state.
/// Specialise it to `std::false_type` for your own handle types.
template <class T>
struct is_isolated : std::bool_constant<detail::isolated_default<T>()> {};

template <class T>
struct is_isolated<std::reference_wrapper<T>> : std::false_type {};
template <class C, class Tr>
struct is_isolated<std::basic_string_view<C, Tr>> : std::false_type {};
template <class T, std::size_t N>
struct is_isolated<std::span<T, N>> : std::false_type {};
template <class T>
struct is_isolated<std::shared_ptr<T>> : std::is_const<T> {};
template <class T>
struct is_isolated<std::weak_ptr<T>> : std::is_const<T> {};
template <class T, class D>
struct is_isolated<std::unique_ptr<T, D>> : is_isolated<std::remove_cv_t<T>> {};
template <class A, class B>
struct is_isolated<std::pair<A, B>>
    : std::bool_constant<is_isolated<std::remove_cv_t<A>>::value
                         && is_isolated<std::remove_cv_t<B>>::value> {};
template <class... Ts>
struct is_isolated<std::tuple<Ts...>>
    : std::bool_constant<(is_isolated<std::remove_cv_t<Ts>>::value && ...)> {};
template <class... Ts>
struct is_isolated<std::variant<Ts...>>
    : std::bool_constant<(is_isolated<std::remove_cv_t<Ts>>::value && ...)> {};
template <class T>
struct is_isolated<std::optional<T>> : is_isolated<std::remove_cv_t<T>> {};

/// A type that can be sent: a movable object type that shares no mutable
/// state (see the file comment).
template <class T>
concept message =
    std::is_object_v<T> && !std::is_array_v<
        T> && std::is_move_constructible_v<T> && is_isolated<T>::value;

/// The type that `send(pid, x)` puts in the mailbox for an argument `X`:
/// `std::decay_t<X>`, except that string literals become `std::string`.
template <class X>
using message_type_t = std::conditional_t<
    std::is_convertible_v<
        X, const char*> && std::is_array_v<std::remove_reference_t<X>>,
    std::string, std::decay_t<X>>;

// -- envelopes ---------------------------------------------------------------

namespace detail {

struct envelope;

/// One per message type: how to destroy and print an envelope of it.
struct type_desc {
  const std::type_info* info;
  void (*destroy)(envelope*) noexcept;
  void (*print)(std::ostream&, const envelope*);
  /// Extra data for envelopes that a behaviour dispatches itself (its
  /// protocol messages); null for ordinary messages.
  const void* ext = nullptr;
};

/// Intrusive mailbox node. `kind` separates user messages from the runtime's
/// signals, which are handled on arrival and never matched by `receive`.
struct envelope {
  envelope* next = nullptr;
  const type_desc* type = nullptr;
  std::uint32_t kind = 0;
  /// For alias messages: the alias id; for `start_timer` messages: the
  /// timer's ref (so `cancel_timer(.., {.flush = true})` can find it).
  std::uint64_t tag = 0;
};

inline constexpr std::uint32_t kind_message = 0;

template <class T>
struct typed_envelope final : envelope {
  template <class... A>
  explicit typed_envelope(A&&... a) : value(std::forward<A>(a)...) {}
  T value;
};

template <class T>
concept printable = requires(std::ostream& os, const T& v) {
  os << v;
};

/// Demangled name of a type.
std::string demangle(const std::type_info& info);
void print_unprintable(std::ostream& os, const std::type_info& info);

template <class T>
void print_value(std::ostream& os, const envelope* e) {
  const auto& v = static_cast<const typed_envelope<T>*>(e)->value;
  if constexpr (printable<T>)
    os << v;
  else
    print_unprintable(os, typeid(T));
}

template <class T>
void destroy_value(envelope* e) noexcept {
  delete static_cast<typed_envelope<T>*>(e);
}

/// The descriptor of `T`; its address identifies the type in `receive`.
template <class T>
inline const type_desc type_desc_of{&typeid(T), &destroy_value<T>,
                                    &print_value<T>, nullptr};

/// Allocate an envelope holding a `T` built from `args`.
template <class T, class... A>
envelope* make_envelope(A&&... args) {
  auto* e = new typed_envelope<T>(std::forward<A>(args)...);
  e->type = &type_desc_of<T>;
  return e;
}

inline void destroy(envelope* e) noexcept {
  e->type->destroy(e);
}

} // namespace detail

/// A message of any type, as seen by a catch-all `receive` handler or by
/// `flush`. It owns the message.
class any_message {
public:
  explicit any_message(detail::envelope* e) noexcept : e_(e) {}
  any_message(any_message&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  any_message& operator=(any_message&& o) noexcept {
    std::swap(e_, o.e_);
    return *this;
  }
  ~any_message() {
    if (e_ != nullptr)
      detail::destroy(e_);
  }

  /// True if the message is a `T`.
  template <class T>
  bool is() const noexcept {
    return e_->type == &detail::type_desc_of<T>;
  }
  /// The `T` inside; throws `std::bad_cast` if it holds another type.
  template <class T>
  T& get() {
    if (!is<T>())
      throw std::bad_cast();
    return static_cast<detail::typed_envelope<T>*>(e_)->value;
  }
  /// The demangled type name, e.g. `std::string`.
  std::string type_name() const { return detail::demangle(*e_->type->info); }
  /// The value printed with `operator<<`, or `#<type>` if it has none.
  std::string to_string() const;
  friend std::ostream& operator<<(std::ostream& os, const any_message& m) {
    m.e_->type->print(os, m.e_);
    return os;
  }

private:
  detail::envelope* e_;
};

} // namespace otp
