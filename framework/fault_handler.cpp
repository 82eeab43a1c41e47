// The SIGSEGV handler that turns a stack overflow into the end of one
// process. Everything here runs in a signal handler: no locks that the
// interrupted code may hold, no allocation, only async-signal-safe calls.
#include "framework/detail/fault_handler.hpp"

#include "framework/detail/landing.hpp"
#include "framework/detail/process.hpp"
#include "framework/detail/runtime_impl.hpp"
#include "framework/detail/stack_pool.hpp"

#include <boost/fiber/context.hpp>
#include <link.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace otp::detail {

namespace {

struct code_range {
  std::uintptr_t lo;
  std::uintptr_t hi;
  const char* what;
};

// Code where a fault must not drop frames: it may hold a lock that other
// threads need (malloc's arenas, stdio, the loader's, the unwinder's).
constexpr unsigned max_ranges = 32;
code_range unsafe_code[max_ranges];
unsigned unsafe_count = 0;

struct sigaction previous_action;
std::atomic<bool> installed{false};

const char* system_library(const char* path) noexcept {
  static const char* const names[] = {"/libc.so",   "/ld-linux", "/libgcc_s",
                                      "/libstdc++", "/libm.so",  "/libpthread",
                                      "/libdl.so",  "/libasan",  "/libubsan",
                                      "/liblsan",   "/libtsan"};
  for (const char* n : names) {
    if (std::strstr(path, n) != nullptr)
      return n + 1;
  }
  return nullptr;
}

int collect_ranges(dl_phdr_info* info, std::size_t, void*) noexcept {
  if (info->dlpi_name == nullptr)
    return 0;
  const char* what = system_library(info->dlpi_name);
  if (what == nullptr)
    return 0;
  for (int i = 0; i < info->dlpi_phnum && unsafe_count < max_ranges; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0)
      continue;
    const std::uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    unsafe_code[unsafe_count++] = {lo, lo + ph.p_memsz, what};
  }
  return 0;
}

const char* unsafe_library(std::uintptr_t ip) noexcept {
  for (unsigned i = 0; i < unsafe_count; ++i) {
    if (ip >= unsafe_code[i].lo && ip < unsafe_code[i].hi)
      return unsafe_code[i].what;
  }
  return nullptr;
}

// -- a report without allocation ----------------------------------------------

struct text {
  char buf[768];
  std::size_t n = 0;
  text& operator<<(const char* s) noexcept {
    while (s != nullptr && *s != '\0' && n + 1 < sizeof(buf))
      buf[n++] = *s++;
    return *this;
  }
  text& operator<<(std::uint64_t v) noexcept {
    char d[24];
    int k = 0;
    do {
      d[k++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (k > 0 && n + 1 < sizeof(buf))
      buf[n++] = d[--k];
    return *this;
  }
  void write() noexcept {
    std::size_t off = 0;
    while (off < n) {
      const ssize_t w = ::write(STDERR_FILENO, buf + off, n - off);
      if (w <= 0)
        return;
      off += static_cast<std::size_t>(w);
    }
  }
};

/// The overflow cannot be contained: report it and let the fault kill us.
void fatal(const process* p, const char* where) noexcept {
  text t;
  t << "[error] Process ";
  if (p != nullptr) {
    t << "<0." << p->serial << ".0>";
    char name[128];
    if (p->named.load(std::memory_order_relaxed)
        && p->rt->try_name_of(p, name, sizeof(name)))
      t << " (\"" << name << "\")";
    t << " overflowed its stack (" << std::uint64_t{p->stacks->stack_size()}
      << " bytes), stack_overflow, inside " << where
      << ", where it cannot be ended safely: the program stops. Initial "
         "call (mangled): "
      << (p->initial_call != nullptr ? p->initial_call->name() : "unknown");
  } else {
    t << "(unknown) overflowed its stack, stack_overflow, inside " << where
      << ": the program stops";
  }
  t << ". Give it a larger stack (spawn_options::stack_size).\n";
  t.write();
  // Let the fault kill the program with SIGSEGV, as it would have.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGSEGV, &dfl, nullptr);
}

void chain(int sig, siginfo_t* si, void* uc) noexcept {
  const struct sigaction& prev = previous_action;
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, si, uc);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN
      && prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
    return;
  }
  // Default action: restore it; returning re-executes the faulting
  // instruction, which now kills the program as usual.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigemptyset(&dfl.sa_mask);
  ::sigaction(sig, &dfl, nullptr);
}

/// Where the redirected thread resumes: on the overflowed process's stack,
/// far above the overflow, it drops the frames in between.
extern "C" [[noreturn]] void otp_overflow_landing(process* p) {
  abandon(p);
}

/// Resume the thread at `otp_overflow_landing(p)` instead of the faulting
/// instruction.
void redirect(ucontext_t* uc, process* p) noexcept {
  // A page below the landing: below run_landed's frame, which the jump
  // needs intact, and far above the overflow.
  auto sp = reinterpret_cast<std::uintptr_t>(p->landing_) - 4096;
  sp = (sp & ~std::uintptr_t{15}) - 8; // as if just called
  uc->uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(sp);
  uc->uc_mcontext.gregs[REG_RIP] =
      reinterpret_cast<greg_t>(&otp_overflow_landing);
  uc->uc_mcontext.gregs[REG_RDI] = reinterpret_cast<greg_t>(p);
}

/// The process whose fiber runs on this thread (fault context: the thread
/// was running it, so Boost's thread state is set up).
process* running_process() noexcept {
  boost::fibers::context* ctx = boost::fibers::context::active();
  if (ctx == nullptr)
    return nullptr;
  return process_of(ctx);
}

void on_segv(int sig, siginfo_t* si, void* ucv) {
  const int saved_errno = errno;
  stack_slot slot;
  char* addr = static_cast<char*>(si->si_addr);
  if (!find_slot(addr, slot) || !slot.guarded || addr >= slot.usable_lo) {
    errno = saved_errno;
    chain(sig, si, ucv);
    return;
  }
  // A stack overflow: the fault is in a guard or reserve of a stack slot.
  auto* uc = static_cast<ucontext_t*>(ucv);
  const auto ip = static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  process* p = running_process();
  landing* l = p != nullptr ? p->landing_ : nullptr;
  if (p == nullptr || l == nullptr || l->slot.base != slot.base || !l->armed) {
    // Not the running process's own stack (a frame that jumped past its
    // guard into another slot), or outside the process's code.
    fatal(p, "a frame that skipped its stack's guard");
    errno = saved_errno;
    return;
  }
  const char* unsafe = unsafe_library(ip);
  const bool hard = addr < slot.base + page_bytes();
  const bool again = p->overflowed.load(std::memory_order_relaxed);
  if (!hard && (!again || unsafe != nullptr)) {
    // In the reserve: open this page and let the code go on; the process
    // ends at its next suspension point, or at the next fault.
    char* page = slot.base + (addr - slot.base) / page_bytes() * page_bytes();
    if (open_reserve_page(page)) {
      l->reserve_opened.store(true, std::memory_order_relaxed);
      p->overflowed.store(true, std::memory_order_relaxed);
      p->signal_hint.store(true, std::memory_order_release);
      errno = saved_errno;
      return;
    }
  }
  if (unsafe != nullptr) {
    fatal(p, unsafe);
    errno = saved_errno;
    return;
  }
  p->overflowed.store(true, std::memory_order_relaxed);
  redirect(uc, p);
  errno = saved_errno;
}

} // namespace

void install_fault_handler() noexcept {
  if (installed.exchange(true))
    return;
  dl_iterate_phdr(&collect_ranges, nullptr);
  struct sigaction sa {};
  sa.sa_sigaction = &on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGSEGV, &sa, &previous_action);
}

alt_signal_stack::alt_signal_stack() noexcept {
  // Room for our handler and for one chained after it (ASan's reports
  // need tens of KiB).
  const unsigned long bytes = 256UL * 1024;
  void* m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED)
    return;
  stack_t ss{};
  ss.ss_sp = m;
  ss.ss_size = bytes;
  if (::sigaltstack(&ss, nullptr) != 0) {
    ::munmap(m, bytes);
    return;
  }
  mem_ = m;
  bytes_ = bytes;
}

alt_signal_stack::~alt_signal_stack() {
  if (mem_ == nullptr)
    return;
  stack_t ss{};
  ss.ss_flags = SS_DISABLE;
  ::sigaltstack(&ss, nullptr);
  ::munmap(mem_, bytes_);
}

} // namespace otp::detail
