#include "supervision/supervisor_state.hpp"

#include <ostream>

namespace otp {

std::ostream& operator<<(std::ostream& os, const supervisor_state& s) {
  os << '{' << s.kind << ',' << to_string(s.strategy) << ",{" << s.max_restarts
     << ',' << s.max_seconds.count() << "},[";
  bool first = true;
  for (const supervisor_child_state& c : s.children) {
    if (!first)
      os << ',';
    first = false;
    os << '{' << (c.id.empty() ? "undefined" : c.id) << ',';
    if (c.pid)
      os << c.pid;
    else
      os << "undefined";
    os << ',' << to_string(c.status) << '}';
  }
  return os << "]}";
}

} // namespace otp
