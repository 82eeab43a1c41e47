// 12_kv_gen_server: the key-value store of 06_kv_loop as a GenServer
// registered under a name.
//
// In Elixir, where that state-keeping loop, written once, is called a
// GenServer:
//   def get(key),        do: GenServer.call(KV, {:get, key})
//   def put(key, value), do: GenServer.cast(KV, {:put, key, value})
//   def handle_call({:get, key}, _from, map), do: {:reply, map[key], map}
//   def handle_cast({:put, k, v}, map),       do: {:noreply, Map.put(map, k,
//   v)}
//
// The receive loop of 06 becomes callbacks; the messages become types. As in
// Elixir, the client API (free functions) comes first and hides call/cast;
// the callbacks follow. The server is registered as "kv", so clients need no
// pid. `get` is a call (it waits for the reply), `put` a cast (it does not).
//
// Expected output (pid numbers vary):
//   kv::start_link() -> {ok,<0.2.0>}
//   whereis("kv") -> <0.2.0>
//   get hello -> nil
//   put hello world
//   get hello -> :world
//   <0.3.0> put lang C++
//   keys -> [hello lang]
//   terminate(normal) with 2 keys
//   after stop: whereis("kv") -> <undefined>

#include "behaviours/gen_server.hpp"
#include "framework/otp.hpp"

#include <iostream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace kv {

/// The protocol (Elixir's `{:get, key}`, `{:put, key, value}`, `:keys`).
namespace msg {
struct get {
  std::string key;
};
struct put {
  std::string key;
  std::string value;
};
struct keys {};
} // namespace msg

/// A value or nil, printed the Elixir way.
struct value {
  std::optional<std::string> v;
  friend std::ostream& operator<<(std::ostream& os, const value& r) {
    return r.v ? os << ':' << *r.v : os << "nil";
  }
};

/// The server's state and callbacks (defined below the client API).
class server : public otp::gen_server<server> {
public:
  otp::call_result<value> handle_call(const msg::get& m);
  otp::call_result<std::vector<std::string>> handle_call(const msg::keys&);
  otp::cast_result handle_cast(const msg::put& m);
  void terminate(const otp::exit_reason& reason);

private:
  std::map<std::string, std::string> map_;
};

// -- client API ---------------------------------------------------------------

/// The server, by its registered name.
const otp::server<server> registered("kv");

otp::start_result start_link() {
  otp::server_options o;
  o.name = "kv";
  return server::start_link(o);
}
value get(std::string key) {
  return otp::call(registered, msg::get{std::move(key)});
}
void put(std::string key, std::string value) {
  otp::cast(registered, msg::put{std::move(key), std::move(value)});
}
std::vector<std::string> keys() {
  return otp::call(registered, msg::keys{});
}
void stop() {
  otp::stop(registered);
}

// -- callbacks ----------------------------------------------------------------

otp::call_result<value> server::handle_call(const msg::get& m) {
  const auto it = map_.find(m.key);
  return reply(
      value{it == map_.end() ? std::nullopt : std::optional(it->second)});
}

otp::call_result<std::vector<std::string>>
server::handle_call(const msg::keys&) {
  std::vector<std::string> out;
  for (const auto& [k, v] : map_)
    out.push_back(k);
  return reply(std::move(out));
}

otp::cast_result server::handle_cast(const msg::put& m) {
  map_.insert_or_assign(m.key, m.value);
  return noreply();
}

void server::terminate(const otp::exit_reason& reason) {
  std::cout << "terminate(" << reason << ") with " << map_.size() << " keys\n";
}

} // namespace kv

int main() {
  otp::runtime rt;
  const otp::exit_reason reason = rt.run([] {
    std::cout << "kv::start_link() -> " << kv::start_link().to_string() << "\n";
    std::cout << "whereis(\"kv\") -> " << otp::whereis("kv") << "\n";
    std::cout << "get hello -> " << kv::get("hello") << "\n";
    kv::put("hello", "world");
    std::cout << "put hello world\n";
    // Casts and calls from one process arrive in order: get sees the put.
    std::cout << "get hello -> " << kv::get("hello") << "\n";
    // Another process needs only the name.
    const otp::spawned other =
        otp::spawn_monitor([] { kv::put("lang", "C++"); });
    otp::receive([](const otp::down_message&) {});
    std::cout << other.pid << " put lang C++\n";
    std::cout << "keys -> [";
    const char* sep = "";
    for (const auto& k : kv::keys())
      std::cout << std::exchange(sep, " ") << k;
    std::cout << "]\n";
    kv::stop();
    std::cout << "after stop: whereis(\"kv\") -> " << otp::whereis("kv")
              << "\n";
  });
  return reason.is_normal() ? 0 : 1;
}
