// 04_ping_echo: a process that replies to whoever asked, and an echo server.
//
// In Inko (its concurrency guide, "Waiting for a response"):
//   let child = process.spawn {
//     let reply_to = process.receive as Process
//     reply_to.send('pong')
//   }
//   child.send(process.current)
//   process.receive
//
// In Elixir, the echo loop:
//   receive do
//     {caller, message} -> send(caller, message)
//   end
//
// A pid is an ordinary value: send it, and the receiver can answer.
//
// Expected output (pid numbers vary):
//   sent <0.1.0> to <0.2.0>
//   received: pong
//   echo: hello
//   echo: from
//   echo: C++
//   echo server <0.3.0> stopped

#include "framework/otp.hpp"

#include <chrono>
#include <iostream>
#include <string>

using namespace std::chrono_literals;

struct echo {
  otp::pid caller;
  std::string text;
};
struct stop {};

// Send every text back to its caller until told to stop.
void echo_server() {
  for (bool running = true; running;)
    otp::receive([](echo m) { otp::send(m.caller, std::move(m.text)); },
                 [&](stop) { running = false; });
}

int main() {
  otp::runtime rt;
  const otp::exit_reason reason = rt.run([] {
    // Inko's `process.receive as Process` is a typed receive here.
    const otp::pid child = otp::spawn([] {
      const otp::pid reply_to = otp::receive_as<otp::pid>();
      otp::send(reply_to, "pong");
    });
    otp::send(child, otp::self());
    std::cout << "sent " << otp::self() << " to " << child << "\n";
    std::cout << "received: " << otp::receive_as<std::string>() << "\n";

    const otp::pid server = otp::spawn(echo_server);
    for (const char* word : {"hello", "from", "C++"}) {
      otp::send(server, echo{otp::self(), word});
      std::cout << "echo: " << otp::receive_as<std::string>() << "\n";
    }

    otp::send(server, stop{});
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (otp::alive(server) && std::chrono::steady_clock::now() < deadline)
      otp::sleep(1ms);
    std::cout << "echo server " << server
              << (otp::alive(server) ? " still running" : " stopped") << "\n";
  });
  return reason.is_normal() ? 0 : 1;
}
