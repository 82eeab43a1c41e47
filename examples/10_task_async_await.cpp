// 10_task_async_await: Elixir's Task. `otp::async` runs a function in a new
// process, linked to and monitored by the caller; `await` collects its
// result. Four tasks sum slices of 1..1000000 side by side and `await_many`
// gathers them in order. `task_start` returns {ok,Pid} like Task.start;
// `yield` gives nil while a task still works and `shutdown` stops it; an
// `await` that runs out of time exits the caller with
// {timeout,{Task,await,[Pid,Timeout]}} (caught here to print it).
//
// Expected output (pids vary):
//   async: <0.2.0> computed 6 * 7 = 42 for <0.1.0>
//   await_many: 4 slices of 1..1000000 sum to 500000500000
//   task_start: {ok,<0.7.0>}
//   yield(10ms) on a slow task: nil
//   shutdown of the slow task: nil
//   await(50ms) on a slow task: {timeout,{Task,await,[<0.9.0>,50]}}

#include "framework/otp.hpp"

#include <chrono>
#include <cstdint>
#include <iostream>
#include <vector>

using namespace std::chrono_literals;

namespace {

std::int64_t sum_range(std::int64_t from, std::int64_t to) {
  std::int64_t s = 0;
  for (std::int64_t i = from; i <= to; ++i)
    s += i;
  return s;
}

int slow_answer() {
  otp::sleep(10s);
  return 42;
}

} // namespace

int main() {
  otp::runtime rt;
  rt.run([] {
    // One task: async, then await its result.
    otp::task<int> t = otp::async([](int a, int b) { return a * b; }, 6, 7);
    const otp::pid worker = t.pid();
    std::cout << "async: " << worker << " computed 6 * 7 = " << t.await()
              << " for " << otp::self() << "\n";

    // Fan out: one task per slice, then collect them all at once.
    constexpr std::int64_t n = 1'000'000;
    constexpr std::int64_t slices = 4;
    std::vector<otp::task<std::int64_t>> parts;
    for (std::int64_t k = 0; k < slices; ++k)
      parts.push_back(
          otp::async(sum_range, k * n / slices + 1, (k + 1) * n / slices));
    std::int64_t total = 0;
    for (std::int64_t s : otp::await_many(parts))
      total += s;
    std::cout << "await_many: " << slices << " slices of 1.." << n << " sum to "
              << total << "\n";

    // Fire and forget, as Task.start.
    const otp::start_result started = otp::task_start([] {});
    std::cout << "task_start: " << started.to_string() << "\n";

    // A slow task: yield gives nil while it works; shutdown stops it.
    otp::task<int> slow = otp::async(slow_answer);
    std::cout << "yield(10ms) on a slow task: "
              << (slow.yield(10ms) ? "a result" : "nil") << "\n";
    std::cout << "shutdown of the slow task: "
              << (slow.shutdown() ? "a result" : "nil") << "\n";

    // await gives up after its timeout and exits the caller (caught here;
    // uncaught, it would end this process and, through the link, the task).
    otp::task<int> slower = otp::async(slow_answer);
    try {
      slower.await(50ms);
    } catch (const otp::exit_error& e) {
      std::cout << "await(50ms) on a slow task: " << e.reason() << "\n";
    }
  });
}
