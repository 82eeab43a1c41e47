#include "supervision/detail/supervisor_server.hpp"

#include "framework/call.hpp"
#include "framework/log.hpp"
#include "framework/receive.hpp"
#include "framework/signals.hpp"
#include "framework/this_process.hpp"
#include "supervision/detail/child_ops.hpp"
#include "supervision/detail/protocol.hpp"
#include "supervision/detail/supervisor_process.hpp"
#include "supervision/restart_intensity.hpp"
#include "supervision/supervisor_error.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <unordered_set>

namespace otp::detail::sup {

namespace {

struct child {
  child_spec spec;
  otp::pid pid;
  ref monitor;
  bool restarting = false;
  std::uint64_t restarts = 0;
};

constexpr std::size_t none = static_cast<std::size_t>(-1);

class static_server final : public supervisor_process {
public:
  static_server(const supervisor::options& opts, otp::pid parent_pid)
      : opts_(opts),
        intensity_(opts.max_restarts, opts.max_seconds) {
    parent = std::move(parent_pid);
    name = opts.name;
    rep_.self = otp::self();
    rep_.name = display_name(opts.name, rep_.self);
  }

  void init(starter& s, std::vector<child_spec>& specs);

private:
  const char* kind() const noexcept override { return "supervisor"; }
  supervisor_state snapshot() const override;
  void serve() override;
  [[noreturn]] void terminate_and_exit(exit_reason reason) override;

  // -- lookup ----------------------------------------------------------------
  std::size_t find(const std::string& id) const;
  std::size_t find(const otp::pid& p) const;

  // -- starting and stopping one child ----------------------------------------
  start_result start_one(std::size_t i);
  void terminate_one(std::size_t i);
  /// Temporary children without a process leave the list (their spec goes
  /// when they stop).
  void drop_stopped_temporaries();

  // -- restarts ---------------------------------------------------------------
  void on_child_exit(std::size_t i, const exit_reason& reason);
  void restart(std::size_t i, const otp::pid& old);
  /// Start children `from`.. (only `from` if `only_one`) in order; on a
  /// failure mark it restarting, ask to try again, and stop there.
  void start_from(std::size_t from, bool only_one);
  void del_child(std::size_t i);
  void auto_shutdown(const child_spec& spec);

  // -- requests ---------------------------------------------------------------
  void handle(call_request<start_child_req>& r);
  void handle(call_request<terminate_child_req>& r);
  void handle(call_request<restart_child_req>& r);
  void handle(call_request<delete_child_req>& r);
  void handle(call_request<which_children_req>& r);
  void handle(call_request<count_children_req>& r);

  supervisor::options opts_;
  restart_intensity intensity_;
  std::vector<child> children_; ///< start order
};

std::size_t static_server::find(const std::string& id) const {
  for (std::size_t i = 0; i < children_.size(); ++i)
    if (children_[i].spec.id == id)
      return i;
  return none;
}

std::size_t static_server::find(const otp::pid& p) const {
  for (std::size_t i = 0; i < children_.size(); ++i)
    if (children_[i].pid == p)
      return i;
  return none;
}

start_result static_server::start_one(std::size_t i) {
  start_result r = invoke_start(children_[i].spec, {});
  child& c = children_[i];
  if (r.ok()) {
    c.pid = r.pid();
    c.monitor = otp::monitor(c.pid);
    rep_.progress(c.spec, c.pid);
  }
  return r;
}

void static_server::terminate_one(std::size_t i) {
  child& c = children_[i];
  c.restarting = false;
  if (!c.pid)
    return;
  const otp::pid p = std::exchange(c.pid, {});
  if (auto err = shutdown_child(p, c.monitor, c.spec))
    rep_.error("shutdown_error", *err, c.spec, p);
  c.monitor = {};
}

void static_server::drop_stopped_temporaries() {
  std::erase_if(children_, [](const child& c) {
    return c.spec.restart == restart_type::temporary && !c.pid && !c.restarting;
  });
}

void static_server::init(starter& s, std::vector<child_spec>& specs) {
  if (auto bad = check_options(opts_.max_restarts, opts_.max_seconds))
    s.stop(*bad);
  std::unordered_set<std::string> ids;
  for (const child_spec& spec : specs) {
    if (auto bad = check_child_spec(spec, opts_.auto_shutdown))
      s.stop(exit_reason::user("{start_spec," + bad->to_string() + "}"));
    if (!ids.insert(spec.id).second)
      s.stop(exit_reason::user("{start_spec,{duplicate_child_name," + spec.id
                               + "}}"));
  }
  for (child_spec& spec : specs) {
    children_.push_back(child{std::move(spec), {}, {}, false, 0});
    const std::size_t i = children_.size() - 1;
    start_result r = start_one(i);
    if (r.ok())
      continue;
    if (r.ignored()) {
      if (children_[i].spec.restart == restart_type::temporary)
        children_.pop_back();
      continue;
    }
    rep_.error("start_error", r.error(), children_[i].spec, {});
    const std::string id = children_[i].spec.id;
    children_.pop_back();
    for (std::size_t k = children_.size(); k-- > 0;)
      terminate_one(k);
    s.stop(exit_reason::shutdown("{failed_to_start_child," + id + ","
                                 + r.error().to_string() + "}"));
  }
  s.ack();
}

void static_server::del_child(std::size_t i) {
  if (children_[i].spec.restart == restart_type::temporary)
    children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
  else
    children_[i].pid = {};
}

void static_server::auto_shutdown(const child_spec& spec) {
  if (opts_.auto_shutdown == otp::auto_shutdown::never || !spec.significant)
    return;
  if (opts_.auto_shutdown == otp::auto_shutdown::any_significant) {
    stop_ = exit_reason::shutdown();
    return;
  }
  const bool any_left =
      std::any_of(children_.begin(), children_.end(), [](const child& c) {
        return c.spec.significant && (c.pid || c.restarting);
      });
  if (!any_left)
    stop_ = exit_reason::shutdown();
}

void static_server::on_child_exit(std::size_t i, const exit_reason& reason) {
  const otp::pid old = std::exchange(children_[i].pid, {});
  children_[i].monitor = {};
  if (otp::system_stopping()) {
    // The runtime is shutting down and ended the child: expected, and
    // nothing may be restarted (this supervisor ends next).
    del_child(i);
    return;
  }
  const child_spec& spec = children_[i].spec;
  if (spec.restart == restart_type::permanent) {
    rep_.error("child_terminated", reason, spec, old);
    restart(i, old);
    return;
  }
  if (reason.is_silent() || spec.restart == restart_type::temporary) {
    if (!reason.is_silent())
      rep_.error("child_terminated", reason, spec, old);
    const child_spec copy = spec;
    del_child(i);
    auto_shutdown(copy);
    return;
  }
  rep_.error("child_terminated", reason, spec, old);
  restart(i, old);
}

void static_server::restart(std::size_t i, const otp::pid& old) {
  if (otp::system_stopping()) {
    children_[i].restarting = false;
    del_child(i);
    return;
  }
  if (!intensity_.add()) {
    rep_.error("shutdown", exit_reason::user("reached_max_restart_intensity"),
               children_[i].spec, old);
    del_child(i);
    stop_ = exit_reason::shutdown();
    return;
  }
  const std::string id = children_[i].spec.id;
  switch (opts_.strategy) {
  case strategy::one_for_one:
    start_from(i, true);
    return;
  case strategy::one_for_all:
    for (std::size_t k = children_.size(); k-- > 0;)
      if (k != i)
        terminate_one(k);
    drop_stopped_temporaries();
    start_from(0, false);
    return;
  case strategy::rest_for_one:
    for (std::size_t k = children_.size(); k-- > i + 1;)
      terminate_one(k);
    drop_stopped_temporaries();
    start_from(find(id), false);
    return;
  }
}

void static_server::start_from(std::size_t from, bool only_one) {
  std::size_t k = from;
  while (k < children_.size()) {
    children_[k].restarting = false;
    if (!children_[k].pid) {
      ++children_[k].restarts;
      start_result r = start_one(k);
      if (r.ignored() && children_[k].spec.restart == restart_type::temporary) {
        children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(k));
        if (only_one)
          return;
        continue;
      }
      if (!r.ok() && !r.ignored()) {
        rep_.error("start_error", r.error(), children_[k].spec, {});
        children_[k].restarting = true;
        // Leave control to the loop first, so that queued requests (a
        // shutdown among them) are served before the next attempt.
        otp::send(otp::self(), try_again_restart{children_[k].spec.id, {}});
        return;
      }
    }
    ++k;
    if (only_one)
      return;
  }
}

void static_server::terminate_and_exit(exit_reason reason) {
  for (std::size_t k = children_.size(); k-- > 0;)
    terminate_one(k);
  otp::exit(std::move(reason));
}

// -- requests -----------------------------------------------------------------

void static_server::handle(call_request<start_child_req>& r) {
  child_spec& spec = r.request.spec;
  if (auto bad = check_child_spec(spec, opts_.auto_shutdown)) {
    answer(r.from, start_result::error(*bad));
    return;
  }
  if (const std::size_t i = find(spec.id); i != none) {
    const otp::pid& p = children_[i].pid;
    answer(
        r.from,
        p ? start_result::error(exit_reason::already_started(p.to_string()), p)
          : start_result::error(supervisor_error::already_present()));
    return;
  }
  children_.push_back(child{std::move(spec), {}, {}, false, 0});
  start_result res = start_one(children_.size() - 1);
  if (!res.ok()
      && (!res.ignored()
          || children_.back().spec.restart == restart_type::temporary))
    children_.pop_back();
  answer(r.from, std::move(res));
}

void static_server::handle(call_request<terminate_child_req>& r) {
  const std::size_t i = find(r.request.id);
  if (i == none) {
    answer(r.from, result<void>(supervisor_error::not_found()));
    return;
  }
  terminate_one(i);
  del_child(i);
  answer(r.from, result<void>());
}

void static_server::handle(call_request<restart_child_req>& r) {
  const std::size_t i = find(r.request.id);
  if (i == none) {
    answer(r.from, start_result::error(supervisor_error::not_found()));
  } else if (children_[i].restarting) {
    answer(r.from, start_result::error(supervisor_error::restarting()));
  } else if (children_[i].pid) {
    answer(r.from, start_result::error(supervisor_error::running()));
  } else {
    ++children_[i].restarts;
    answer(r.from, start_one(i));
  }
}

void static_server::handle(call_request<delete_child_req>& r) {
  const std::size_t i = find(r.request.id);
  if (i == none) {
    answer(r.from, result<void>(supervisor_error::not_found()));
  } else if (children_[i].restarting) {
    answer(r.from, result<void>(supervisor_error::restarting()));
  } else if (children_[i].pid) {
    answer(r.from, result<void>(supervisor_error::running()));
  } else {
    children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
    answer(r.from, result<void>());
  }
}

void static_server::handle(call_request<which_children_req>& r) {
  std::vector<child_info> out;
  out.reserve(children_.size());
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    const child_status st = it->restarting ? child_status::restarting
                            : it->pid      ? child_status::running
                                           : child_status::undefined;
    out.push_back(child_info{it->spec.id, it->pid, st, it->spec.type});
  }
  answer(r.from, std::move(out));
}

void static_server::handle(call_request<count_children_req>& r) {
  child_counts n;
  for (const child& c : children_) {
    ++n.specs;
    if (c.pid && otp::alive(c.pid))
      ++n.active;
    ++(c.spec.type == child_type::supervisor ? n.supervisors : n.workers);
  }
  answer(r.from, n);
}

supervisor_state static_server::snapshot() const {
  supervisor_state out;
  out.kind = kind();
  out.strategy = opts_.strategy;
  out.max_restarts = opts_.max_restarts;
  out.max_seconds = opts_.max_seconds;
  out.auto_shutdown = opts_.auto_shutdown;
  out.restarts = intensity_.total();
  out.children.reserve(children_.size());
  for (const child& c : children_)
    out.children.push_back(supervisor_child_state{
        c.spec.id, c.pid,
        c.restarting ? child_status::restarting
        : c.pid      ? child_status::running
                     : child_status::undefined,
        c.spec.type, c.spec.restart, c.spec.shutdown_or_default(),
        c.spec.significant, c.restarts});
  return out;
}

void static_server::serve() {
  serve_with(
      [&](exit_message&& m) {
        const std::size_t i = find(m.from);
        if (i == none)
          return; // an old child, or one whose start failed
        forget_child(m.from, children_[i].monitor);
        on_child_exit(i, m.reason);
      },
      [&](down_message&& d) {
        const std::size_t i = find(d.who);
        if (i == none || children_[i].monitor != d.monitor)
          return;
        exit_reason why = settle_down(d.who, std::move(d.reason));
        on_child_exit(i, why);
      },
      [&](try_again_restart&& t) {
        const std::size_t i = find(t.id);
        if (i != none && children_[i].restarting)
          restart(i, {});
      },
      [&](call_request<start_child_req>&& r) { handle(r); },
      [&](call_request<terminate_child_req>&& r) { handle(r); },
      [&](call_request<restart_child_req>&& r) { handle(r); },
      [&](call_request<delete_child_req>&& r) { handle(r); },
      [&](call_request<which_children_req>&& r) { handle(r); },
      [&](call_request<count_children_req>&& r) { handle(r); },
      [&](call_request<terminate_pid_req>&& r) {
        answer(r.from, result<void>(supervisor_error::not_found()));
      });
}

} // namespace

std::optional<exit_reason> check_options(int max_restarts,
                                         std::chrono::seconds max_seconds) {
  if (max_restarts < 0)
    return exit_reason::user("{supervisor_data,{invalid_intensity,"
                             + std::to_string(max_restarts) + "}}");
  if (max_seconds.count() < 1)
    return exit_reason::user("{supervisor_data,{invalid_period,"
                             + std::to_string(max_seconds.count()) + "}}");
  return std::nullopt;
}

void run_static(starter& s, std::vector<child_spec>& specs,
                const supervisor::options& opts, bool linked) {
  otp::trap_exit(true);
  static_server srv(opts, linked ? s.parent() : otp::pid{});
  srv.init(s, specs);
  srv.loop();
}

} // namespace otp::detail::sup
