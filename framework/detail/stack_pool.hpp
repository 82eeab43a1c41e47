#pragma once
/// \file detail/stack_pool.hpp
/// Fiber stacks for processes: fixed-size, power-of-two sized and aligned,
/// carved from large `MAP_NORESERVE` mappings (so a million stacks cost a
/// few thousand mappings, far below `vm.max_map_count`), and recycled through
/// free lists. Pages are committed by the kernel only when touched, so a
/// parked shallow process costs one page of RSS.
///
/// Thread-safe. Stacks are never returned to the OS while the program runs.

#include "framework/detail/spin_mutex.hpp"

#include <boost/context/stack_context.hpp>

#include <atomic>
#include <cstddef>
#include <vector>

namespace otp::detail {

class stack_pool {
public:
  /// The pool for stacks of `size` bytes (rounded up to a power of two,
  /// at least 16 KiB). One pool per size, alive for the whole program.
  static stack_pool& for_size(std::size_t size);

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& sctx) noexcept;
  std::size_t stack_size() const noexcept { return size_; }

private:
  explicit stack_pool(std::size_t size) noexcept : size_(size) {}
  void refill();

  struct free_node {
    free_node* next;
  };
  static constexpr unsigned shards = 16;
  struct alignas(64) shard {
    spin_mutex lock;
    free_node* head = nullptr;
    std::atomic<std::size_t> count{0}; ///< hint, read without the lock
  };

  char* pop(shard& sh) noexcept;

  std::size_t size_;
  shard shards_[shards];
  spin_mutex chunk_lock_;
  char* chunk_next_ = nullptr;
  char* chunk_end_ = nullptr;
};

/// The StackAllocator that Boost.Fiber copies into each fiber.
class pooled_stack {
public:
  explicit pooled_stack(stack_pool& pool) noexcept : pool_(&pool) {}
  boost::context::stack_context allocate() { return pool_->allocate(); }
  void deallocate(boost::context::stack_context& sctx) noexcept {
    pool_->deallocate(sctx);
  }

private:
  stack_pool* pool_;
};

} // namespace otp::detail
