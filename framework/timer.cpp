#include "framework/timer.hpp"

#include "framework/detail/mailbox_scan.hpp"
#include "framework/detail/runtime_impl.hpp"
#include "framework/log.hpp"
#include "framework/this_process.hpp"

#include <algorithm>

namespace otp {

namespace detail {

timer_service::~timer_service() {
  stop();
}

void timer_service::start() {
  thread_ = std::thread([this] { loop(); });
}

void timer_service::stop() {
  {
    std::lock_guard<std::mutex> lk(m_);
    if (stop_ && !thread_.joinable())
      return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  std::lock_guard<std::mutex> lk(m_);
  for (auto& [when, t] : timers_)
    dispose(t.e);
  timers_.clear();
  by_id_.clear();
}

void timer_service::add(std::uint64_t id, pid to, std::string name,
                        clock::time_point when, envelope* e,
                        std::unique_ptr<interval> every) {
  bool earliest = false;
  std::vector<envelope*> dead;
  try {
    std::lock_guard<std::mutex> lk(m_);
    auto it = timers_.emplace(
        when, entry{id, std::move(to), std::move(name), e, std::move(every)});
    try {
      by_id_.emplace(id, it);
    } catch (...) {
      timers_.erase(it);
      throw;
    }
    earliest = it == timers_.begin();
    if (timers_.size() >= sweep_at_) {
      sweep_dead(dead);
      sweep_at_ = std::max<std::size_t>(1024, 2 * timers_.size());
    }
  } catch (...) {
    dispose(e);
    throw;
  }
  for (envelope* d : dead)
    dispose(d);
  if (earliest)
    cv_.notify_one();
}

bool timer_service::ended(const entry& t) noexcept {
  if (t.to && !alive(t.to))
    return true;
  return t.every && t.every->link && !alive(t.every->link);
}

void timer_service::sweep_dead(std::vector<envelope*>& out) {
  for (auto it = timers_.begin(); it != timers_.end();) {
    if (ended(it->second)) {
      out.push_back(it->second.e);
      by_id_.erase(it->second.id);
      it = timers_.erase(it);
    } else {
      ++it;
    }
  }
}

timer_service::cancelled timer_service::cancel(std::uint64_t id) {
  envelope* e = nullptr;
  cancelled out;
  {
    std::lock_guard<std::mutex> lk(m_);
    auto it = by_id_.find(id);
    if (it == by_id_.end())
      return out;
    auto t = it->second;
    by_id_.erase(it);
    if (!ended(t->second))
      out.left = time_left(t->first);
    out.interval = t->second.every != nullptr;
    e = t->second.e;
    timers_.erase(t);
  }
  // Outside the lock: the message's destructor may use timers itself.
  dispose(e);
  return out;
}

std::optional<timer_service::clock::duration>
timer_service::read(std::uint64_t id) {
  std::lock_guard<std::mutex> lk(m_);
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return std::nullopt;
  if (ended(it->second->second))
    return std::nullopt;
  return time_left(it->second->first);
}

std::size_t timer_service::pending() {
  std::lock_guard<std::mutex> lk(m_);
  return timers_.size();
}

void timer_service::deliver(const entry& t, envelope* e) noexcept {
  process* target = t.to.get();
  pid named;
  if (target == nullptr) {
    named = rt_.whereis(t.name); // a name resolves when the timer fires
    target = named.get();
  }
  if (target == nullptr) {
    dispose(e);
    return;
  }
  push(target, e);
}

namespace {
/// `at + period`, saturated at "never".
clock::time_point next_tick(clock::time_point at,
                            clock::duration period) noexcept {
  if (is_never(at) || period >= clock::time_point::max() - at)
    return clock::time_point::max();
  return at + period;
}

/// Why copying an interval's message failed (inside its `catch`).
std::string copy_failure(const envelope* e) {
  std::string what = "an exception that is not a std::exception";
  try {
    throw;
  } catch (const std::exception& ex) {
    what = ex.what();
  } catch (...) {
  }
  return "send_interval: copying the message (" + demangle(*e->type->info)
         + ") threw: " + what + "; this tick is skipped, the interval goes on";
}
} // namespace

void timer_service::fire_interval(by_time::iterator it,
                                  std::unique_lock<std::mutex>& lk) noexcept {
  entry& t = it->second;
  if (ended(t)) {
    envelope* e = t.e;
    by_id_.erase(t.id);
    timers_.erase(it);
    lk.unlock();
    dispose(e);
    lk.lock();
    return;
  }
  std::string failure;
  envelope* copy = nullptr;
  try {
    copy = t.every->copy(t.e);
  } catch (...) {
    try {
      failure = copy_failure(t.e);
    } catch (...) {
      failure = "send_interval: copying the message threw; tick skipped";
    }
  }
  if (copy != nullptr)
    deliver(t, copy);
  const pid who = failure.empty() ? pid() : t.to;
  // The next deadline, in place: a node handle keeps the entry's memory.
  const std::uint64_t id = t.id;
  auto node = timers_.extract(it);
  node.key() = next_tick(node.key(), node.mapped().every->period);
  by_id_.find(id)->second = timers_.insert(std::move(node));
  if (!failure.empty()) {
    lk.unlock();
    log(log_level::error, who, std::move(failure));
    lk.lock();
  }
}

void timer_service::loop() {
  std::unique_lock<std::mutex> lk(m_);
  while (!stop_) {
    if (timers_.empty()) {
      cv_.wait(lk);
      continue;
    }
    const auto due = timers_.begin()->first;
    if (is_never(due)) {
      // Only timers that never fire: sleep until one is added or stop.
      cv_.wait(lk);
      continue;
    }
    if (clock::now() < due) {
      cv_.wait_until(lk, due);
      continue;
    }
    // Fire under the lock: see the file comment in timer_service.hpp.
    auto it = timers_.begin();
    if (it->second.every) {
      fire_interval(it, lk);
      continue;
    }
    by_id_.erase(it->second.id);
    deliver(it->second, it->second.e);
    timers_.erase(it);
  }
}

ref add_timer(const pid* to, const std::string* name,
              std::chrono::steady_clock::duration after, envelope* e) {
  process* me = current_process();
  if (me == nullptr) {
    dispose(e);
    require_process("otp::send_after");
  }
  const ref r = make_ref();
  if (e->tag == 0)
    e->tag = r.id();
  std::string target_name;
  try {
    if (name != nullptr)
      target_name = *name;
  } catch (...) {
    dispose(e);
    throw;
  }
  me->rt->timers.add(e->tag, to != nullptr ? *to : pid(),
                     std::move(target_name), deadline_in(after), e);
  return ref(e->tag);
}

ref add_interval(const pid* to, const std::string* name,
                 std::chrono::steady_clock::duration period, envelope* e,
                 envelope* (*copy)(const envelope*)) {
  process* me = current_process();
  if (me == nullptr) {
    dispose(e);
    require_process("otp::send_interval");
  }
  const ref r = make_ref();
  e->tag = r.id();
  std::unique_ptr<timer_service::interval> every;
  pid target;
  std::string target_name;
  try {
    every = std::make_unique<timer_service::interval>(
        timer_service::interval{period, copy, pid()});
    if (name != nullptr) {
      // OTP's interval monitors the process the name stands for now.
      every->link = me->rt->whereis(*name);
      target_name = *name;
    } else {
      target = to != nullptr ? *to : otp::self();
    }
  } catch (...) {
    dispose(e);
    throw;
  }
  if (name != nullptr ? !every->link : !target) {
    dispose(e); // no process to send to: the interval ends at once
    return r;
  }
  me->rt->timers.add(r.id(), std::move(target), std::move(target_name),
                     deadline_in(period), e, std::move(every));
  return r;
}

} // namespace detail

namespace {
/// Milliseconds left, rounded up; `otp::infinity` for a timer that never
/// fires.
std::optional<std::chrono::milliseconds>
to_ms(std::optional<std::chrono::steady_clock::duration> d) {
  if (!d)
    return std::nullopt;
  if (*d == std::chrono::steady_clock::duration::max())
    return std::chrono::milliseconds::max();
  return std::chrono::ceil<std::chrono::milliseconds>(*d);
}
} // namespace

std::optional<std::chrono::milliseconds>
cancel_timer(const ref& timer, cancel_timer_options opts) {
  detail::process* me = detail::require_process("otp::cancel_timer");
  const auto c = me->rt->timers.cancel(timer.id());
  if (opts.flush && (!c.left || c.interval)) {
    // Its message(s) may be in our mailbox already: take them out. An
    // interval's copies were pushed under the service's lock, before the
    // cancel took it, so the scan sees every one.
    detail::mailbox_scan scan(me);
    while (detail::envelope* e = scan.next()) {
      if (e->tag == timer.id()) {
        scan.take(e);
        detail::destroy(e);
        if (!c.interval)
          break; // a one-shot timer delivers one message
      }
    }
  }
  return to_ms(c.left);
}

std::optional<std::chrono::milliseconds> read_timer(const ref& timer) {
  return to_ms(
      detail::require_process("otp::read_timer")->rt->timers.read(timer.id()));
}

} // namespace otp
