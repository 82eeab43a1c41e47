// 01_spawn_and_alive: spawn a process, see it exit; the caller is alive.
//
// In Elixir (IEx):
//   pid = spawn fn -> 1 + 2 end      #PID<0.44.0>
//   Process.alive?(pid)              false
//   self()                           #PID<0.57.0>
//   Process.alive?(self())           true
//
// Expected output (pid numbers vary):
//   spawned <0.2.0>
//   <0.2.0> computed 1 + 2 = 3
//   alive(<0.2.0>) = false
//   self() = <0.1.0>
//   alive(self()) = true

#include "framework/otp.hpp"

#include <chrono>
#include <iostream>

using namespace std::chrono_literals;

int main() {
  otp::runtime rt;
  const otp::exit_reason reason = rt.run([] {
    const otp::pid parent = otp::self();
    // The child sends its result before it returns, so the parent knows that
    // it ran. Returning ends it with reason `normal`, silently.
    const otp::pid pid = otp::spawn([parent] { otp::send(parent, 1 + 2); });
    std::cout << "spawned " << pid << "\n";

    const int sum = otp::receive_as<int>();
    std::cout << pid << " computed 1 + 2 = " << sum << "\n";

    // Sending was the child's last act, but it may still be on its way out:
    // poll until it is gone, with a deadline rather than a guessed sleep.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (otp::alive(pid) && std::chrono::steady_clock::now() < deadline)
      otp::sleep(1ms);
    std::cout << std::boolalpha;
    std::cout << "alive(" << pid << ") = " << otp::alive(pid) << "\n";

    std::cout << "self() = " << otp::self() << "\n";
    std::cout << "alive(self()) = " << otp::alive(otp::self()) << "\n";
  });
  return reason.is_normal() ? 0 : 1;
}
