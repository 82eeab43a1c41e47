#include "framework/message.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <ostream>
#include <sstream>

namespace otp {

namespace detail {

std::string demangle(const std::type_info& info) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(info.name(), nullptr, nullptr, &status), std::free);
  std::string out = status == 0 && name ? name.get() : info.name();
  if (out.rfind("std::__cxx11::basic_string<char", 0) == 0)
    return "std::string";
  return out;
}

void print_unprintable(std::ostream& os, const std::type_info& info) {
  os << "#<" << demangle(info) << ">";
}

} // namespace detail

std::string any_message::to_string() const {
  std::ostringstream os;
  os << *this;
  return os.str();
}

} // namespace otp
