// 05_flush: print and drop everything in the mailbox, like IEx's flush().
//
// In IEx:
//   iex> send self(), :hello
//   :hello
//   iex> flush()
//   :hello
//   :ok
//
// flush prints each message with its operator<<; a type without one prints
// as #<type name>.
//
// Expected output:
//   message_queue_len() = 5
//   :hello
//   42
//   a string
//   {1, 2}
//   #<no_printer>
//   :ok (5 messages flushed)
//   message_queue_len() = 0

#include "framework/otp.hpp"

#include <iostream>
#include <ostream>
#include <string>

// An Erlang atom, printed as IEx prints it.
struct atom {
  std::string name;
  friend std::ostream& operator<<(std::ostream& os, const atom& a) {
    return os << ':' << a.name;
  }
};

struct point {
  int x;
  int y;
  friend std::ostream& operator<<(std::ostream& os, const point& p) {
    return os << '{' << p.x << ", " << p.y << '}';
  }
};

struct no_printer {};

int main() {
  otp::runtime rt;
  const otp::exit_reason reason = rt.run([] {
    const otp::pid me = otp::self();
    otp::send(me, atom{"hello"});
    otp::send(me, 42);
    otp::send(me, "a string");
    otp::send(me, point{1, 2});
    otp::send(me, no_printer{});
    std::cout << "message_queue_len() = " << otp::message_queue_len() << "\n";

    const std::size_t n = otp::flush(std::cout);
    std::cout << ":ok (" << n << " messages flushed)\n";
    std::cout << "message_queue_len() = " << otp::message_queue_len() << "\n";
  });
  return reason.is_normal() ? 0 : 1;
}
