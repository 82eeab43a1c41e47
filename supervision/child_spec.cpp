#include "supervision/child_spec.hpp"

#include "framework/message.hpp"

#include <string>

namespace otp {

std::optional<exit_reason> check_child_spec(const child_spec& spec,
                                            auto_shutdown mode) {
  using r = exit_reason;
  if (spec.id.empty())
    return r::user("{invalid_id,\"\"}");
  if (!spec.start)
    return r::user("{missing_start," + spec.id + "}");
  if (spec.restart != restart_type::permanent
      && spec.restart != restart_type::transient
      && spec.restart != restart_type::temporary)
    return r::user("{invalid_restart_type,"
                   + std::to_string(static_cast<int>(spec.restart)) + "}");
  if (spec.type != child_type::worker && spec.type != child_type::supervisor)
    return r::user("{invalid_child_type,"
                   + std::to_string(static_cast<int>(spec.type)) + "}");
  if (spec.shutdown && spec.shutdown->what() == child_shutdown::kind::timeout
      && spec.shutdown->time().count() < 0)
    return r::user("{invalid_shutdown," + spec.shutdown->to_string() + "}");
  if (spec.significant && mode == auto_shutdown::never)
    return r::user("{bad_combination,[{auto_shutdown,never},{significant,"
                   "true}]}");
  if (spec.significant && spec.restart == restart_type::permanent)
    return r::user(
        "{bad_combination,[{restart,permanent},{significant,true}]}");
  return std::nullopt;
}

namespace detail {

exit_reason bad_extra_arguments(const std::type_info& expected,
                                const extra_arguments& got) {
  return exit_reason::user(
      "{bad_extra_arguments,{expected," + demangle(expected) + "},{got,"
      + (got.has_value() ? demangle(got.type()) : std::string("none")) + "}}");
}

} // namespace detail
} // namespace otp
