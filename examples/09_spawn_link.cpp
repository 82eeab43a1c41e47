// 09_spawn_link: `spawn` vs `spawn_link` when the child crashes, and
// `trap_exit` turning the crash into a message.
//
//   spawn fn -> raise "oops" end          # error report; the parent lives on
//   spawn_link fn -> raise "oops" end     # the parent dies with the child
//   Process.flag(:trap_exit, true)        # ... unless it traps exits
//
// Expected output (pids vary):
//   1. spawn: child <0.3.0> crashed, parent <0.2.0> still alive: true
//   2. spawn_link: parent ended with {exception,std::runtime_error,"oops"}
//   3. trap_exit: got {'EXIT',<0.6.0>,{exception,std::runtime_error,"oops"}}
//   4. monitor: got {'DOWN',#Ref<...>,process,<0.7.0>,boom}
// (each crash also prints its "[error] Process ... raised an exception"
// report on stderr)
#include "framework/otp.hpp"

#include <iostream>
#include <stdexcept>

int main() {
  otp::runtime rt;

  // 1. A plain spawn isolates the crash: the parent only sees a report.
  rt.run([] {
    otp::pid child = otp::spawn([] { throw std::runtime_error("oops"); });
    otp::ref watch = otp::monitor(child); // to know when it is gone
    otp::receive(
        [&](const otp::down_message& d) { return d.monitor == watch; });
    std::cout << "1. spawn: child " << child << " crashed, parent "
              << otp::self() << " still alive: " << std::boolalpha
              << otp::alive(otp::self()) << "\n";
  });

  // 2. spawn_link propagates it: the parent is killed with the same reason,
  //    unwinding its stack, while it waits in receive.
  otp::exit_reason r = rt.run([] {
    otp::spawn_link([] { throw std::runtime_error("oops"); });
    otp::receive([](const std::string&) {}); // "let's wait until it fails"
    std::cout << "never printed\n";
  });
  std::cout << "2. spawn_link: parent ended with " << r << "\n";

  // 3. A parent that traps exits gets the crash as an ordinary message.
  rt.run([] {
    otp::trap_exit(true);
    otp::spawn_link([] { throw std::runtime_error("oops"); });
    otp::exit_message m = otp::receive_as<otp::exit_message>();
    std::cout << "3. trap_exit: got " << m << "\n";
  });

  // 4. A monitor is one-way: the watcher is told, never killed.
  rt.run([] {
    auto [child, ref] =
        otp::spawn_monitor([] { otp::exit(otp::exit_reason::user("boom")); });
    std::cout << "4. monitor: got " << otp::receive_as<otp::down_message>()
              << "\n";
  });
}
