#include "framework/pid.hpp"

#include <ostream>
#include <utility>

namespace otp {

pid& pid::operator=(const pid& other) noexcept {
  pid tmp(other);
  std::swap(p_, tmp.p_);
  std::swap(serial_, tmp.serial_);
  return *this;
}

pid& pid::operator=(pid&& other) noexcept {
  pid tmp(std::move(other));
  std::swap(p_, tmp.p_);
  std::swap(serial_, tmp.serial_);
  return *this;
}

std::string pid::to_string() const {
  if (p_ == nullptr)
    return "<undefined>";
  return "<0." + std::to_string(serial_) + ".0>";
}

std::ostream& operator<<(std::ostream& os, const pid& p) {
  return os << p.to_string();
}

} // namespace otp
