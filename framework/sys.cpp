#include "framework/sys.hpp"

#include "framework/detail/deadline.hpp"
#include "framework/this_process.hpp"

#include <ostream>
#include <sstream>

namespace otp {

namespace {

/// The reply of the requests that answer only "done".
struct done {};

class suspend_op final : public detail::system_op {
public:
  const char* name() const noexcept override { return "suspend"; }
  std::optional<exit_reason> run(detail::special_process& p,
                                 const from& caller) override {
    p.suspended = true;
    reply(caller, done{});
    return std::nullopt;
  }
};

class resume_op final : public detail::system_op {
public:
  const char* name() const noexcept override { return "resume"; }
  std::optional<exit_reason> run(detail::special_process& p,
                                 const from& caller) override {
    p.suspended = false;
    reply(caller, done{});
    return std::nullopt;
  }
};

class statistics_op final : public detail::system_op {
public:
  const char* name() const noexcept override { return "statistics"; }
  std::optional<exit_reason> run(detail::special_process& p,
                                 const from& caller) override {
    sys::statistics_info i;
    i.messages_in = p.counters.messages_in;
    i.messages_out = p.counters.messages_out;
    i.callbacks = p.counters.callbacks;
    i.uptime = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - p.started_at);
    reply(caller, i);
    return std::nullopt;
  }
};

class status_op final : public detail::system_op {
public:
  const char* name() const noexcept override { return "get_status"; }
  std::optional<exit_reason> run(detail::special_process& p,
                                 const from& caller) override {
    sys::status_info i;
    i.pid = self();
    i.name = p.name;
    i.parent = p.parent;
    i.status = p.suspended ? "suspended" : "running";
    try {
      i.state = p.system_format_status();
    } catch (...) {
      // As OTP's gen_server does: the status still comes, the crash shown.
      exit_reason why;
      if (!detail::current_exception_reason(why))
        throw; // the runtime's own unwinding (a kill) goes on
      i.state = "{format_status_crashed," + why.to_string() + "}";
    }
    i.server_type = p.system_type();
    reply(caller, std::move(i));
    return std::nullopt;
  }
};

/// `{terminate, Reason}`: never replies; the caller sees the process end.
class stop_op final : public detail::system_op {
public:
  explicit stop_op(exit_reason r) : reason_(std::move(r)) {}
  const char* name() const noexcept override { return "terminate"; }
  std::optional<exit_reason> run(detail::special_process&,
                                 const from&) override {
    return reason_;
  }
  void print(std::ostream& os) const override {
    os << "{terminate," << reason_ << '}';
  }

private:
  exit_reason reason_;
};

template <class R>
R system_request(const server_ref& to, std::unique_ptr<detail::system_op> op,
                 std::chrono::milliseconds timeout) {
  return detail::take_reply<R>(detail::system_call(to, std::move(op), timeout))
      .value();
}

} // namespace

namespace detail {

envelope* system_call(const server_ref& to, std::unique_ptr<system_op> op,
                      std::chrono::milliseconds timeout) {
  // Copied now: the request (and what its name points to) belongs to the
  // target once sent.
  const std::string function = op->name();
  call_state st;
  exit_reason err;
  if (call_begin(to, st, err)) {
    call_guard guard(st);
    push(st.target.get(), make_envelope<system_message>(
                              system_message{from(st.alias), std::move(op)}));
    if (envelope* e = call_wait(st, timeout, err))
      return e;
  }
  std::ostringstream w;
  w << "{sys," << function << ",[" << to << ',' << timeout_to_string(timeout)
    << "]}";
  throw exit_error(exit_reason::wrap(std::move(err), w.str()));
}

// The public stop functions take their reason by value and move it here.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
result<void> stop_process(const server_ref& to, exit_reason reason,
                          std::chrono::milliseconds timeout, call_site site) {
  call_state st;
  exit_reason err;
  if (call_begin(to, st, err)) {
    call_guard guard(st);
    push(st.target.get(),
         make_envelope<system_message>(system_message{
             from(st.alias), std::make_unique<stop_op>(reason)}));
    // The request is never answered: the wait ends with the DOWN (the
    // process ended, with `reason` or another one) or the timeout.
    if (envelope* e = call_wait(st, timeout, err)) {
      // Only a hand-written loop that answers everything can get here.
      destroy(e);
      err = exit_reason::user("{unexpected_reply,terminate}");
    } else if (err == reason) {
      return {};
    }
  }
  std::ostringstream w;
  w << '{' << site.module << ',' << site.function << ",[" << to << ',' << reason
    << ',' << timeout_to_string(timeout) << "]}";
  return exit_reason::wrap(std::move(err), w.str());
}

} // namespace detail

namespace sys {

void suspend(const server_ref& s, std::chrono::milliseconds timeout) {
  system_request<done>(s, std::make_unique<suspend_op>(), timeout);
}

void resume(const server_ref& s, std::chrono::milliseconds timeout) {
  system_request<done>(s, std::make_unique<resume_op>(), timeout);
}

statistics_info statistics(const server_ref& s,
                           std::chrono::milliseconds timeout) {
  return system_request<statistics_info>(s, std::make_unique<statistics_op>(),
                                         timeout);
}

status_info get_status(const server_ref& s, std::chrono::milliseconds timeout) {
  return system_request<status_info>(s, std::make_unique<status_op>(), timeout);
}

} // namespace sys

result<void> try_stop(const server_ref& s, exit_reason reason,
                      std::chrono::milliseconds timeout) {
  return detail::stop_process(s, std::move(reason), timeout,
                              {"GenServer", "stop"});
}

void stop(const server_ref& s, exit_reason reason,
          std::chrono::milliseconds timeout) {
  try_stop(s, std::move(reason), timeout).value();
}

} // namespace otp
