#pragma once
/// \file detail/unique_task.hpp
/// A move-only `void()` callable with 64 bytes of inline storage, so spawning
/// a process with a small closure allocates nothing beyond its stack.

#include <cstddef>
#include <new>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace otp::detail {

class unique_task {
public:
  unique_task() noexcept = default;

  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, unique_task>>>
  unique_task(F&& f) // NOLINT: implicit by design, like std::function
      : origin_(&typeid(D)) {
    if constexpr (sizeof(D) <= sizeof(buf_)
                  && alignof(D) <= alignof(std::max_align_t)
                  && std::is_nothrow_move_constructible_v<D>) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
      ops_ = &heap_ops<D>;
    }
  }
  unique_task(unique_task&& o) noexcept : ops_(o.ops_), origin_(o.origin_) {
    if (ops_ != nullptr)
      ops_->move(o.buf_, buf_);
    o.ops_ = nullptr;
  }
  unique_task& operator=(unique_task&& o) noexcept {
    if (this != &o) {
      reset();
      ops_ = o.ops_;
      origin_ = o.origin_;
      if (ops_ != nullptr)
        ops_->move(o.buf_, buf_);
      o.ops_ = nullptr;
    }
    return *this;
  }
  unique_task(const unique_task&) = delete;
  unique_task& operator=(const unique_task&) = delete;
  ~unique_task() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  /// The type of the callable, or what `set_origin` named instead (crash
  /// reports show it as the process's initial call).
  const std::type_info* origin() const noexcept { return origin_; }
  void set_origin(const std::type_info* t) noexcept { origin_ = t; }
  void operator()() { ops_->call(buf_); }
  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(buf_);
      ops_ = nullptr;
    }
  }

private:
  struct ops {
    void (*call)(void*);
    void (*move)(void* from, void* to) noexcept;
    void (*destroy)(void*) noexcept;
  };
  template <class D>
  static constexpr ops inline_ops{[](void* b) { (*static_cast<D*>(b))(); },
                                  [](void* from, void* to) noexcept {
                                    ::new (to)
                                        D(std::move(*static_cast<D*>(from)));
                                    static_cast<D*>(from)->~D();
                                  },
                                  [](void* b) noexcept {
                                    static_cast<D*>(b)->~D();
                                  }};
  template <class D>
  static constexpr ops heap_ops{[](void* b) { (**static_cast<D**>(b))(); },
                                [](void* from, void* to) noexcept {
                                  *static_cast<D**>(to) =
                                      *static_cast<D**>(from);
                                },
                                [](void* b) noexcept {
                                  delete *static_cast<D**>(b);
                                }};

  alignas(std::max_align_t) unsigned char buf_[64];
  const ops* ops_ = nullptr;
  const std::type_info* origin_ = nullptr;
};

} // namespace otp::detail
