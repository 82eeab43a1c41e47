// Exception stack traces (runtime_options::exception_traces): our
// `__cxa_throw` records the throwing stack, the exit reason carries it, and
// reports print it symbolized. See detail/exception_trace.hpp.

#include "framework/detail/exception_trace.hpp"

#include "framework/detail/process.hpp"
#include "framework/detail/runtime_impl.hpp"

#include <boost/core/demangle.hpp>
#include <boost/stacktrace/frame.hpp>
#include <boost/stacktrace/safe_dump_to.hpp>
#if OTP_HAVE_LIBBACKTRACE && __has_include(<backtrace.h>)
#define OTP_USE_LIBBACKTRACE 1
#endif
#if OTP_USE_LIBBACKTRACE
// Functions (inlined ones too), files and lines from the program's DWARF,
// read in-process by GCC's libbacktrace (shipped with GCC). Without it,
// Boost.Stacktrace's names from the dynamic symbol table (dladdr).
#include <backtrace.h>
#endif

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>
#include <typeinfo>

/// The type of `__cxa_throw`'s second argument: `std::type_info*` as
/// <cxxabi.h> says, but GCC declares the function itself, with `void*`, for
/// its throw expressions, and our definition must agree with that.
#if defined(__clang__)
using otp_thrown_type = std::type_info*;
#else
using otp_thrown_type = void*;
#endif

namespace otp::detail {

namespace {

using throw_fn = void (*)(void*, otp_thrown_type, void (*)(void*));

/// The `__cxa_throw` ours stands in front of (the C++ runtime's, or a
/// sanitizer's interceptor). Resolved at load time too (see `warm`), so a
/// throw of `bad_alloc` never needs `dlsym` to allocate.
throw_fn next_throw() noexcept {
  static const throw_fn next =
      reinterpret_cast<throw_fn>(dlsym(RTLD_NEXT, "__cxa_throw"));
  return next;
}

[[maybe_unused]] const throw_fn warm = next_throw();

/// Runtimes alive with `exception_traces`: while 0, a throw costs one load.
std::atomic<int> tracing_runtimes{0};

void record_throw(void* object, const std::type_info* type) noexcept {
  if (tracing_runtimes.load(std::memory_order_relaxed) == 0)
    return;
  // The library's own unwinding (exit, hibernation) is no user fault.
  if (*type == typeid(exit_unwind) || *type == typeid(hibernate_unwind))
    return;
  process* p = current_process();
  if (p == nullptr || !p->rt->opts.exception_traces)
    return;
  if (!p->extras_) {
    p->extras_.reset(new (std::nothrow) process_extras());
    if (!p->extras_)
      return;
  }
  auto& log = p->extras_->throws;
  if (!log) {
    log.reset(new (std::nothrow) throw_log());
    if (!log)
      return;
  }
  throw_record& r = log->records[log->next];
  log->next = (log->next + 1) % throw_log::slots;
  r.object = object;
  // One more entry for safe_dump_to's terminating null; skip this frame and
  // our __cxa_throw, so the first frame is the function that threw.
  std::array<void*, throw_record::max_frames + 1> buf{};
  std::size_t n = boost::stacktrace::safe_dump_to(2, buf.data(),
                                                  buf.size() * sizeof(void*));
  while (n > 0 && buf[n - 1] == nullptr) // the unwinder's end marker
    --n;
  r.depth = std::min(n, throw_record::max_frames);
  std::copy_n(buf.begin(), r.depth, r.frames.begin());
}

/// The address `__cxa_throw` was given for the exception being handled.
const void* handled_object() noexcept {
  // libstdc++'s exception_ptr is that one pointer (the thrown object).
  static_assert(sizeof(std::exception_ptr) == sizeof(void*));
  const std::exception_ptr e = std::current_exception();
  const void* object = nullptr;
  // NOLINTNEXTLINE(bugprone-undefined-memory-manipulation): see above
  std::memcpy(&object, &e, sizeof(object));
  return object;
}

/// Symbolizes on a thread of its own: symbolizing reads the program's
/// debug information, which wants more stack than a process has, and
/// libbacktrace keeps its state per thread (once, here, instead of once per
/// scheduler thread). Never destroyed: a static runtime may still report
/// while other statics are being destroyed.
class symbolizer {
public:
  std::string run(const std::vector<std::uintptr_t>& frames,
                  const char* indent) {
    const std::lock_guard one(callers_);
    std::unique_lock l(m_);
    if (!thread_.joinable())
      thread_ = std::thread([this] { loop(); });
    job_ = &frames;
    indent_ = indent;
    done_ = false;
    cv_.notify_all();
    cv_.wait(l, [this] { return done_; });
    return std::move(result_);
  }

  /// One line per function: `#N function at file:line`, innermost first,
  /// an inlined function as a line of its own; up to the process's entry
  /// (below it there is only the runtime's machinery).
  std::string format(const std::vector<std::uintptr_t>& frames,
                     const char* indent) {
    std::ostringstream os;
    std::size_t n = 0;
    for (const std::uintptr_t ret : frames) {
      // A return address: the call is the byte before it (after a call
      // that never returns, the address is already the next function's).
      const std::uintptr_t pc = ret - 1;
      for (const auto& f : describe(pc)) {
        if (is_entry(f))
          return os.str();
        if (is_forwarding(f))
          continue;
        os << (n == 0 ? "" : "\n") << indent << '#' << n << ' ';
        ++n;
        if (f.function.empty())
          os << "0x" << std::hex << ret << std::dec;
        else
          os << f.function;
        if (!f.file.empty())
          os << " at " << f.file << ':' << f.line;
      }
    }
    return os.str();
  }

private:
  struct function_at {
    std::string function; ///< demangled; empty if unknown
    std::string file;
    int line = 0;
  };

  static bool ends_with(const std::string& s, const char* tail) {
    const std::size_t n = std::strlen(tail);
    return s.size() >= n && s.compare(s.size() - n, n, tail) == 0;
  }

  /// Where a process's own code begins: the runtime calls it through
  /// `unique_task` from `run_landed`, and `spawn`'s wrapper calls the
  /// function given to it.
  static bool is_entry(const function_at& f) {
    return f.function.rfind("otp::detail::run_landed(", 0) == 0
           || f.function.rfind("otp::detail::unique_task::", 0) == 0
           || ends_with(f.file, "framework/detail/unique_task.hpp")
           || ends_with(f.file, "framework/spawn.hpp");
  }

  /// `std::invoke` and `std::apply`, inlined: they only pass the call on.
  static bool is_forwarding(const function_at& f) {
    if (f.file.find("/include/c++/") == std::string::npos)
      return false;
    for (const char* name : {"__invoke", "__apply_impl", "apply<", "invoke<"})
      if (f.function.rfind(name, 0) == 0)
        return true;
    return false;
  }

  /// What `pc` is: the functions inlined there (innermost first), then the
  /// one they are inlined into.
  std::vector<function_at> describe(std::uintptr_t pc) {
    std::vector<function_at> out;
#if OTP_USE_LIBBACKTRACE
    if (state_ == nullptr)
      state_ = backtrace_create_state(nullptr, 0, ignore_error, nullptr);
    if (state_ != nullptr) {
      backtrace_pcinfo(state_, pc, on_line, ignore_error, &out);
      if (out.empty() || out.front().function.empty()) {
        // No debug information: the symbol table has the name.
        std::string name;
        backtrace_syminfo(state_, pc, on_symbol, ignore_error, &name);
        if (out.empty())
          out.push_back({});
        out.front().function = std::move(name);
      }
      return out;
    }
#endif
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a code address
    const boost::stacktrace::frame f(reinterpret_cast<const void*>(pc));
    out.push_back(
        {f.name(), f.source_file(), static_cast<int>(f.source_line())});
    return out;
  }

#if OTP_USE_LIBBACKTRACE
  static void ignore_error(void*, const char*, int) {}
  static int on_line(void* data, std::uintptr_t, const char* file, int line,
                     const char* function) {
    auto& out = *static_cast<std::vector<function_at>*>(data);
    out.push_back({function != nullptr ? boost::core::demangle(function) : "",
                   file != nullptr ? file : "", line});
    return 0;
  }
  static void on_symbol(void* data, std::uintptr_t, const char* name,
                        std::uintptr_t, std::uintptr_t) {
    if (name != nullptr)
      *static_cast<std::string*>(data) = boost::core::demangle(name);
  }
  /// Built on first use, on this thread only (so `threaded` = 0).
  backtrace_state* state_ = nullptr;
#endif

  void loop() {
    std::unique_lock l(m_);
    for (;;) {
      cv_.wait(l, [this] { return job_ != nullptr; });
      try {
        result_ = format(*job_, indent_);
      } catch (...) {
        result_ = std::string(indent_) + "(stack trace not available)";
      }
      job_ = nullptr;
      done_ = true;
      cv_.notify_all();
    }
  }

  std::mutex callers_;
  std::mutex m_;
  std::condition_variable cv_;
  const std::vector<std::uintptr_t>* job_ = nullptr;
  const char* indent_ = "";
  std::string result_;
  bool done_ = false;
  std::thread thread_;
};

} // namespace

void count_tracing_runtime(bool starts) noexcept {
  tracing_runtimes.fetch_add(starts ? 1 : -1, std::memory_order_relaxed);
}

std::vector<std::uintptr_t> handled_exception_trace() noexcept {
  process* p = current_process();
  if (p == nullptr || !p->extras_ || !p->extras_->throws)
    return {};
  const void* object = handled_object();
  if (object == nullptr)
    return {};
  try {
    for (const throw_record& r : p->extras_->throws->records) {
      if (r.object != object)
        continue;
      std::vector<std::uintptr_t> out(r.depth);
      for (std::size_t i = 0; i < r.depth; ++i)
        out[i] = reinterpret_cast<std::uintptr_t>(r.frames[i]);
      return out;
    }
  } catch (...) {
    // Out of memory: the reason goes without its trace.
  }
  return {};
}

std::string symbolize(const std::vector<std::uintptr_t>& frames,
                      const char* indent) {
  if (frames.empty())
    return {};
  static auto* const s = new symbolizer(); // NOLINT: immortal, see above
  try {
    return s->run(frames, indent);
  } catch (const std::system_error&) {
    // No thread to be had: the addresses, unsymbolized.
    std::ostringstream os;
    for (std::size_t i = 0; i < frames.size(); ++i)
      os << (i == 0 ? "" : "\n") << indent << '#' << i << " 0x" << std::hex
         << frames[i] << std::dec;
    return os.str();
  }
}

} // namespace otp::detail

/// Every throw of the program comes here first (the C++ runtime's
/// `__cxa_throw` is found behind it at load time). Weak: a program that
/// links the C++ runtime statically keeps its own, and goes without traces.
extern "C" __attribute__((weak, noreturn)) void
__cxa_throw( // NOLINT(bugprone-reserved-identifier): the C++ ABI's name
    void* object, otp_thrown_type type, void (*destroy)(void*)) {
  otp::detail::record_throw(object, static_cast<const std::type_info*>(type));
  const auto next = otp::detail::next_throw();
  if (next == nullptr) {
    std::fputs("otp: the C++ runtime's __cxa_throw was not found\n", stderr);
    std::abort();
  }
  next(object, type, destroy);
  __builtin_unreachable();
}
