// 13_shopping_cart: a shopping cart (the classic state kept in a process)
// as a GenServer. add/remove are casts (the client goes on at once); items
// and total are calls (it waits for the reply); checkout answers with
// `stop(normal, total)`, Elixir's `{:stop, :normal, reply, state}`:
// terminate runs, the reply goes out, the cart exits, and later calls find
// nobody (noproc). Client API (free functions) first, callbacks after.
//
// Expected output (pid numbers vary):
//   cart::open() -> {ok,<0.2.0>}
//   add 2 apple, 1 bread at 2.25, 3 apple at 0.50 each
//   items -> 5 apple 1 bread
//   total -> 4.75
//   remove bread
//   total -> 2.50
//   terminate(normal): the cart is closed
//   checkout -> 2.50 paid
//   the cart exited: normal
//   total after checkout -> noproc

#include "behaviours/gen_server.hpp"
#include "framework/otp.hpp"

#include <iostream>
#include <map>
#include <string>

namespace cart {

/// Cents as 4.75.
std::string price(int c) {
  return std::to_string(c / 100) + (c % 100 < 10 ? ".0" : ".")
         + std::to_string(c % 100);
}

using counts = std::map<std::string, int>;

namespace msg {
struct add {
  std::string item;
  int qty;
  int cents;
};
struct remove {
  std::string item;
};
struct items {};
struct total {};
struct checkout {};
} // namespace msg

/// The cart's state and callbacks (defined below the client API).
class server : public otp::gen_server<server> {
public:
  otp::cast_result handle_cast(const msg::add& m);
  otp::cast_result handle_cast(const msg::remove& m);
  otp::call_result<counts> handle_call(const msg::items&);
  otp::call_result<int> handle_call(const msg::total&);
  otp::call_result<int> handle_call(const msg::checkout&);
  void terminate(const otp::exit_reason& reason);

private:
  counts qty_;   // item -> how many
  counts cents_; // item -> unit price
};

// -- client API ---------------------------------------------------------------

using handle = otp::server<server>;

otp::start_result open() {
  return server::start_link();
}
void add(const handle& c, std::string item, int qty, int cents) {
  otp::cast(c, msg::add{std::move(item), qty, cents});
}
void remove(const handle& c, std::string item) {
  otp::cast(c, msg::remove{std::move(item)});
}
counts items(const handle& c) {
  return otp::call(c, msg::items{});
}
int total(const handle& c) {
  return otp::call(c, msg::total{});
}
int checkout(const handle& c) {
  return otp::call(c, msg::checkout{});
}

// -- callbacks ----------------------------------------------------------------

otp::cast_result server::handle_cast(const msg::add& m) {
  qty_[m.item] += m.qty;
  cents_[m.item] = m.cents;
  return noreply();
}

otp::cast_result server::handle_cast(const msg::remove& m) {
  qty_.erase(m.item);
  cents_.erase(m.item);
  return noreply();
}

otp::call_result<counts> server::handle_call(const msg::items&) {
  return reply(qty_);
}

otp::call_result<int> server::handle_call(const msg::total&) {
  int sum = 0;
  for (const auto& [item, n] : qty_)
    sum += n * cents_[item];
  return reply(sum);
}

otp::call_result<int> server::handle_call(const msg::checkout&) {
  return stop(otp::exit_reason::normal(), handle_call(msg::total{}).value());
}

void server::terminate(const otp::exit_reason& reason) {
  std::cout << "terminate(" << reason << "): the cart is closed\n";
}

} // namespace cart

int main() {
  otp::runtime rt;
  const otp::exit_reason reason = rt.run([] {
    const otp::start_result r = cart::open();
    std::cout << "cart::open() -> " << r.to_string() << "\n";
    const cart::handle c = r.pid();
    cart::add(c, "apple", 2, 50);
    cart::add(c, "bread", 1, 225);
    cart::add(c, "apple", 3, 50);
    std::cout << "add 2 apple, 1 bread at 2.25, 3 apple at 0.50 each\n"
              << "items ->";
    for (const auto& [item, n] : cart::items(c))
      std::cout << ' ' << n << ' ' << item;
    std::cout << "\ntotal -> " << cart::price(cart::total(c)) << "\n";
    cart::remove(c, "bread");
    std::cout << "remove bread\ntotal -> " << cart::price(cart::total(c))
              << "\n";
    otp::monitor(r.pid());              // to see it exit
    const int paid = cart::checkout(c); // terminate prints first
    std::cout << "checkout -> " << cart::price(paid) << " paid\n";
    std::cout << "the cart exited: "
              << otp::receive_as<otp::down_message>().reason << "\n";
    std::cout << "total after checkout -> "
              << otp::try_call(c, cart::msg::total{}).error().inner() << "\n";
  });
  return reason.is_normal() ? 0 : 1;
}
