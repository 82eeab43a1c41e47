#pragma once
/// \file exit_reason.hpp
/// `otp::exit_reason`: why a process ended, as a value.
///
/// Reasons compare, print (`normal`, `{shutdown,db_down}`, `killed`,
/// `{exception,std::runtime_error,"oops"}`) and convert to and from JSON with
/// nlohmann/json (include `<nlohmann/json.hpp>` and call `nlohmann::json(r)`).
/// `normal`, `shutdown` and `{shutdown, detail}` form the silent set: they
/// never produce an error report. Copies share their text (immutable), so
/// passing reasons around is cheap and thread-safe.

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <exception>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace otp {

/// Why a process ended.
class exit_reason {
public:
  /// The kinds of reasons. `shutdown` may carry a detail
  /// (`{shutdown, detail}`); `exception` carries the exception type and its
  /// `what()`; `user` carries the user's text.
  enum class kind : std::uint8_t {
    normal,
    shutdown,
    kill,
    killed,
    noproc,
    timeout,
    exception,
    user,
    bad_return_value,
    calling_self,
    already_started,
    wrapped,
    stack_overflow,
    system_limit
  };

  /// `normal`.
  exit_reason() noexcept = default;

  static exit_reason normal() noexcept { return {}; }
  static exit_reason shutdown() noexcept { return exit_reason(kind::shutdown); }
  /// `{shutdown, detail}`: silent like `shutdown`, with a detail.
  static exit_reason shutdown(std::string detail);
  /// `kill`: as a signal it is untrappable and the target dies `killed`.
  static exit_reason kill() noexcept { return exit_reason(kind::kill); }
  static exit_reason killed() noexcept { return exit_reason(kind::killed); }
  static exit_reason noproc() noexcept { return exit_reason(kind::noproc); }
  static exit_reason timeout() noexcept { return exit_reason(kind::timeout); }
  /// An exception escaped: its (demangled) type and `what()`; `trace`: the
  /// return addresses of the stack that threw it, innermost first (see
  /// `runtime_options::exception_traces`).
  static exit_reason exception(std::string type, std::string what,
                               std::vector<std::uintptr_t> trace = {});
  /// Any other reason, named by the user (Erlang's `exit(:boom)`).
  static exit_reason user(std::string text);
  /// `{bad_return_value, V}`: a callback returned something the behaviour
  /// does not accept; `value` is its printed form.
  static exit_reason bad_return_value(std::string value);
  /// `calling_self`: a process made a synchronous call to itself.
  static exit_reason calling_self() noexcept {
    return exit_reason(kind::calling_self);
  }
  /// `stack_overflow`: the process ran past the end of its stack (see
  /// runtime.hpp, "Stacks"). Never silent.
  static exit_reason stack_overflow() noexcept {
    return exit_reason(kind::stack_overflow);
  }
  /// `system_limit`: a resource the runtime needed ran out (no stack could
  /// be had for the process, for example). Never silent.
  static exit_reason system_limit() noexcept {
    return exit_reason(kind::system_limit);
  }
  /// `{already_started, Pid}`: a start found its name taken by `holder`
  /// (the pid's text).
  static exit_reason already_started(std::string holder);
  /// `{Inner, Where}`: `inner` raised inside the operation `where`, e.g.
  /// `{timeout,{GenServer,call,[<0.7.0>,get,5000]}}`. Never silent, never
  /// normal (Erlang treats the pair as an ordinary reason).
  static exit_reason wrap(exit_reason inner, std::string where);
  /// `{Input, Reason}`: `reason` of the work done on `input` (its printed
  /// form), as Elixir's `async_stream(..., zip_input_on_exit: true)` gives
  /// it. A wrapped reason like `wrap`'s (`inner()` is `reason`, `where()`
  /// is `input`) that prints the input first.
  static exit_reason with_input(std::string input, exit_reason reason);

  kind what_kind() const noexcept { return kind_; }
  /// The shutdown detail, the exception's `what()` or the user text; empty
  /// otherwise.
  const std::string& detail() const noexcept;
  /// True for `{shutdown, detail}` (even with an empty detail), exceptions,
  /// user reasons, bad_return_value, already_started and wrapped reasons.
  bool has_detail() const noexcept { return text_ != nullptr; }
  /// The exception type name; empty unless `kind::exception`.
  const std::string& exception_type() const noexcept;
  /// Where the exception was thrown (`kind::exception` from a runtime with
  /// `exception_traces`): return addresses, innermost first; else empty.
  /// Diagnostic only: `==` and JSON input ignore it.
  const std::vector<std::uintptr_t>& stack_trace() const noexcept;
  /// `stack_trace()` symbolized, one frame per line
  /// (`    #0 parse(std::string const&) at parser.cpp:42`); empty without a
  /// trace. Reads the program's debug information on first use.
  std::string stack_trace_text() const;
  /// For `kind::wrapped`: the reason inside; otherwise `*this`.
  const exit_reason& inner() const noexcept;
  /// For `kind::wrapped`: where it happened; empty otherwise.
  const std::string& where() const noexcept;
  /// True for a reason made by `with_input` (printed `{Input,Reason}`).
  bool input_first() const noexcept;
  /// Unwrap every `wrapped` layer: the reason at the bottom.
  const exit_reason& root() const noexcept;

  bool is_normal() const noexcept { return kind_ == kind::normal; }
  /// `normal`, `shutdown` or `{shutdown, detail}`: no error report.
  bool is_silent() const noexcept {
    return kind_ == kind::normal || kind_ == kind::shutdown;
  }

  /// Erlang-like text: `normal`, `{shutdown,detail}`, `killed`,
  /// `{exception,std::runtime_error,"oops"}`, or the user text.
  std::string to_string() const;

  friend bool operator==(const exit_reason& a, const exit_reason& b) noexcept;
  friend std::ostream& operator<<(std::ostream& os, const exit_reason& r);

private:
  struct text;
  explicit exit_reason(kind k) noexcept : kind_(k) {}
  exit_reason(kind k, std::shared_ptr<const text> t) noexcept
      : kind_(k),
        text_(std::move(t)) {}

  kind kind_ = kind::normal;
  std::shared_ptr<const text> text_;
};

/// Thrown to make the calling process exit with `reason`, unwinding its stack
/// (RAII runs), e.g. by `link` to a dead process or a failed `call`. If it
/// escapes the process, the process ends with exactly `reason` (not with an
/// exception reason). It may be caught like any exception; every API that
/// throws it has a non-throwing variant returning a result instead.
class exit_error : public std::exception {
public:
  explicit exit_error(exit_reason reason);
  const exit_reason& reason() const noexcept { return reason_; }
  const char* what() const noexcept override { return what_.c_str(); }

private:
  exit_reason reason_;
  std::string what_;
};

/// `{"kind": "exception", "type": "...", "what": "..."}` and so on.
void to_json(nlohmann::json& j, const exit_reason& r);
/// The inverse of `to_json`; throws `std::invalid_argument` naming the bad
/// field on malformed input.
void from_json(const nlohmann::json& j, exit_reason& r);

/// The name of a kind: "normal", "shutdown", ...
const char* to_string(exit_reason::kind k) noexcept;

} // namespace otp
