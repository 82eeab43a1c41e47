// The body of a dynamic supervisor process (dynamic_supervisor.hpp says
// what it does); task_supervisor runs the same body.

#include "framework/call.hpp"
#include "framework/detail/deadline.hpp"
#include "framework/log.hpp"
#include "framework/receive.hpp"
#include "framework/signals.hpp"
#include "framework/this_process.hpp"
#include "supervision/detail/child_ops.hpp"
#include "supervision/detail/protocol.hpp"
#include "supervision/detail/supervisor_process.hpp"
#include "supervision/detail/supervisor_server.hpp"
#include "supervision/dynamic_supervisor.hpp"
#include "supervision/restart_intensity.hpp"
#include "supervision/supervisor_error.hpp"

#include <map>
#include <optional>
#include <unordered_map>

namespace otp::dynamic_supervisor::detail {

namespace {

using namespace otp::detail::sup;

struct dyn_child {
  child_spec spec;
  ref monitor;
  bool restarting = false;
  std::uint64_t restarts = 0;
};

class dynamic_server final : public supervisor_process {
public:
  dynamic_server(const options& opts, otp::pid parent_pid, const char* kind)
      : opts_(opts),
        intensity_(opts.max_restarts, opts.max_seconds),
        kind_(kind) {
    parent = std::move(parent_pid);
    name = opts.name;
    rep_.self = otp::self();
    rep_.name = display_name(opts.name, rep_.self);
  }

private:
  const char* kind() const noexcept override { return kind_; }
  supervisor_state snapshot() const override;
  void serve() override;
  [[noreturn]] void terminate_and_exit(exit_reason reason) override;

  void start_child(call_request<start_child_req>& r);
  void terminate_child(call_request<terminate_pid_req>& r);
  void which_children(call_request<which_children_req>& r);
  void count_children(call_request<count_children_req>& r);
  void on_exit(const otp::pid& p, const exit_reason& reason);
  void restart(const otp::pid& old);

  options opts_;
  restart_intensity intensity_;
  const char* kind_;
  /// Running children by pid; a child being restarted stays under its old
  /// pid (Elixir's `{:restarting, child}`).
  std::unordered_map<otp::pid, dyn_child> children_;
};

void dynamic_server::start_child(call_request<start_child_req>& r) {
  child_spec& spec = r.request.spec;
  if (auto bad = check_child_spec(spec, otp::auto_shutdown::never)) {
    answer(r.from, start_result::error(*bad));
    return;
  }
  if (children_.size() >= opts_.max_children) {
    answer(r.from, start_result::error(supervisor_error::max_children()));
    return;
  }
  start_result res = invoke_start(spec, opts_.extra);
  if (res.ok()) {
    const ref mon = otp::monitor(res.pid());
    rep_.progress(spec, res.pid());
    children_.emplace(res.pid(), dyn_child{std::move(spec), mon, false, 0});
  }
  answer(r.from, std::move(res));
}

void dynamic_server::terminate_child(call_request<terminate_pid_req>& r) {
  auto it = children_.find(r.request.child);
  if (it == children_.end()) {
    answer(r.from, result<void>(supervisor_error::not_found()));
    return;
  }
  if (!it->second.restarting) {
    if (auto err =
            shutdown_child(it->first, it->second.monitor, it->second.spec))
      rep_.error("shutdown_error", *err, it->second.spec, it->first);
  }
  children_.erase(it);
  answer(r.from, result<void>());
}

void dynamic_server::which_children(call_request<which_children_req>& r) {
  std::vector<child_info> out;
  out.reserve(children_.size());
  for (const auto& [p, c] : children_)
    out.push_back(child_info{{},
                             c.restarting ? otp::pid() : p,
                             c.restarting ? child_status::restarting
                                          : child_status::running,
                             c.spec.type});
  answer(r.from, std::move(out));
}

void dynamic_server::count_children(call_request<count_children_req>& r) {
  child_counts n;
  for (const auto& [p, c] : children_) {
    ++n.specs;
    if (!c.restarting)
      ++n.active;
    ++(c.spec.type == child_type::supervisor ? n.supervisors : n.workers);
  }
  answer(r.from, n);
}

supervisor_state dynamic_server::snapshot() const {
  supervisor_state out;
  out.kind = kind_;
  out.strategy = opts_.strategy;
  out.max_restarts = opts_.max_restarts;
  out.max_seconds = opts_.max_seconds;
  out.auto_shutdown = opts_.auto_shutdown;
  out.max_children = opts_.max_children;
  out.restarts = intensity_.total();
  out.children.reserve(children_.size());
  for (const auto& [p, c] : children_)
    out.children.push_back(supervisor_child_state{
        {},
        c.restarting ? otp::pid() : p,
        c.restarting ? child_status::restarting : child_status::running,
        c.spec.type,
        c.spec.restart,
        c.spec.shutdown_or_default(),
        c.spec.significant,
        c.restarts});
  return out;
}

void dynamic_server::on_exit(const otp::pid& p, const exit_reason& reason) {
  auto it = children_.find(p);
  if (otp::system_stopping()) {
    // The runtime's shutdown ended the child: expected; restart nothing.
    children_.erase(it);
    return;
  }
  const child_spec& spec = it->second.spec;
  const bool restart_it =
      spec.restart == restart_type::permanent
      || (spec.restart == restart_type::transient && !reason.is_silent());
  if (spec.restart == restart_type::permanent || !reason.is_silent())
    rep_.error("child_terminated", reason, spec, p);
  if (restart_it)
    restart(p);
  else
    children_.erase(it);
}

void dynamic_server::restart(const otp::pid& old) {
  auto it = children_.find(old);
  if (otp::system_stopping()) {
    children_.erase(it);
    return;
  }
  if (!intensity_.add()) {
    rep_.error("shutdown", exit_reason::user("reached_max_restart_intensity"),
               it->second.spec, old);
    children_.erase(it);
    stop_ = exit_reason::shutdown();
    return;
  }
  dyn_child c = std::move(it->second);
  children_.erase(it);
  c.restarting = false;
  ++c.restarts;
  start_result res = invoke_start(c.spec, opts_.extra);
  if (res.ok()) {
    c.monitor = otp::monitor(res.pid());
    rep_.progress(c.spec, res.pid());
    children_.emplace(res.pid(), std::move(c));
  } else if (!res.ignored()) {
    rep_.error("start_error", res.error(), c.spec, {});
    c.restarting = true;
    children_.emplace(old, std::move(c));
    // Retry from the loop, after what is queued (a shutdown among it).
    otp::send(otp::self(), try_again_restart{{}, old});
  }
}

void dynamic_server::terminate_and_exit(exit_reason reason) {
  // Signal every child at once; each shutdown value is one deadline group.
  struct pending {
    ref monitor;
    const child_spec* spec;
    bool brutal;
  };
  std::unordered_map<otp::pid, pending> waiting;
  std::map<clock::time_point, std::vector<otp::pid>> deadlines;
  // Saturated (deadline.hpp), computed once per shutdown value.
  std::map<std::chrono::milliseconds, clock::time_point> deadline_of;
  for (const auto& [p, c] : children_) {
    if (c.restarting)
      continue;
    const child_shutdown how = c.spec.shutdown_or_default();
    const bool brutal = how.what() == child_shutdown::kind::brutal_kill;
    otp::exit(p, brutal ? exit_reason::kill() : exit_reason::shutdown());
    waiting.emplace(p, pending{c.monitor, &c.spec, brutal});
    if (how.what() == child_shutdown::kind::timeout) {
      auto [d, fresh] = deadline_of.try_emplace(how.time());
      if (fresh)
        d->second = otp::detail::deadline_after(how.time());
      deadlines[d->second].push_back(p);
    }
  }
  auto done = [&](const otp::pid& p, const exit_reason& why) {
    const pending& w = waiting.at(p);
    if (!expected_shutdown(why, *w.spec, w.brutal))
      rep_.error("shutdown_error", why, *w.spec, p);
    waiting.erase(p);
  };
  while (!waiting.empty()) {
    const std::chrono::milliseconds left =
        deadlines.empty() ? otp::infinity
                          : otp::detail::time_left_ms(deadlines.begin()->first);
    otp::receive(
        otp::guard(
            [&](const exit_message& m) { return waiting.count(m.from) != 0; },
            [&](exit_message&& m) {
              otp::demonitor(waiting.at(m.from).monitor, {.flush = true});
              done(m.from, m.reason);
            }),
        otp::guard(
            [&](const down_message& d) {
              auto w = waiting.find(d.who);
              return w != waiting.end() && w->second.monitor == d.monitor;
            },
            [&](down_message&& d) {
              done(d.who, settle_down(d.who, std::move(d.reason)));
            }),
        otp::after(left, [&] {
          for (const otp::pid& p : deadlines.begin()->second)
            if (waiting.count(p) != 0)
              otp::exit(p, exit_reason::kill());
          deadlines.erase(deadlines.begin());
        }));
  }
  otp::exit(std::move(reason));
}

void dynamic_server::serve() {
  serve_with(
      [&](exit_message&& m) {
        auto it = children_.find(m.from);
        if (it == children_.end() || it->second.restarting)
          return;
        forget_child(m.from, it->second.monitor);
        on_exit(m.from, m.reason);
      },
      [&](down_message&& d) {
        auto it = children_.find(d.who);
        if (it == children_.end() || it->second.restarting
            || it->second.monitor != d.monitor)
          return;
        on_exit(d.who, settle_down(d.who, std::move(d.reason)));
      },
      [&](try_again_restart&& t) {
        auto it = children_.find(t.old);
        if (it != children_.end() && it->second.restarting)
          restart(t.old);
      },
      [&](call_request<start_child_req>&& r) { start_child(r); },
      [&](call_request<terminate_pid_req>&& r) { terminate_child(r); },
      [&](call_request<which_children_req>&& r) { which_children(r); },
      [&](call_request<count_children_req>&& r) { count_children(r); },
      [&](call_request<terminate_child_req>&& r) {
        answer(r.from, result<void>(supervisor_error::dynamic_supervisor()));
      },
      [&](call_request<restart_child_req>&& r) {
        answer(r.from,
               start_result::error(supervisor_error::dynamic_supervisor()));
      },
      [&](call_request<delete_child_req>&& r) {
        answer(r.from, result<void>(supervisor_error::dynamic_supervisor()));
      });
}

} // namespace

void run(starter& s, const options& opts, bool linked, const char* kind) {
  otp::trap_exit(true);
  if (auto bad = check_options(opts.max_restarts, opts.max_seconds))
    s.stop(*bad);
  if (opts.strategy != strategy::one_for_one)
    s.stop(exit_reason::user(std::string("{supervisor_data,{invalid_strategy,")
                             + to_string(opts.strategy) + "}}"));
  if (opts.auto_shutdown != otp::auto_shutdown::never)
    s.stop(exit_reason::user(
        std::string("{supervisor_data,{invalid_auto_shutdown,")
        + to_string(opts.auto_shutdown) + "}}"));
  dynamic_server srv(opts, linked ? s.parent() : otp::pid{}, kind);
  s.ack();
  srv.loop();
}

} // namespace otp::dynamic_supervisor::detail
