// 02_send_and_receive: send, selective receive, and a message from a child.
//
// In Elixir (IEx):
//   send self(), {:hello, "world"}
//   receive do
//     {:hello, msg} -> msg
//     {:world, msg} -> "won't match"
//   end                                           "world"
//   parent = self()
//   spawn fn -> send(parent, {:hello, self()}) end
//   receive do
//     {:hello, pid} -> "Got hello from #{inspect pid}"
//   end                                           "Got hello from #PID<0.65.0>"
//
// A tuple tagged with an atom becomes a struct: its type is the tag, and
// receive picks the first handler whose parameter type (and guard) matches.
//
// Expected output (pid numbers vary):
//   received: world
//   still queued: 1 message(s)
//   then received the int: 42
//   Got hello from <0.2.0> (the child)

#include "framework/otp.hpp"

#include <iostream>
#include <string>

struct hello {
  std::string msg;
};
struct world {
  std::string msg;
};
struct hello_from {
  otp::pid sender;
};

int main() {
  otp::runtime rt;
  const otp::exit_reason reason = rt.run([] {
    // The 42 is queued first, but no handler below takes an int: receive
    // skips it and leaves it in the mailbox.
    otp::send(otp::self(), 42);
    otp::send(otp::self(), hello{"world"});

    const std::string got =
        otp::receive([](const hello& m) { return m.msg; },
                     [](const world&) { return std::string("won't match"); });
    std::cout << "received: " << got << "\n";
    std::cout << "still queued: " << otp::message_queue_len()
              << " message(s)\n";
    std::cout << "then received the int: " << otp::receive_as<int>() << "\n";

    const otp::pid parent = otp::self();
    const otp::pid child =
        otp::spawn([parent] { otp::send(parent, hello_from{otp::self()}); });
    otp::receive([&](const hello_from& m) {
      std::cout << "Got hello from " << m.sender
                << (m.sender == child ? " (the child)" : " (a stranger)")
                << "\n";
    });
  });
  return reason.is_normal() ? 0 : 1;
}
