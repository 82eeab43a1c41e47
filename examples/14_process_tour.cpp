// 14_process_tour: a tour of otp processes, about 1 s.
//
// Expected output (times and pids vary):
//   == 1. spawn ==
//   spawned 300000 processes, each replied: 0.13 s (0.44 us each)
//   == 2. alive at once ==
//   100000 waiting in receive (0.50 s to spawn): process_count() = 100001
//   sent each a stop; 0.15 s later process_count() = 1
//   == 3. ring ==
//   ring of 1000, 100 laps: 100000 messages in 0.03 s (250.67 ns each)
//   == 4. selective receive ==
//   queued low a, low b, fire!; receive takes the urgent one: fire!
//   then the rest in order: low a, low b
//   == 5. let it crash ==
//   [error] Process <0.401002.0> raised an exception
//   ** (std::runtime_error) oops
//   the crash stayed in its process: <0.1.0> is still running
//   == 6. blocking ==
//   a 200ms otp::blocking call; meanwhile the ticker ticked 19 times

#include "framework/otp.hpp"

#include <chrono>
#include <iomanip>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct stop {};
struct reported {};
struct urgent {
  std::string what;
};

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Wait (bounded) until the calling process is the only one left.
std::size_t wait_until_alone(const otp::runtime& rt) {
  const auto deadline = clock_type::now() + 5s;
  while (rt.process_count() > 1 && clock_type::now() < deadline)
    otp::sleep(1ms);
  return rt.process_count();
}

void spawn_many(const otp::runtime& rt, int n) {
  const otp::pid me = otp::self();
  const auto t0 = clock_type::now();
  for (int i = 0; i < n; ++i)
    otp::spawn([me] { otp::send(me, 1); });
  for (int replies = 0; replies < n;)
    replies += otp::receive_as<int>();
  const double s = seconds_since(t0);
  std::cout << "spawned " << n << " processes, each replied: " << s << " s ("
            << s * 1e6 / n << " us each)\n";
  wait_until_alone(rt);
}

void alive_at_once(const otp::runtime& rt, int n) {
  std::vector<otp::pid> pids;
  auto t0 = clock_type::now();
  for (int i = 0; i < n; ++i)
    pids.push_back(otp::spawn([] { otp::receive([](stop) {}); }));
  std::cout << n << " waiting in receive (" << seconds_since(t0)
            << " s to spawn): process_count() = " << rt.process_count() << "\n";
  t0 = clock_type::now();
  for (const otp::pid& p : pids)
    otp::send(p, stop{});
  const std::size_t left = wait_until_alone(rt);
  std::cout << "sent each a stop; " << seconds_since(t0)
            << " s later process_count() = " << left << "\n";
}

// Forward every token to `next`; a negative token ends the ring.
void ring_node(otp::pid next) {
  for (int token = 0; token >= 0;) {
    token = otp::receive_as<int>();
    otp::send(next, token);
  }
}

void ring(int size, int laps) {
  otp::pid first = otp::self();
  for (int i = 0; i < size; ++i)
    first = otp::spawn(ring_node, first);
  const auto t0 = clock_type::now();
  for (int lap = 0; lap < laps; ++lap) {
    otp::send(first, lap);
    otp::receive_as<int>();
  }
  const double s = seconds_since(t0);
  otp::send(first, -1);
  otp::receive_as<int>();
  std::cout << "ring of " << size << ", " << laps << " laps: " << size * laps
            << " messages in " << s << " s (" << s * 1e9 / (size * laps)
            << " ns each)\n";
}

int main() {
  otp::runtime rt;
  const otp::exit_reason reason = rt.run([&rt] {
    const otp::pid me = otp::self();
    std::cout << std::fixed << std::setprecision(2);
    std::cout << "== 1. spawn ==\n";
    spawn_many(rt, 300'000);
    std::cout << "== 2. alive at once ==\n";
    alive_at_once(rt, 100'000);
    std::cout << "== 3. ring ==\n";
    ring(1000, 100);
    std::cout << "== 4. selective receive ==\n";
    otp::send(me, "low a");
    otp::send(me, "low b");
    otp::send(me, urgent{"fire!"});
    std::cout << "queued low a, low b, fire!; receive takes the urgent one: "
              << otp::receive([](urgent u) { return u.what; }) << "\n";
    std::cout << "then the rest in order: " << otp::receive_as<std::string>()
              << ", " << otp::receive_as<std::string>() << "\n";
    std::cout << "== 5. let it crash ==\n";
    // Reports go to stderr by default; print them in line with the rest.
    otp::set_log_sink([me](const otp::log_event& e) {
      std::cout << otp::format_log_event(e) << std::endl;
      otp::send(me, reported{});
    });
    otp::spawn([] { throw std::runtime_error("oops"); });
    otp::receive([](reported) {}, otp::after(5s));
    otp::set_log_sink({});
    std::cout << "the crash stayed in its process: " << me
              << " is still running\n";
    std::cout << "== 6. blocking ==\n";
    const otp::pid ticker = otp::spawn([me] {
      int ticks = 0;
      for (bool running = true; running;)
        otp::receive([&](stop) { running = false; },
                     otp::after(10ms, [&] { ++ticks; }));
      otp::send(me, ticks);
    });
    otp::blocking([] { std::this_thread::sleep_for(200ms); });
    otp::send(ticker, stop{});
    std::cout << "a 200ms otp::blocking call; meanwhile the ticker ticked "
              << otp::receive_as<int>() << " times\n";
  });
  return reason.is_normal() ? 0 : 1;
}
