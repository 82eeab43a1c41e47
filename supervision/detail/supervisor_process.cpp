#include "supervision/detail/supervisor_process.hpp"

#include "framework/receive.hpp"
#include "framework/signals.hpp"

#include <sstream>

namespace otp::detail::sup {

std::string supervisor_process::system_type() const {
  return kind();
}

std::string supervisor_process::system_format_status() {
  std::ostringstream os;
  os << snapshot();
  return os.str();
}

system_state supervisor_process::system_get_state() {
  last_ = snapshot();
  return {&last_, &typeid(supervisor_state), false};
}

void supervisor_process::on_system(system_message& m) {
  if (std::optional<exit_reason> why = handle_system_message(*this, m))
    stop_ = std::move(*why);
}

void supervisor_process::serve_suspended() {
  // OTP's sys:suspend_loop: system messages, and the parent's EXIT (the
  // supervisor still ends with its parent).
  otp::receive(
      [&](system_message&& m) { on_system(m); },
      otp::guard(
          [&](const exit_message& m) { return parent && m.from == parent; },
          [&](exit_message&& m) { stop_ = std::move(m.reason); }));
}

} // namespace otp::detail::sup
