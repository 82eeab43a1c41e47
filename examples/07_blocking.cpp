// 07_blocking: otp::blocking keeps a blocking call off the scheduler threads.
//
// In Inko:
//   process.blocking {
//     # blocking operation here.
//   }
//
// With one scheduler thread, a process that calls std::this_thread::sleep_for
// directly stalls every other process. Inside otp::blocking the call runs on
// the blocking pool, and the other processes keep running meanwhile.
//
// Expected output (tick counts vary a little):
//   sleep_for(200ms) in a process: the ticker ticked 0 times meanwhile
//   otp::blocking(sleep_for(200ms)): the ticker ticked 19 times meanwhile
//   otp::blocking returned 42

#include "framework/otp.hpp"

#include <chrono>
#include <iostream>
#include <thread>

using namespace std::chrono_literals;

struct stop {};
struct done {};
struct tick_count {
  int n;
};

// Ticks every 10ms until told to stop, then reports how often it ticked.
void ticker(otp::pid report_to) {
  int ticks = 0;
  for (bool running = true; running;)
    otp::receive([&](stop) { running = false; },
                 otp::after(10ms, [&] { ++ticks; }));
  otp::send(report_to, tick_count{ticks});
}

// Runs `work` in one process while a ticker runs in another; returns how
// often the ticker ticked.
template <class F>
int ticks_during(F work) {
  const otp::pid me = otp::self();
  const otp::pid t = otp::spawn(ticker, me);
  otp::spawn([me, work] {
    work();
    otp::send(me, done{});
  });
  otp::receive([](done) {});
  otp::send(t, stop{});
  return otp::receive([](tick_count c) { return c.n; });
}

int main() {
  otp::runtime rt(otp::runtime_options{.threads = 1});
  const otp::exit_reason reason = rt.run([] {
    // The wrong way: the only scheduler thread sleeps, nothing else runs.
    const int stalled =
        ticks_during([] { std::this_thread::sleep_for(200ms); });
    std::cout << "sleep_for(200ms) in a process: the ticker ticked " << stalled
              << " times meanwhile\n";

    const int ticked = ticks_during(
        [] { otp::blocking([] { std::this_thread::sleep_for(200ms); }); });
    std::cout << "otp::blocking(sleep_for(200ms)): the ticker ticked " << ticked
              << " times meanwhile\n";

    // The result (or the exception) of the call comes back to the caller.
    const int answer = otp::blocking([] {
      std::this_thread::sleep_for(10ms);
      return 42;
    });
    std::cout << "otp::blocking returned " << answer << "\n";
  });
  return reason.is_normal() ? 0 : 1;
}
