// 06_kv_loop: a key-value store kept in a process, as a raw receive loop.
//
// In Elixir:
//   defp loop(map) do
//     receive do
//       {:get, key, caller} -> send caller, Map.get(map, key); loop(map)
//       {:put, key, value}  -> loop(Map.put(map, key, value))
//     end
//   end
//
// The state is a local variable of the loop (C++ has no tail calls). Any
// process that knows the pid can read and change it.
//
// Expected output (pid numbers vary):
//   kv::start() -> <0.2.0>
//   get hello -> nil
//   put hello world
//   get hello -> :world
//   <0.3.0> put lang C++
//   get lang -> :C++

#include "framework/otp.hpp"

#include <iostream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

namespace kv {

struct get {
  std::string key;
  otp::pid caller;
};
struct put {
  std::string key;
  std::string value;
};
/// The answer to a get: a value or nil.
struct value {
  std::optional<std::string> v;
  friend std::ostream& operator<<(std::ostream& os, const value& r) {
    return r.v ? os << ':' << *r.v : os << "nil";
  }
};
struct done {};

void loop(std::map<std::string, std::string> map) {
  for (;;)
    otp::receive(
        [&](get m) {
          const auto it = map.find(m.key);
          otp::send(m.caller,
                    value{it == map.end() ? std::nullopt
                                          : std::optional(it->second)});
        },
        [&](put m) {
          map.insert_or_assign(std::move(m.key), std::move(m.value));
        });
}

// Runs until the runtime shuts down (reason `shutdown`: no report).
otp::pid start() {
  return otp::spawn(loop, std::map<std::string, std::string>{});
}

} // namespace kv

int main() {
  otp::runtime rt;
  const otp::exit_reason reason = rt.run([] {
    const otp::pid pid = kv::start();
    std::cout << "kv::start() -> " << pid << "\n";

    otp::send(pid, kv::get{"hello", otp::self()});
    std::cout << "get hello -> " << otp::receive_as<kv::value>() << "\n";

    // Messages from one sender arrive in order: the get sees the put.
    otp::send(pid, kv::put{"hello", "world"});
    std::cout << "put hello world\n";
    otp::send(pid, kv::get{"hello", otp::self()});
    std::cout << "get hello -> " << otp::receive_as<kv::value>() << "\n";

    // Another process changes the state through the same pid, then tells us.
    const otp::pid me = otp::self();
    const otp::pid other = otp::spawn([me, pid] {
      otp::send(pid, kv::put{"lang", "C++"});
      otp::send(me, kv::done{});
    });
    otp::receive([](kv::done) {});
    std::cout << other << " put lang C++\n";
    otp::send(pid, kv::get{"lang", otp::self()});
    std::cout << "get lang -> " << otp::receive_as<kv::value>() << "\n";
  });
  return reason.is_normal() ? 0 : 1;
}
