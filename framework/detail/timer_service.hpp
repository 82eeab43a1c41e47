#pragma once
/// \file detail/timer_service.hpp
/// The runtime's timers: one thread, an ordered map by deadline and a hash
/// map by id, under one mutex. O(log n) per add, cancel and expiry. A timer
/// fires while the lock is held, so `cancel_timer` either removes a timer
/// before it fires or finds its message already delivered (which makes the
/// flush variant exact).

#include "framework/message.hpp"
#include "framework/pid.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

namespace otp::detail {

class runtime_impl;

class timer_service {
public:
  using clock = std::chrono::steady_clock;

  explicit timer_service(runtime_impl& rt) : rt_(rt) {}
  ~timer_service();
  void start();
  void stop();

  /// Take `e` and deliver it to `to` (or to the process registered as
  /// `name`) at `when`.
  void add(std::uint64_t id, pid to, std::string name, clock::time_point when,
           envelope* e);
  /// Remove a pending timer; the time it had left, or nothing.
  std::optional<clock::duration> cancel(std::uint64_t id);
  std::optional<clock::duration> read(std::uint64_t id);
  std::size_t pending();

private:
  struct entry {
    std::uint64_t id;
    pid to;
    std::string name;
    envelope* e;
  };
  using by_time = std::multimap<clock::time_point, entry>;
  void loop();
  void fire(entry& t) noexcept;

  runtime_impl& rt_;
  std::mutex m_;
  std::condition_variable cv_;
  by_time timers_;
  std::unordered_map<std::uint64_t, by_time::iterator> by_id_;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace otp::detail
