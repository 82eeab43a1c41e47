#include "framework/timer.hpp"

#include "framework/detail/mailbox_scan.hpp"
#include "framework/detail/runtime_impl.hpp"
#include "framework/this_process.hpp"

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
                        clock::time_point when, envelope* e) {
  bool earliest = false;
  {
    std::lock_guard<std::mutex> lk(m_);
    auto it =
        timers_.emplace(when, entry{id, std::move(to), std::move(name), e});
    by_id_.emplace(id, it);
    earliest = it == timers_.begin();
  }
  if (earliest)
    cv_.notify_one();
}

std::optional<timer_service::clock::duration>
timer_service::cancel(std::uint64_t id) {
  std::lock_guard<std::mutex> lk(m_);
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return std::nullopt;
  auto t = it->second;
  by_id_.erase(it);
  const bool target_alive = !t->second.to || alive(t->second.to);
  const auto left = t->first - clock::now();
  dispose(t->second.e);
  timers_.erase(t);
  if (!target_alive)
    return std::nullopt;
  return left < clock::duration::zero() ? clock::duration::zero() : left;
}

std::optional<timer_service::clock::duration>
timer_service::read(std::uint64_t id) {
  std::lock_guard<std::mutex> lk(m_);
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return std::nullopt;
  if (it->second->second.to && !alive(it->second->second.to))
    return std::nullopt;
  const auto left = it->second->first - clock::now();
  return left < clock::duration::zero() ? clock::duration::zero() : left;
}

std::size_t timer_service::pending() {
  std::lock_guard<std::mutex> lk(m_);
  return timers_.size();
}

void timer_service::fire(entry& t) noexcept {
  process* target = t.to.get();
  pid named;
  if (target == nullptr) {
    named = rt_.whereis(t.name); // a name resolves when the timer fires
    target = named.get();
  }
  if (target == nullptr) {
    dispose(t.e);
    return;
  }
  push(target, t.e);
}

void timer_service::loop() {
  std::unique_lock<std::mutex> lk(m_);
  while (!stop_) {
    if (timers_.empty()) {
      cv_.wait(lk);
      continue;
    }
    const auto due = timers_.begin()->first;
    if (clock::now() < due) {
      cv_.wait_until(lk, due);
      continue;
    }
    // Fire under the lock: see the file comment in timer_service.hpp.
    auto it = timers_.begin();
    by_id_.erase(it->second.id);
    fire(it->second);
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
  const auto when = after <= std::chrono::steady_clock::duration::zero()
                        ? std::chrono::steady_clock::now()
                        : std::chrono::steady_clock::now() + after;
  me->rt->timers.add(e->tag, to != nullptr ? *to : pid(),
                     name != nullptr ? *name : std::string(), when, e);
  return ref(e->tag);
}

} // namespace detail

namespace {
std::optional<std::chrono::milliseconds>
to_ms(std::optional<std::chrono::steady_clock::duration> d) {
  if (!d)
    return std::nullopt;
  return std::chrono::ceil<std::chrono::milliseconds>(*d);
}
} // namespace

std::optional<std::chrono::milliseconds>
cancel_timer(const ref& timer, cancel_timer_options opts) {
  detail::process* me = detail::require_process("otp::cancel_timer");
  auto left = to_ms(me->rt->timers.cancel(timer.id()));
  if (!left && opts.flush) {
    // Fired already: its message may be in our mailbox; take it out.
    detail::mailbox_scan scan(me);
    while (detail::envelope* e = scan.next()) {
      if (e->tag == timer.id()) {
        scan.take(e);
        detail::destroy(e);
        break;
      }
    }
  }
  return left;
}

std::optional<std::chrono::milliseconds> read_timer(const ref& timer) {
  return to_ms(
      detail::require_process("otp::read_timer")->rt->timers.read(timer.id()));
}

} // namespace otp
