#include "framework/task.hpp"

#include "framework/detail/deadline.hpp"
#include "framework/detail/mailbox_scan.hpp"
#include "framework/detail/runtime_impl.hpp"

#include <algorithm>
#include <deque>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace otp {

std::ostream& operator<<(std::ostream& os, ok_t) {
  return os << "ok";
}

namespace detail {

namespace {

using ms = std::chrono::milliseconds;

/// `{Reason,{Where,[Args,Timeout]}}`; `args` ends with a comma if not
/// empty.
exit_reason failure(exit_reason reason, const char* where,
                    const std::string& args, ms timeout) {
  std::ostringstream w;
  w << '{' << where << ",[" << args << timeout_to_string(timeout) << "]}";
  return exit_reason::wrap(std::move(reason), w.str());
}

exit_reason await_failure(exit_reason reason, const pid& p, ms timeout) {
  return failure(std::move(reason), "Task,await", p.to_string() + ",", timeout);
}

/// One reply or DOWN of a watched task.
struct task_event {
  std::size_t index = 0;
  envelope_ptr reply;
  exit_reason down;
};

task_outcome outcome_of(task_event&& ev) {
  return {true, std::move(ev.reply), std::move(ev.down)};
}

/// Waits for the replies and DOWNs of a set of tasks with one mailbox scan,
/// so each message is examined once however many tasks there are.
///
/// While the scan is open nothing may take messages out of the mailbox
/// behind its back: between `next` calls only spawning, `unlink`,
/// `exit(pid, r)`, `abandon` and `watch` are allowed (they at most append
/// to the mailbox). `finish` closes the scan and tidies up: aliases off,
/// monitors of tasks that replied or were abandoned removed, and their
/// queued DOWNs and late replies taken out in one pass.
class task_waiter {
public:
  /// `replies = false`: only DOWNs are events; a reply stays queued and is
  /// reported by `finish` as late.
  task_waiter(const type_desc* type, std::uint32_t mark, bool replies = true)
      : me_(require_process("otp::task")),
        type_(type),
        mark_(mark),
        replies_(replies) {}

  void watch(std::size_t index, task_core& c) {
    by_alias_[c.alias.id.id()] = {index, &c};
    by_monitor_[c.monitor] = c.alias.id.id();
  }

  /// The next event until `deadline`; false if none came.
  bool next(clock::time_point deadline, task_event& ev) {
    if (!scan_)
      scan_.emplace(me_, mark_);
    for (;;) {
      envelope* e = scan_->next();
      if (e == nullptr) {
        if (!scan_->wait(deadline))
          return false;
        continue;
      }
      if (replies_ && e->type == type_) {
        auto it = by_alias_.find(e->tag);
        if (it != by_alias_.end()) {
          scan_->take(e);
          ev.index = it->second.index;
          ev.reply.reset(e);
          settle(it, true);
          return true;
        }
      } else if (e->type == &type_desc_of<down_message>) {
        auto& d = static_cast<typed_envelope<down_message>*>(e)->value;
        auto m = by_monitor_.find(d.monitor);
        if (m != by_monitor_.end()) {
          scan_->take(e);
          envelope_ptr own(e);
          auto it = by_alias_.find(m->second);
          ev.index = it->second.index;
          ev.down = std::move(d.reason);
          settle(it, false);
          return true;
        }
      }
    }
  }

  /// Give up a watched task: its late reply or DOWN is taken by `finish`.
  void abandon(task_core& c) {
    auto it = by_alias_.find(c.alias.id.id());
    if (it != by_alias_.end())
      settle(it, true);
  }
  void abandon_all() {
    while (!by_alias_.empty())
      settle(by_alias_.begin(), true);
  }

  /// Close the scan and tidy up (see the class comment). Replies and DOWNs
  /// of given-up tasks go to `late` (in arrival order), or are dropped.
  void finish(std::vector<task_event>* late) {
    scan_.reset();
    if (settled_.empty())
      return;
    std::unordered_map<std::uint64_t, std::size_t> tags;
    std::unordered_map<ref, std::size_t> downs;
    for (const settled& s : settled_) {
      unalias(s.alias); // a reply queued before this is kept, later ones not
      tags.emplace(s.alias.id.id(), s.index);
      if (s.demonitor) {
        demonitor(s.monitor); // a DOWN queued before this is kept
        downs.emplace(s.monitor, s.index);
      }
    }
    settled_.clear();
    mailbox_scan scan(me_, mark_);
    while (envelope* e = scan.next()) {
      task_event ev;
      if (auto t = tags.find(e->tag); e->type == type_ && t != tags.end()) {
        scan.take(e);
        ev.index = t->second;
        ev.reply.reset(e);
      } else if (e->type == &type_desc_of<down_message>) {
        auto& d = static_cast<typed_envelope<down_message>*>(e)->value;
        auto it = downs.find(d.monitor);
        if (it == downs.end())
          continue;
        scan.take(e);
        envelope_ptr own(e);
        ev.index = it->second;
        ev.down = d.reason;
        downs.erase(it);
      } else {
        continue;
      }
      if (late != nullptr)
        late->push_back(std::move(ev));
    }
  }

private:
  struct entry {
    std::size_t index;
    task_core* core;
  };
  struct settled {
    std::size_t index;
    alias_ref alias;
    ref monitor;
    bool demonitor;
  };
  using entry_it = std::unordered_map<std::uint64_t, entry>::iterator;

  void settle(entry_it it, bool demon) {
    task_core& c = *it->second.core;
    c.settled = true;
    settled_.push_back({it->second.index, c.alias, c.monitor, demon});
    by_monitor_.erase(c.monitor);
    by_alias_.erase(it);
  }

  process* me_;
  const type_desc* type_;
  std::uint32_t mark_;
  bool replies_;
  std::optional<mailbox_scan> scan_;
  std::unordered_map<std::uint64_t, entry> by_alias_;
  std::unordered_map<ref, std::uint64_t> by_monitor_;
  std::vector<settled> settled_;
};

} // namespace

// -- starting -----------------------------------------------------------------

task_core task_prepare(const char* caller) {
  process* me = require_process(caller);
  task_core c;
  c.owner = self();
  // The mark comes first: the reply and the DOWN can only arrive after it.
  c.mark = mailbox_mark(me);
  c.alias = alias();
  return c;
}

void task_spawn(task_core& c, unique_task body) {
  c.pid = spawn_with(nullptr, spawn_options{}, std::move(body), "otp::async",
                     spawn_link_mode::link_monitor, &c.monitor);
}

void task_connect(task_core& c, otp::pid p) {
  process* me = require_process("otp::async_nolink_via");
  c.pid = std::move(p);
  c.mark = mailbox_mark(me);
  c.alias = alias();
  // A null or dead pid gives DOWN noproc at once; the go-ahead is dropped.
  c.monitor = monitor(c.pid);
  send(c.pid, task_go{c.alias, c.monitor});
}

void task_check_owner(const task_core& c, const char* fn) {
  const otp::pid me = self();
  if (c.owner && c.owner == me)
    return;
  std::ostringstream os;
  os << "otp::task::" << fn << ": task " << c.pid;
  if (!c.owner)
    os << " is empty (default-constructed or moved from)";
  else
    os << " must be queried from the owner " << c.owner
       << " but was queried from " << me;
  throw std::invalid_argument(os.str());
}

ref task_monitor_of(const otp::pid& owner) {
  // spawn_with wrote the owner's monitor here before this process started;
  // no other monitor can exist yet (nobody else knows the pid).
  process* me = current_process();
  if (me != nullptr && me->extras_ != nullptr)
    for (const auto& [r, watcher] : me->extras_->monitored_by)
      if (watcher == owner)
        return r;
  return {};
}

task_go task_await_go(const otp::pid& owner) {
  const ref m = monitor(owner);
  std::optional<task_go> go = receive(
      guard([&](const task_go& g) { return g.reply_to.pid == owner; },
            [](task_go&& g) { return std::optional<task_go>(std::move(g)); }),
      guard([&](const down_message& d) { return d.monitor == m; },
            [](down_message&& d) {
              throw exit_error(exit_reason::shutdown(d.reason.to_string()));
              return std::optional<task_go>();
            }));
  demonitor(m, {.flush = true});
  return std::move(*go);
}

// -- one task -----------------------------------------------------------------

envelope_ptr task_await(task_core& c, const type_desc* type, ms timeout) {
  task_check_owner(c, "await");
  task_waiter w(type, c.mark);
  if (!c.settled)
    w.watch(0, c);
  task_event ev;
  if (w.next(deadline_after(timeout), ev)) {
    w.finish(nullptr);
    if (ev.reply)
      return std::move(ev.reply);
    throw exit_error(await_failure(std::move(ev.down), c.pid, timeout));
  }
  // Timed out. A reply that arrived just before the alias went off is still
  // taken (as a call's final `after 0`), so none stays behind.
  w.abandon_all();
  std::vector<task_event> late;
  w.finish(&late);
  for (task_event& l : late)
    if (l.reply)
      return std::move(l.reply);
  throw exit_error(await_failure(exit_reason::timeout(), c.pid, timeout));
}

task_outcome task_yield(task_core& c, const type_desc* type, ms timeout) {
  task_check_owner(c, "yield");
  task_waiter w(type, c.mark);
  if (!c.settled)
    w.watch(0, c);
  task_event ev;
  const bool got = w.next(deadline_after(timeout), ev);
  w.finish(nullptr);
  return got ? outcome_of(std::move(ev)) : task_outcome{};
}

task_outcome task_ignore(task_core& c, const type_desc* type) {
  task_check_owner(c, "ignore");
  task_waiter w(type, c.mark);
  if (!c.settled)
    w.watch(0, c);
  task_event ev;
  if (w.next(clock::now(), ev)) {
    if (ev.reply)
      unlink(c.pid);
    w.finish(nullptr);
    return outcome_of(std::move(ev));
  }
  unlink(c.pid);
  w.abandon_all();
  std::vector<task_event> late;
  w.finish(&late);
  return late.empty() ? task_outcome{} : outcome_of(std::move(late.front()));
}

task_outcome task_shutdown(task_core& c, const type_desc* type, ms timeout,
                           bool brutal) {
  task_check_owner(c, "shutdown");
  if (!c.pid)
    throw std::invalid_argument("otp::task::shutdown: the task has no process");
  unlink(c.pid);
  exit(c.pid, brutal ? exit_reason::kill() : exit_reason::shutdown());
  if (c.settled)
    return {true, nullptr, exit_reason::noproc()};
  task_waiter w(type, c.mark, false);
  w.watch(0, c);
  task_event ev;
  if (!w.next(deadline_after(brutal ? ms::max() : timeout), ev)) {
    exit(c.pid, exit_reason::kill());
    w.next(clock::time_point::max(), ev);
  }
  std::vector<task_event> late;
  w.finish(&late);
  for (task_event& l : late)
    if (l.reply)
      return outcome_of(std::move(l));
  if (ev.down == (brutal ? exit_reason::killed() : exit_reason::shutdown()))
    return {};
  return outcome_of(std::move(ev));
}

// -- many tasks ---------------------------------------------------------------

std::vector<envelope_ptr> task_await_many(const std::vector<task_core*>& cs,
                                          const type_desc* type, ms timeout) {
  for (task_core* c : cs)
    task_check_owner(*c, "await_many");
  task_waiter w(type, 0);
  for (std::size_t i = 0; i < cs.size(); ++i)
    if (!cs[i]->settled)
      w.watch(i, *cs[i]);
  std::vector<envelope_ptr> out(cs.size());
  const auto deadline = deadline_after(timeout);
  for (std::size_t got = 0; got < cs.size(); ++got) {
    task_event ev;
    const bool any = w.next(deadline, ev);
    if (!any || !ev.reply) {
      w.abandon_all();
      w.finish(nullptr);
      std::ostringstream pids;
      pids << '[';
      for (std::size_t i = 0; i < cs.size(); ++i)
        pids << (i == 0 ? "" : ",") << cs[i]->pid;
      pids << "],";
      throw exit_error(
          failure(any ? std::move(ev.down) : exit_reason::timeout(),
                  "Task,await_many", pids.str(), timeout));
    }
    out[ev.index] = std::move(ev.reply);
  }
  w.finish(nullptr);
  return out;
}

std::vector<task_outcome> task_yield_many(const std::vector<task_core*>& cs,
                                          const type_desc* type,
                                          const yield_many_options& opts) {
  if (opts.on_timeout == on_timeout::exit)
    throw std::invalid_argument("otp::yield_many: on_timeout must be "
                                "nothing, ignore or kill_task");
  for (task_core* c : cs)
    task_check_owner(*c, "yield_many");
  const std::size_t limit =
      opts.limit == 0 ? cs.size() : std::min(opts.limit, cs.size());
  task_waiter w(type, 0);
  for (std::size_t i = 0; i < cs.size(); ++i)
    if (!cs[i]->settled)
      w.watch(i, *cs[i]);
  std::vector<task_outcome> out(cs.size());
  const auto deadline = deadline_after(opts.timeout);
  bool timed_out = false;
  for (std::size_t got = 0; got < limit; ++got) {
    task_event ev;
    if (!w.next(deadline, ev)) {
      timed_out = true;
      break;
    }
    const std::size_t i = ev.index;
    out[i] = outcome_of(std::move(ev));
  }
  w.finish(nullptr);
  if (!timed_out || opts.on_timeout == on_timeout::nothing)
    return out;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    if (out[i].done || cs[i]->settled)
      continue;
    out[i] = opts.on_timeout == on_timeout::ignore
                 ? task_ignore(*cs[i], type)
                 : task_shutdown(*cs[i], type, ms::max(), true);
  }
  return out;
}

std::vector<stream_item> task_stream(stream_start start, void* source,
                                     const type_desc* type,
                                     const async_stream_options& opts) {
  if (opts.on_timeout != on_timeout::exit
      && opts.on_timeout != on_timeout::kill_task)
    throw std::invalid_argument(
        "otp::async_stream: on_timeout must be exit or kill_task");
  process* me = require_process("otp::async_stream");
  const std::size_t max = opts.max_concurrency != 0
                              ? opts.max_concurrency
                              : std::max(1u, me->rt->opts.threads);
  task_waiter w(type, 0);
  std::deque<task_core> cores; // stable addresses for the waiter
  std::unordered_map<std::size_t, clock::time_point> running;
  std::vector<stream_item> out;
  bool exhausted = false;
  auto refill = [&] {
    while (!exhausted && running.size() < max) {
      const std::size_t i = cores.size();
      cores.emplace_back();
      if (!start(source, cores.back())) {
        cores.pop_back();
        exhausted = true;
        return;
      }
      w.watch(i, cores.back());
      running.emplace(i, deadline_after(opts.timeout));
    }
  };
  auto kill = [&](std::size_t i) {
    // Unlinked first, so the kill does not come back to the caller.
    unlink(cores[i].pid);
    exit(cores[i].pid, exit_reason::kill());
    w.abandon(cores[i]);
    running.erase(i);
  };
  refill();
  while (!running.empty()) {
    clock::time_point first = clock::time_point::max();
    for (const auto& [i, d] : running)
      first = std::min(first, d);
    task_event ev;
    if (w.next(first, ev)) {
      running.erase(ev.index);
      const std::size_t i = ev.index;
      out.push_back({i, outcome_of(std::move(ev))});
      refill();
      continue;
    }
    const auto now = clock::now();
    std::vector<std::size_t> late;
    for (const auto& [i, d] : running)
      if (d <= now)
        late.push_back(i);
    std::sort(late.begin(), late.end());
    if (!late.empty() && opts.on_timeout == on_timeout::exit) {
      while (!running.empty())
        kill(running.begin()->first);
      w.finish(nullptr);
      throw exit_error(failure(exit_reason::timeout(), "Task.Supervised,stream",
                               "", opts.timeout));
    }
    for (std::size_t i : late) {
      kill(i);
      out.push_back({i, {true, nullptr, exit_reason::timeout()}});
    }
    refill();
  }
  w.finish(nullptr);
  return out;
}

} // namespace detail
} // namespace otp
