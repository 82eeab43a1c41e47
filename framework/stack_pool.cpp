#include "framework/detail/stack_pool.hpp"

#include <boost/fiber/context.hpp>
#include <boost/fiber/scheduler.hpp>
#include <sys/mman.h>

#include <bit>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <new>

namespace otp::detail {

namespace {
constexpr std::size_t min_stack = 16 * 1024;
// Each mapping holds many stacks: a million 64 KiB stacks need 4096 of them.
constexpr std::size_t chunk_bytes = std::size_t{16} << 20;

// Which free list a thread uses: its Boost.Fiber scheduler (one per thread)
// picks it, so a scheduler thread mostly reuses the stacks it freed.
unsigned shard_index() noexcept {
  auto a = reinterpret_cast<std::uintptr_t>(
      boost::fibers::context::active()->get_scheduler());
  return static_cast<unsigned>((a >> 6) * 0x9E3779B97F4A7C15ull >> 60);
}
} // namespace

stack_pool& stack_pool::for_size(std::size_t size) {
  std::size_t s = std::bit_ceil(size < min_stack ? min_stack : size);
  static std::mutex m;
  static std::map<std::size_t, std::unique_ptr<stack_pool>> pools;
  std::lock_guard<std::mutex> lk(m);
  auto& slot = pools[s];
  if (!slot)
    slot.reset(new stack_pool(s));
  return *slot;
}

void stack_pool::refill() {
  const std::size_t bytes = chunk_bytes < size_ * 4 ? size_ * 4 : chunk_bytes;
  // Over-allocate by one stack so the carved stacks can be size-aligned.
  void* p = ::mmap(nullptr, bytes + size_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw std::bad_alloc();
  auto base = reinterpret_cast<std::uintptr_t>(p);
  auto aligned = (base + size_ - 1) & ~(std::uintptr_t{size_} - 1);
  chunk_next_ = reinterpret_cast<char*>(aligned);
  chunk_end_ = chunk_next_ + bytes;
}

char* stack_pool::pop(shard& sh) noexcept {
  std::lock_guard<spin_mutex> lk(sh.lock);
  free_node* n = sh.head;
  if (n == nullptr)
    return nullptr;
  sh.head = n->next;
  sh.count.fetch_sub(1, std::memory_order_relaxed);
  return reinterpret_cast<char*>(n) + sizeof(free_node) - size_;
}

boost::context::stack_context stack_pool::allocate() {
  const unsigned mine = shard_index();
  char* base = pop(shards_[mine]);
  // Stacks freed on another thread (a stolen process died there) are reused
  // before new memory is carved, so the pool never outgrows the peak.
  for (unsigned i = 1; i < shards && base == nullptr; ++i) {
    shard& other = shards_[(mine + i) % shards];
    if (other.count.load(std::memory_order_relaxed) != 0)
      base = pop(other);
  }
  if (base == nullptr) {
    std::lock_guard<spin_mutex> lk(chunk_lock_);
    if (chunk_next_ == chunk_end_)
      refill();
    base = chunk_next_;
    chunk_next_ += size_;
  }
  boost::context::stack_context sctx;
  sctx.size = size_;
  sctx.sp = base + size_;
  return sctx;
}

void stack_pool::deallocate(boost::context::stack_context& sctx) noexcept {
  // The free-list link lives in the top word, on the page the fiber already
  // touched, so a free stack commits no extra memory.
  auto* n = reinterpret_cast<free_node*>(static_cast<char*>(sctx.sp)
                                         - sizeof(free_node));
  shard& sh = shards_[shard_index()];
  std::lock_guard<spin_mutex> lk(sh.lock);
  n->next = sh.head;
  sh.head = n;
  sh.count.fetch_add(1, std::memory_order_relaxed);
}

} // namespace otp::detail
