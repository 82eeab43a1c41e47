// 08_crash_report: a process that throws dies alone, with an error report.
//
// Elixir (seed 002):
//   iex> spawn fn -> raise "oops" end
//   #PID<0.78.0>
//   [error] Process #PID<0.78.0> raised an exception
//   ** (RuntimeError) oops
//
// An exception escaping a process ends it with reason
// {exception,std::runtime_error,"oops"} and writes one error report. The
// parent is not linked to it, so it keeps running. Reports go to stderr
// unless a sink is installed; this one prints them to stdout.
//
// A spawned process starts at once, so its report comes before spawn returns.
//
// Expected output (pid numbers vary):
//   spawn(fn that throws std::runtime_error("oops"))
//   [error] Process <0.2.0> raised an exception
//   ** (std::runtime_error) oops
//   spawn returned <0.2.0>; alive: false
//   <0.1.0> alive: true, still running
//   [error] Process <0.3.0> raised an exception
//   ** (std::logic_error) main gives up
//   rt.run returned {exception,std::logic_error,"main gives up"}

#include "framework/otp.hpp"

#include <chrono>
#include <iostream>
#include <stdexcept>

using namespace std::chrono_literals;

struct reported {};

int main() {
  otp::runtime rt;
  const otp::exit_reason first = rt.run([] {
    const otp::pid me = otp::self();
    // Print the report, then tell `me` it was written: a sink may be called
    // from any thread, and send works from any thread.
    otp::set_log_sink([me](const otp::log_event& e) {
      std::cout << e.text << "\n";
      otp::send(me, reported{});
    });

    std::cout << "spawn(fn that throws std::runtime_error(\"oops\"))"
              << std::endl;
    const otp::pid child = otp::spawn([] { throw std::runtime_error("oops"); });
    otp::receive([](reported) {},
                 otp::after(5s, [] { std::cout << "no report after 5s\n"; }));

    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (otp::alive(child) && std::chrono::steady_clock::now() < deadline)
      otp::sleep(1ms);
    std::cout << std::boolalpha << "spawn returned " << child
              << "; alive: " << otp::alive(child) << "\n";
    std::cout << me << " alive: " << otp::alive(me) << ", still running\n";
  });

  // A crash in the process of rt.run becomes its return value.
  const otp::exit_reason second =
      rt.run([] { throw std::logic_error("main gives up"); });
  std::cout << "rt.run returned " << second << "\n";
  otp::set_log_sink({});
  return first.is_normal() ? 0 : 1;
}
