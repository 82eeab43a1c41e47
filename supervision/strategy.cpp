#include "supervision/strategy.hpp"

#include "framework/detail/deadline.hpp"
#include "supervision/child_info.hpp"

#include <ostream>

namespace otp {

std::string child_shutdown::to_string() const {
  switch (kind_) {
  case kind::brutal_kill:
    return "brutal_kill";
  case kind::infinity:
    return "infinity";
  case kind::timeout:
    break;
  }
  // A negative value is printed as given: it is the bad value in
  // `{invalid_shutdown,-5}`.
  if (time_ < std::chrono::milliseconds::zero())
    return std::to_string(time_.count());
  return otp::detail::timeout_to_string(time_);
}

std::ostream& operator<<(std::ostream& os, const child_shutdown& s) {
  return os << s.to_string();
}

const char* to_string(strategy s) noexcept {
  switch (s) {
  case strategy::one_for_one:
    return "one_for_one";
  case strategy::one_for_all:
    return "one_for_all";
  case strategy::rest_for_one:
    return "rest_for_one";
  }
  return "invalid_strategy";
}

const char* to_string(restart_type r) noexcept {
  switch (r) {
  case restart_type::permanent:
    return "permanent";
  case restart_type::transient:
    return "transient";
  case restart_type::temporary:
    return "temporary";
  }
  return "invalid_restart_type";
}

const char* to_string(child_type t) noexcept {
  switch (t) {
  case child_type::worker:
    return "worker";
  case child_type::supervisor:
    return "supervisor";
  }
  return "invalid_child_type";
}

const char* to_string(auto_shutdown a) noexcept {
  switch (a) {
  case auto_shutdown::never:
    return "never";
  case auto_shutdown::any_significant:
    return "any_significant";
  case auto_shutdown::all_significant:
    return "all_significant";
  }
  return "invalid_auto_shutdown";
}

const char* to_string(child_status s) noexcept {
  switch (s) {
  case child_status::running:
    return "running";
  case child_status::restarting:
    return "restarting";
  case child_status::undefined:
    return "undefined";
  }
  return "invalid_child_status";
}

std::ostream& operator<<(std::ostream& os, const child_info& c) {
  return os << '{' << (c.id.empty() ? "undefined" : c.id) << ','
            << (c.status == child_status::running ? c.pid.to_string()
                                                  : to_string(c.status))
            << ',' << to_string(c.type) << '}';
}

std::ostream& operator<<(std::ostream& os, const child_counts& c) {
  return os << "[{specs," << c.specs << "},{active," << c.active
            << "},{supervisors," << c.supervisors << "},{workers," << c.workers
            << "}]";
}

} // namespace otp
