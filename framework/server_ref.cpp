#include "framework/server_ref.hpp"

#include "framework/registry.hpp"

#include <ostream>

namespace otp {

pid server_ref::resolve() const {
  return by_name() ? whereis(name_) : pid_;
}

std::string server_ref::to_string() const {
  return by_name() ? name_ : pid_.to_string();
}

std::ostream& operator<<(std::ostream& os, const server_ref& r) {
  return os << r.to_string();
}

} // namespace otp
