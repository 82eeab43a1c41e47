#include "framework/detail/stack_pool.hpp"

#include "framework/log.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_GUARD_REMOVE
#define MADV_GUARD_REMOVE 103
#endif

namespace otp::detail {

namespace {

constexpr std::size_t min_usable = std::size_t{16} * 1024;
// Slots are made writable this much at a time.
constexpr std::size_t commit_bytes = std::size_t{16} << 20;
// Address space reserved per region when nothing limits it: 64 GiB holds
// 880,000 default stacks.
constexpr std::size_t region_bytes = std::size_t{64} << 30;
constexpr unsigned max_regions = 256;

std::size_t page_size() noexcept {
  static const std::size_t p = [] {
    const long v = ::sysconf(_SC_PAGESIZE);
    return v > 0 ? static_cast<std::size_t>(v) : std::size_t{4096};
  }();
  return p;
}

enum class guard_mode { markers, mprotect };

/// One reserved range of address space, carved into slots of one size.
/// Written once before `region_count` publishes it, except the two atomics.
struct region {
  char* base;
  char* end;
  std::size_t slot;
  /// Slots below this address have been carved.
  std::atomic<char*> carved;
  /// Slots at or above this address have no guard (mprotect budget spent).
  std::atomic<char*> unguarded_from;
};

region regions[max_regions];
std::atomic<unsigned> region_count{0};
std::atomic<std::uintptr_t> regions_lo{~std::uintptr_t{0}};
std::atomic<std::uintptr_t> regions_hi{0};
spin_mutex regions_lock;

/// How guards are made here, probed once.
guard_mode probe_mode() noexcept {
  const std::size_t pg = page_size();
  void* p = ::mmap(nullptr, pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return guard_mode::mprotect;
  const bool ok = ::madvise(p, pg, MADV_GUARD_INSTALL) == 0;
  ::munmap(p, pg);
  return ok ? guard_mode::markers : guard_mode::mprotect;
}

guard_mode mode() noexcept {
  static const guard_mode m = probe_mode();
  return m;
}

long read_long(const char* path) noexcept {
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr)
    return -1;
  long v = -1;
  if (std::fscanf(f, "%ld", &v) != 1)
    v = -1;
  std::fclose(f);
  return v;
}

long count_lines(const char* path) noexcept {
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr)
    return -1;
  long n = 0;
  for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f))
    n += c == '\n' ? 1 : 0;
  std::fclose(f);
  return n;
}

/// Guarded slots still allowed with mprotect guards: each splits a mapping
/// into three, and `vm.max_map_count` (65,530 by default) caps them.
std::atomic<long>& mprotect_budget() noexcept {
  static std::atomic<long> left = [] {
    const long max = read_long("/proc/sys/vm/max_map_count");
    const long now = count_lines("/proc/self/maps");
    if (max <= 0 || now < 0)
      return 0L;
    // Keep a margin for malloc, threads and the program's own mappings.
    const long spare = max - now - 8192;
    return spare > 0 ? spare / 2 : 0L;
  }();
  return left;
}

std::atomic<bool> unguarded_warned{false};

void warn_unguarded() {
  if (unguarded_warned.exchange(true))
    return;
  log(log_level::warning, pid(),
      "vm.max_map_count allows no more guarded process stacks "
      "on this kernel (without MADV_GUARD_INSTALL, Linux < 6.13, each "
      "guard takes two map entries): new stacks have no guard page, so a "
      "stack overflow there is not contained. Raise vm.max_map_count "
      "(sysctl -w vm.max_map_count=4194304) to guard every stack");
}

/// Make the guard and reserve of the slot at `base` inaccessible.
bool install_guard(char* base) noexcept {
  const std::size_t bytes = stack_guard_bytes();
  if (mode() == guard_mode::markers)
    return ::madvise(base, bytes, MADV_GUARD_INSTALL) == 0;
  if (mprotect_budget().fetch_sub(1, std::memory_order_relaxed) <= 0)
    return false;
  return ::mprotect(base, bytes, PROT_NONE) == 0;
}

/// Bytes of address space a new region may take.
std::size_t region_size(std::size_t slot) noexcept {
  std::size_t want = region_bytes;
  rlimit lim{};
  if (::getrlimit(RLIMIT_AS, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    // Leave three quarters of what is left to the rest of the program.
    const long pages = [] {
      std::FILE* f = std::fopen("/proc/self/statm", "r");
      long v = 0;
      if (f != nullptr) {
        if (std::fscanf(f, "%ld", &v) != 1)
          v = 0;
        std::fclose(f);
      }
      return v;
    }();
    const std::size_t used = static_cast<std::size_t>(pages) * page_size();
    const std::size_t limit = lim.rlim_cur;
    const std::size_t left = limit > used ? limit - used : 0;
    if (left / 4 < want)
      want = left / 4;
  }
  want -= want % slot;
  return want;
}

/// Reserve a new region for slots of `slot` bytes; nullptr if none can be
/// had.
region* reserve_region(std::size_t slot) {
  const std::size_t bytes = region_size(slot);
  if (bytes < slot * 4)
    return nullptr;
  void* p = ::mmap(nullptr, bytes, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return nullptr;
  std::lock_guard<spin_mutex> lk(regions_lock);
  const unsigned n = region_count.load(std::memory_order_relaxed);
  if (n == max_regions) {
    ::munmap(p, bytes);
    return nullptr;
  }
  region& r = regions[n];
  r.base = static_cast<char*>(p);
  r.end = r.base + bytes;
  r.slot = slot;
  r.carved.store(r.base, std::memory_order_relaxed);
  r.unguarded_from.store(r.end, std::memory_order_relaxed);
  const auto lo = reinterpret_cast<std::uintptr_t>(r.base);
  const auto hi = reinterpret_cast<std::uintptr_t>(r.end);
  if (lo < regions_lo.load(std::memory_order_relaxed))
    regions_lo.store(lo, std::memory_order_relaxed);
  if (hi > regions_hi.load(std::memory_order_relaxed))
    regions_hi.store(hi, std::memory_order_relaxed);
  region_count.store(n + 1, std::memory_order_release);
  return &r;
}

const region* region_of(const void* addr) noexcept {
  const auto a = reinterpret_cast<std::uintptr_t>(addr);
  if (a < regions_lo.load(std::memory_order_relaxed)
      || a >= regions_hi.load(std::memory_order_relaxed))
    return nullptr;
  const unsigned n = region_count.load(std::memory_order_acquire);
  for (unsigned i = 0; i < n; ++i) {
    const region& r = regions[i];
    if (addr >= r.base && addr < r.end)
      return &r;
  }
  return nullptr;
}

region* region_at(char* base) noexcept {
  const unsigned n = region_count.load(std::memory_order_acquire);
  for (unsigned i = 0; i < n; ++i) {
    if (regions[i].base <= base && base < regions[i].end)
      return &regions[i];
  }
  return nullptr;
}

// Which free list a thread uses: hashed from the thread, so a scheduler
// thread mostly reuses the stacks it freed.
unsigned shard_index() noexcept {
  const auto t = static_cast<std::uintptr_t>(::pthread_self());
  return static_cast<unsigned>((t >> 12) * 0x9E3779B97F4A7C15ull >> 60);
}

} // namespace

std::size_t page_bytes() noexcept {
  return page_size();
}

std::size_t stack_guard_bytes() noexcept {
  return 3 * page_size();
}

bool find_slot(const void* addr, stack_slot& out) noexcept {
  const region* r = region_of(addr);
  if (r == nullptr)
    return false;
  const auto off =
      static_cast<std::size_t>(static_cast<const char*>(addr) - r->base);
  char* base = r->base + off / r->slot * r->slot;
  out.base = base;
  out.usable_lo = base + stack_guard_bytes();
  out.top = base + r->slot;
  out.guarded = base < r->carved.load(std::memory_order_acquire)
                && base < r->unguarded_from.load(std::memory_order_acquire);
  return true;
}

bool on_process_stack(const void* addr) noexcept {
  return region_of(addr) != nullptr;
}

bool open_reserve_page(char* page) noexcept {
  if (mode() == guard_mode::markers)
    return ::madvise(page, page_size(), MADV_GUARD_REMOVE) == 0;
  return ::mprotect(page, page_size(), PROT_READ | PROT_WRITE) == 0;
}

void close_reserve(const stack_slot& slot) noexcept {
  char* lo = slot.base + page_size();
  const std::size_t bytes = stack_guard_bytes() - page_size();
  if (mode() == guard_mode::markers) {
    // Installing a guard over written pages discards them.
    ::madvise(lo, bytes, MADV_GUARD_INSTALL);
    return;
  }
  ::madvise(lo, bytes, MADV_DONTNEED);
  ::mprotect(lo, bytes, PROT_NONE);
}

stack_pool::stack_pool(std::size_t usable) noexcept
    : usable_(usable),
      slot_(usable + stack_guard_bytes()) {}

stack_pool& stack_pool::for_size(std::size_t usable) {
  const std::size_t pg = page_size();
  std::size_t s = usable < min_usable ? min_usable : usable;
  s = (s + pg - 1) / pg * pg;
  // Never destroyed: a runtime with static storage duration is destroyed
  // after function-local statics constructed later than it.
  static auto* m = new std::mutex;
  static auto* pools = new std::map<std::size_t, std::unique_ptr<stack_pool>>;
  std::lock_guard<std::mutex> lk(*m);
  auto& slot = (*pools)[s];
  if (!slot)
    slot.reset(new stack_pool(s));
  return *slot;
}

char* stack_pool::carve() {
  bool unguarded = false;
  char* base = nullptr;
  {
    std::lock_guard<spin_mutex> lk(carve_lock_);
    if (next_ == nullptr || region_end_ - next_ < static_cast<long>(slot_)) {
      region* r = reserve_region(slot_);
      if (r == nullptr)
        throw std::bad_alloc();
      next_ = committed_ = r->base;
      region_end_ = r->end;
    }
    if (committed_ - next_ < static_cast<long>(slot_)) {
      std::size_t bytes = commit_bytes < slot_ * 4 ? slot_ * 4 : commit_bytes;
      if (static_cast<std::size_t>(region_end_ - committed_) < bytes)
        bytes = static_cast<std::size_t>(region_end_ - committed_);
      if (::mprotect(committed_, bytes, PROT_READ | PROT_WRITE) != 0)
        throw std::bad_alloc();
      committed_ += bytes;
    }
    base = next_;
    next_ += slot_;
    region* r = region_at(base);
    if (!install_guard(base)) {
      unguarded = true;
      char* from = r->unguarded_from.load(std::memory_order_relaxed);
      if (base < from)
        r->unguarded_from.store(base, std::memory_order_release);
    }
    r->carved.store(next_, std::memory_order_release);
  }
  if (unguarded)
    warn_unguarded();
  return base;
}

char* stack_pool::pop(shard& sh) noexcept {
  std::lock_guard<spin_mutex> lk(sh.lock);
  free_node* n = sh.head;
  if (n == nullptr)
    return nullptr;
  sh.head = n->next;
  sh.count.fetch_sub(1, std::memory_order_relaxed);
  return reinterpret_cast<char*>(n) + sizeof(free_node) - slot_;
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
  if (base == nullptr)
    base = carve();
  boost::context::stack_context sctx;
  sctx.size = usable_;
  sctx.sp = base + slot_;
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
