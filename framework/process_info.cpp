#include "framework/process_info.hpp"

#include "framework/detail/park.hpp"
#include "framework/detail/runtime_impl.hpp"
#include "framework/this_process.hpp"

#include <boost/fiber/context.hpp>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <mutex>

namespace otp {

namespace detail {

/// Where the answer to one request goes. A process asking parks its fiber;
/// another thread waits on the condition variable.
struct info_slot {
  std::optional<process_snapshot> result;
  process* asker = nullptr;
  std::size_t epoch = 0;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;

  void complete() noexcept {
    if (asker != nullptr) {
      // push() bounced the request off a process that ended after the
      // alive() check: the asker itself completes it, before it parks.
      // Waking a running fiber would queue it while it runs; just mark the
      // slot done, and the asker does not park.
      if (asker == current_process()) {
        done = true;
        return;
      }
      // Only this answer knows the epoch: the asker cannot be gone.
      wake_parked(asker, epoch);
      return;
    }
    std::lock_guard<std::mutex> lk(m);
    done = true;
    cv.notify_all();
  }
};

namespace {

process_snapshot snapshot_of(process* p, std::uint8_t status) {
  process_snapshot s;
  retain(p);
  s.pid = pid::adopt(p, p->serial);
  switch (status) {
  case info_waiting:
    s.status = "waiting";
    break;
  case info_hibernating:
    s.status = "hibernating";
    break;
  default:
    s.status = p->exiting ? "exiting" : "runnable";
    break;
  }
  s.message_queue_len = p->save_len;
  if (p->extras_ != nullptr) {
    for (const pid& l : p->extras_->links)
      s.links.push_back(l);
    for (const auto& [r, target] : p->extras_->monitors)
      s.monitors.push_back(target);
    for (const auto& [r, watcher] : p->extras_->monitored_by)
      s.monitored_by.push_back(watcher);
  }
  s.trap_exit = p->trap_exit;
  if (p->named.load(std::memory_order_acquire))
    s.registered_name = p->rt->name_of(p);
  s.stack_size = status == info_hibernating ? 0 : p->stacks->stack_size();
  return s;
}

} // namespace

void answer_info(process* p, signal_envelope* s) {
  s->slot->result = snapshot_of(p, s->target_status);
  s->slot->complete();
  s->slot = nullptr;
}

void fail_info(signal_envelope* s) noexcept {
  if (s->slot != nullptr) {
    s->slot->complete();
    s->slot = nullptr;
  }
}

} // namespace detail

std::optional<process_snapshot> process_info(const pid& p) {
  if (!alive(p))
    return std::nullopt;
  detail::process* me = detail::current_process();
  if (me == p.get()) {
    detail::drain(me);
    auto s = detail::snapshot_of(me, detail::info_runnable);
    s.status = "running";
    return s;
  }
  detail::info_slot slot;
  detail::signal_envelope* req =
      detail::make_signal(detail::kind_info_request, pid());
  req->slot = &slot;
  if (me != nullptr) {
    // Park this process until the target answers (only the answer knows
    // the epoch, so nothing else can resume us).
    detail::parker pk(me);
    slot.asker = me;
    slot.epoch = pk.epoch();
    detail::push(p.get(), req);
    // Set only if push() bounced the request, on this fiber (complete()).
    if (!slot.done)
      pk.park(std::chrono::steady_clock::time_point::max());
    detail::check_signals(me);
  } else {
    detail::push(p.get(), req);
    std::unique_lock<std::mutex> lk(slot.m);
    slot.cv.wait(lk, [&] { return slot.done; });
  }
  return std::move(slot.result);
}

void to_json(nlohmann::json& j, const process_snapshot& s) {
  auto pids = [](const std::vector<pid>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const pid& p : v)
      a.push_back(p.to_string());
    return a;
  };
  j = nlohmann::json{{"pid", s.pid.to_string()},
                     {"status", s.status},
                     {"message_queue_len", s.message_queue_len},
                     {"links", pids(s.links)},
                     {"monitors", pids(s.monitors)},
                     {"monitored_by", pids(s.monitored_by)},
                     {"trap_exit", s.trap_exit},
                     {"registered_name", s.registered_name},
                     {"stack_size", s.stack_size}};
}

} // namespace otp
