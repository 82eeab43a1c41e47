#pragma once
/// \file detail/stack_pool.hpp
/// Fiber stacks for processes, and the geometry the overflow handler needs.
///
/// Layout. Each pool (one per usable stack size) carves fixed-size slots
/// from regions of address space it reserves for itself (`PROT_NONE`,
/// `MAP_NORESERVE`, made writable 16 MiB at a time, so a million stacks cost
/// a handful of mappings). A slot is, from low to high addresses:
///
///     [hard guard: 1 page][reserve: 2 pages][usable stack ... top]
///
/// Guard and reserve are inaccessible: a process that runs past its usable
/// stack faults in the reserve first (the fault handler opens that page and
/// lets it go on, to finish whatever it was doing, then ends it), and in the
/// hard guard at the latest (it is ended at once). See fault_handler.cpp.
///
/// Guards cost no mapping where the kernel has `MADV_GUARD_INSTALL` (Linux
/// 6.13+): page-table markers inside the one writable mapping. Older kernels
/// get `mprotect`ed pages, two map entries each, within a budget taken from
/// `vm.max_map_count`; stacks beyond the budget have no guard (a warning
/// says so once).
///
/// Pages are committed only when touched, so a parked shallow process costs
/// one page. Freed slots are recycled through per-thread-ish free lists and
/// never returned to the OS.
///
/// Thread-safe. `find_slot` and `on_process_stack` are async-signal-safe.

#include "framework/detail/spin_mutex.hpp"

#include <boost/context/stack_context.hpp>

#include <atomic>
#include <cstddef>

namespace otp::detail {

/// Bytes below the usable stack of every slot: the hard guard and the
/// reserve.
std::size_t stack_guard_bytes() noexcept;
/// The page size.
std::size_t page_bytes() noexcept;

/// Where a slot is.
struct stack_slot {
  char* base = nullptr;      ///< lowest byte: the hard guard
  char* usable_lo = nullptr; ///< lowest usable byte (above the reserve)
  char* top = nullptr;       ///< one past the highest byte
  bool guarded = false;      ///< guard and reserve are inaccessible
};

/// The slot that contains `addr`, if `addr` lies in any pool's region.
/// Async-signal-safe (no locks, no allocation).
bool find_slot(const void* addr, stack_slot& out) noexcept;

/// True if `addr` lies in a region of process stacks, i.e. the caller runs
/// on a process's fiber. Cheap; async-signal-safe.
bool on_process_stack(const void* addr) noexcept;

/// Reinstate the reserve pages of `slot` after the fault handler opened
/// some of them (their contents are discarded).
void close_reserve(const stack_slot& slot) noexcept;
/// Open one reserve page (from the fault handler). Async-signal-safe.
bool open_reserve_page(char* page) noexcept;

class stack_pool {
public:
  /// The pool for stacks with `usable` bytes (rounded up to whole pages, at
  /// least 16 KiB). One pool per size, alive for the whole program (never
  /// destroyed, so a runtime destroyed at exit may still use it).
  static stack_pool& for_size(std::size_t usable);

  /// A slot's stack; throws `std::bad_alloc` when no address space is left.
  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& sctx) noexcept;
  /// Usable bytes per stack.
  std::size_t stack_size() const noexcept { return usable_; }
  /// Bytes per slot (guard, reserve and usable stack).
  std::size_t slot_size() const noexcept { return slot_; }

private:
  explicit stack_pool(std::size_t usable) noexcept;
  char* carve();

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

  const std::size_t usable_;
  const std::size_t slot_;
  shard shards_[shards];
  spin_mutex carve_lock_;
  char* next_ = nullptr;      ///< next slot to carve
  char* committed_ = nullptr; ///< end of the writable part of the region
  char* region_end_ = nullptr;
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
