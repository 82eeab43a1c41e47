#include "framework/sys_protocol.hpp"

#include <ostream>

namespace otp::detail {

void system_op::print(std::ostream& os) const {
  os << name();
}

std::ostream& operator<<(std::ostream& os, const system_message& m) {
  os << "{system," << m.from.caller() << ',';
  if (m.op)
    m.op->print(os);
  else
    os << "undefined";
  return os << '}';
}

special_process::~special_process() = default;

bool is_system_message(const envelope* e) noexcept {
  return e->type == &type_desc_of<system_message>;
}

std::optional<exit_reason> handle_system_message(special_process& p,
                                                 system_message& m) {
  if (!m.op)
    return std::nullopt; // a hand-built empty request: nothing to do
  return m.op->run(p, m.from);
}

exit_reason bad_state_type(const std::type_info& expected,
                           const system_state& got) {
  return exit_reason::user(
      "{bad_state_type,{expected," + demangle(expected) + "},{got,"
      + (got.type != nullptr ? demangle(*got.type) : std::string("none"))
      + "}}");
}

exit_reason callback_failed(const special_process& p, const char* function,
                            const exit_reason& why) {
  return exit_reason::user("{callback_failed,{" + std::string(p.system_module())
                           + "," + function + "}," + why.to_string() + "}");
}

exit_reason state_not_replaceable(const special_process& p) {
  return callback_failed(p, "system_replace_state",
                         exit_reason::user("{error,state_not_replaceable}"));
}

} // namespace otp::detail
