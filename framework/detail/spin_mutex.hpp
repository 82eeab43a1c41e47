#pragma once
/// \file detail/spin_mutex.hpp
/// A tiny test-and-test-and-set lock for very short critical sections that
/// never suspend (queue pushes and pops). Safe on fibers because it is never
/// held across a suspension, and its frame is a few bytes (unlike
/// Boost.Fiber's spinlock, whose first use per thread builds a 5 KiB
/// `std::random_device` on the current stack).

#include <atomic>

namespace otp::detail {

class spin_mutex {
public:
  void lock() noexcept {
    for (;;) {
      if (!flag_.exchange(true, std::memory_order_acquire))
        return;
      while (flag_.load(std::memory_order_relaxed))
        __builtin_ia32_pause();
    }
  }
  bool try_lock() noexcept {
    return !flag_.load(std::memory_order_relaxed)
           && !flag_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

private:
  std::atomic<bool> flag_{false};
};

} // namespace otp::detail
