#include "framework/ref.hpp"

#include <atomic>
#include <ostream>

namespace otp {

std::string ref::to_string() const {
  return "#Ref<0.0.0." + std::to_string(id_) + ">";
}

std::ostream& operator<<(std::ostream& os, const ref& r) {
  return os << r.to_string();
}

ref make_ref() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return ref(next.fetch_add(1, std::memory_order_relaxed));
}

} // namespace otp
