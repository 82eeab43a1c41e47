// 03_receive_after: stop waiting with after(timeout); after(0ms) polls.
//
// In Elixir (IEx):
//   receive do
//     {:hello, msg} -> msg
//   after
//     1_000 -> "nothing after 1s"
//   end                                           "nothing after 1s"
//
// The example waits 100ms instead of 1s to keep the test fast.
//
// Expected output:
//   nothing after 100ms (waited at least 100ms: true)
//   a late hello: in time
//   poll, empty mailbox: nothing
//   poll, a hello queued: world
//   receive_as<int>(50ms): nothing

#include "framework/otp.hpp"

#include <chrono>
#include <iostream>
#include <optional>
#include <string>

using namespace std::chrono_literals;

struct hello {
  std::string msg;
};

// Take a hello if one is queued; never wait.
std::string poll_hello() {
  return otp::receive([](hello m) { return m.msg; },
                      otp::after(0ms, [] { return std::string("nothing"); }));
}

int main() {
  otp::runtime rt;
  const otp::exit_reason reason = rt.run([] {
    const auto start = std::chrono::steady_clock::now();
    const std::string r = otp::receive(
        [](hello m) { return m.msg; },
        otp::after(100ms, [] { return std::string("nothing after 100ms"); }));
    const auto waited = std::chrono::steady_clock::now() - start;
    std::cout << std::boolalpha << r
              << " (waited at least 100ms: " << (waited >= 100ms) << ")\n";

    // A message that arrives before the deadline ends the wait.
    const otp::pid parent = otp::self();
    otp::spawn([parent] {
      otp::sleep(20ms);
      otp::send(parent, hello{"in time"});
    });
    std::cout << "a late hello: "
              << otp::receive([](hello m) { return m.msg; },
                              otp::after(5s, [] { return std::string("-"); }))
              << "\n";

    std::cout << "poll, empty mailbox: " << poll_hello() << "\n";
    otp::send(otp::self(), hello{"world"});
    std::cout << "poll, a hello queued: " << poll_hello() << "\n";

    // receive_as<T>(timeout) is the same with std::optional.
    const std::optional<int> n = otp::receive_as<int>(50ms);
    std::cout << "receive_as<int>(50ms): "
              << (n ? std::to_string(*n) : "nothing") << "\n";
  });
  return reason.is_normal() ? 0 : 1;
}
