// 08_crash_report: a process that throws dies alone, with an error report.
//
// In Elixir (IEx):
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
//   with exception_traces: the report says where it was thrown
//   [error] Process <0.2.0> raised an exception
//   ** (std::invalid_argument) not a port: http
//       #0 parse_port(std::__cxx11::basic_string<...> const&) at .../08_crash_report.cpp:56
//       #1 operator() at .../08_crash_report.cpp:90
// (file and line where the program has debug information, names only
// otherwise; frames from the function the process was spawned with down).
//
// Erlang's reasons always carry the stack; here it is opt-in
// (runtime_options::exception_traces), as recording it costs every throw.

#include "framework/otp.hpp"

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

struct reported {};

/// Print each report, then tell `me` it was written: a sink may be called
/// from any thread, and send works from any thread.
void print_reports_to(const otp::pid& me) {
  otp::set_log_sink([me](const otp::log_event& e) {
    std::cout << otp::format_log_event(e) << "\n";
    otp::send(me, reported{});
  });
}

[[gnu::noinline]] int parse_port(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("not a port: " + text);
  return std::stoi(text);
}

int main() {
  otp::runtime rt;
  const otp::exit_reason first = rt.run([] {
    const otp::pid me = otp::self();
    print_reports_to(me);

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

  otp::runtime traced{{.exception_traces = true}};
  traced.run([] {
    print_reports_to(otp::self());
    std::cout << "with exception_traces: the report says where it was thrown"
              << std::endl;
    otp::spawn([] { std::cout << parse_port("http") << "\n"; });
    otp::receive([](reported) {},
                 otp::after(5s, [] { std::cout << "no report after 5s\n"; }));
  });
  otp::set_log_sink({});
  return first.is_normal() ? 0 : 1;
}
