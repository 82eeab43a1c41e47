// The smallest program against the installed package: a process sends itself
// a message, receives it and prints it. Expected output:
//
//   received: hello from an installed otp
#include "framework/otp.hpp"

#include <iostream>
#include <string>

int main() {
  otp::runtime rt;
  const otp::exit_reason reason = rt.run([] {
    otp::send(otp::self(), std::string("hello from an installed otp"));
    std::cout << "received: " << otp::receive_as<std::string>() << '\n';
  });
  return reason.is_normal() ? 0 : 1;
}
