// 11_kv_agent: the key-value store of 06_kv_loop again, as an Agent.
//
// In Elixir:
//   {:ok, pid} = Agent.start_link(fn -> %{} end)
//   Agent.update(pid, fn map -> Map.put(map, :hello, :world) end)
//   Agent.get(pid, fn map -> Map.get(map, :hello) end)     #=> :world
//
// The receive loop is gone: the agent keeps the map, and each function
// runs inside the agent process, so no two of them ever overlap. `put` and
// `get` are calls (they wait); `cast` does not wait. With a name (Elixir's
// `name:` option) any process can reach the store without its pid.
//
// Expected output (pid numbers vary):
//   kv::start_link() -> {ok,<0.2.0>}
//   get hello -> nil
//   put hello world
//   get hello -> :world
//   delete hello -> :world
//   get hello -> nil
//   ran inside the agent: true
//   <0.3.0> put lang C++ through the name "kv"
//   get lang -> :C++
//   stop: alive(<0.2.0>) = false

#include "behaviours/agent.hpp"
#include "framework/otp.hpp"

#include <iostream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

namespace kv {

using map = std::map<std::string, std::string>;
using bucket = otp::agent<map>;

/// A value or nil, printed the Elixir way.
struct value {
  std::optional<std::string> v;
  friend std::ostream& operator<<(std::ostream& os, const value& r) {
    return r.v ? os << ':' << *r.v : os << "nil";
  }
};

/// Another process tells main it is done.
struct done {};

/// Start an empty store registered as `name` (Elixir's `name:` option).
otp::start_result start_link(std::string name) {
  otp::server_options o;
  o.name = std::move(name);
  return bucket::start_link([] { return map{}; }, o);
}

value get(const bucket& b, const std::string& key) {
  return b.get([key](const map& m) {
    const auto it = m.find(key);
    return value{it == m.end() ? std::nullopt : std::optional(it->second)};
  });
}

void put(const bucket& b, std::string key, std::string v) {
  b.update([key = std::move(key), v = std::move(v)](map& m) {
    m.insert_or_assign(key, v);
  });
}

/// Remove `key` and return its value: Elixir's
/// `Agent.get_and_update(b, &Map.pop(&1, key))`, `{reply, new_state}`.
value del(const bucket& b, const std::string& key) {
  return b.get_and_update([key](const map& m) {
    map next = m;
    const auto node = next.extract(key);
    return std::pair{value{node ? std::optional(node.mapped()) : std::nullopt},
                     std::move(next)};
  });
}

} // namespace kv

int main() {
  otp::runtime rt;
  const otp::exit_reason reason = rt.run([] {
    const otp::start_result started = kv::start_link("kv");
    std::cout << "kv::start_link() -> " << started.to_string() << "\n";
    const kv::bucket b = started.pid();

    std::cout << "get hello -> " << kv::get(b, "hello") << "\n";
    kv::put(b, "hello", "world");
    std::cout << "put hello world\n";
    std::cout << "get hello -> " << kv::get(b, "hello") << "\n";
    std::cout << "delete hello -> " << kv::del(b, "hello") << "\n";
    std::cout << "get hello -> " << kv::get(b, "hello") << "\n";

    // The functions run in the agent, not in the caller.
    const otp::pid ran_in = b.get([](const kv::map&) { return otp::self(); });
    std::cout << "ran inside the agent: " << std::boolalpha
              << (ran_in == started.pid()) << "\n";

    // Another process knows only the name.
    const otp::pid me = otp::self();
    const otp::pid other = otp::spawn([me] {
      kv::put(kv::bucket("kv"), "lang", "C++");
      otp::send(me, kv::done{});
    });
    otp::receive([](kv::done) {});
    std::cout << other << " put lang C++ through the name \"kv\"\n";
    std::cout << "get lang -> " << kv::get(kv::bucket("kv"), "lang") << "\n";

    b.stop();
    std::cout << "stop: alive(" << started.pid()
              << ") = " << otp::alive(started.pid()) << "\n";
  });
  return reason.is_normal() ? 0 : 1;
}
