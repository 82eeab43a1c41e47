// Every special process answers the stop and sys protocol (docs/semantics.md
// items 91): GenServer, Agent, Supervisor, DynamicSupervisor and
// Task.Supervisor stop with a reason after their terminate logic, show their
// status and state, and can be suspended and resumed; a process that speaks
// nothing makes sys calls time out instead of hanging the caller.

#include "behaviours/agent.hpp"
#include "behaviours/gen_server.hpp"
#include "behaviours/sys.hpp"
#include "framework/otp.hpp"
#include "supervision/supervision.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"
#include "support/waits.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using otp_test::down_reason;
using otp_test::eventually;

namespace {

/// A process reached its end with `reason` (sent to the test's process).
struct ended {
  std::string who;
  otp::exit_reason reason;
};
/// Sent to a worker: exit with `reason`.
struct crash {
  otp::exit_reason reason;
};
struct never {};
struct ping {};

/// A trapping worker that reports the EXIT that ends it to `observer`.
otp::child_spec observed(std::string id, otp::pid observer,
                         std::shared_ptr<std::atomic<int>> starts = {}) {
  otp::child_spec spec;
  spec.id = id;
  spec.start = [id, observer, starts] {
    if (starts)
      starts->fetch_add(1);
    return otp::start_link({}, [id, observer](otp::starter& s) {
      otp::trap_exit(true);
      s.ack();
      otp::receive([](crash&& c) { otp::exit(c.reason); },
                   [&](otp::exit_message&& m) {
                     otp::send(observer, ended{id, m.reason});
                     otp::exit(m.reason);
                   });
    });
  };
  return spec;
}

/// A GenServer whose terminate tells its observer.
class probe : public otp::gen_server<probe> {
public:
  otp::init_result init(otp::pid observer) {
    observer_ = observer;
    return ok();
  }
  otp::call_result<int> handle_call(const ping&) { return reply(1); }
  void terminate(const otp::exit_reason& r) {
    otp::send(observer_, ended{"probe", r});
  }

private:
  otp::pid observer_;
};

enum class kind { gen_server, agent, supervisor, dynamic, task };

const char* kind_name(kind k) {
  switch (k) {
  case kind::gen_server:
    return "gen_server";
  case kind::agent:
    return "agent";
  case kind::supervisor:
    return "supervisor";
  case kind::dynamic:
    return "dynamic_supervisor";
  case kind::task:
    return "task_supervisor";
  }
  return "?";
}

/// The `ended` reports `k` gives when it is stopped, in order.
std::vector<std::string> expected_ends(kind k) {
  switch (k) {
  case kind::gen_server:
    return {"probe"};
  case kind::agent:
    return {};
  case kind::supervisor:
    return {"c", "b", "a"}; // reverse start order
  case kind::dynamic:
  case kind::task:
    return {"a", "b", "c"}; // all at once, any order (sorted here)
  }
  return {};
}

/// Start a special process of kind `k`, linked to the caller and
/// registered as `name`; supervisors get three observed children a, b, c.
otp::pid start_kind(kind k, const std::string& name) {
  const otp::pid me = otp::self();
  const std::vector<std::string> ids{"a", "b", "c"};
  switch (k) {
  case kind::gen_server: {
    otp::server_options o;
    o.name = name;
    return probe::start_link(o, me).pid();
  }
  case kind::agent: {
    otp::server_options o;
    o.name = name;
    return otp::agent<int>::start_link([] { return 7; }, o).pid();
  }
  case kind::supervisor: {
    std::vector<otp::child_spec> kids;
    for (const auto& id : ids)
      kids.push_back(observed(id, me));
    return otp::supervisor::start_link(kids, {.name = name}).pid();
  }
  case kind::dynamic: {
    const otp::pid sup =
        otp::dynamic_supervisor::start_link({.name = name}).pid();
    for (const auto& id : ids)
      REQUIRE(otp::dynamic_supervisor::start_child(sup, observed(id, me)).ok());
    return sup;
  }
  case kind::task: {
    const otp::pid sup = otp::task_supervisor::start_link({.name = name}).pid();
    for (const auto& id : ids)
      REQUIRE(otp::task_supervisor::start_child(sup, [id, me] {
                otp::trap_exit(true);
                otp::receive([&](otp::exit_message&& m) {
                  otp::send(me, ended{id, m.reason});
                  otp::exit(m.reason);
                });
              }).ok());
    return sup;
  }
  }
  return {};
}

/// The `ended` reports queued now, oldest first.
std::vector<ended> take_ended() {
  std::vector<ended> out;
  for (;;) {
    auto e = otp::receive(
        [](ended&& v) { return std::optional<ended>(std::move(v)); },
        otp::after(0ms, [] { return std::optional<ended>(); }));
    if (!e)
      return out;
    out.push_back(std::move(*e));
  }
}

/// What `fn` exits with (the reason's text), or "no exit".
template <class F>
std::string exit_of(F&& fn) {
  try {
    fn();
  } catch (const otp::exit_error& e) {
    return e.reason().to_string();
  }
  return "no exit";
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

} // namespace

TEST_CASE("otp::stop ends every special process with the reason after its "
          "terminate logic and returns once it has ended",
          "[faults][sys][sem:91][sem:40]") {
  const kind k = GENERATE(kind::gen_server, kind::agent, kind::supervisor,
                          kind::dynamic, kind::task);
  const otp::exit_reason why =
      GENERATE(otp::exit_reason::normal(), otp::exit_reason::user("custom"));
  INFO(kind_name(k) << " stopped with " << why);
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    otp::trap_exit(true); // a linked process that ends `custom` would kill us
    const otp::pid p = start_kind(k, "stop_me");
    REQUIRE(p);
    const otp::ref m = otp::monitor(p);
    const otp::result<void> r = otp::try_stop(p, why);
    CHECK(r.ok());
    CHECK_FALSE(otp::alive(p));
    CHECK_FALSE(otp::whereis("stop_me"));
    CHECK(down_reason(m) == why);
    std::vector<std::string> order;
    for (const ended& e : take_ended()) {
      order.push_back(e.who);
      // A supervisor shuts its children down; a GenServer's terminate
      // gets the stop's reason.
      CHECK(e.reason
            == (k == kind::gen_server ? why : otp::exit_reason::shutdown()));
    }
    if (k == kind::dynamic || k == kind::task)
      std::sort(order.begin(), order.end());
    CHECK(order == expected_ends(k));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("supervisor::stop throws where try_stop returns, and both give "
          "noproc for a process that is gone",
          "[faults][sys][sem:91]") {
  const kind k = GENERATE(kind::gen_server, kind::agent, kind::supervisor,
                          kind::dynamic, kind::task);
  INFO(kind_name(k));
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const otp::pid p = start_kind(k, "gone");
    otp::supervisor::stop(p); // works on any special process
    take_ended();
    const otp::result<void> again = otp::supervisor::try_stop(p);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().inner() == otp::exit_reason::noproc());
    CHECK(starts_with(again.error().where(), "{supervisor,stop,["));
    const std::string thrown = exit_of([&] { otp::supervisor::stop(p); });
    CHECK(starts_with(thrown, "{noproc,{supervisor,stop,["));
    const otp::result<void> generic = otp::try_stop(otp::server_ref("gone"));
    CHECK(generic.error().inner() == otp::exit_reason::noproc());
    CHECK(starts_with(exit_of([&] { otp::stop(p); }),
                      "{noproc,{GenServer,stop,["));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("get_status describes every special process and suspend and "
          "resume show in it",
          "[faults][sys][sem:91][sem:43]") {
  const kind k = GENERATE(kind::gen_server, kind::agent, kind::supervisor,
                          kind::dynamic, kind::task);
  INFO(kind_name(k));
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const otp::pid p = start_kind(k, "status_of");
    otp::sys::status_info st = otp::sys::get_status("status_of");
    CHECK(st.pid == p);
    CHECK(st.name == "status_of");
    CHECK(st.parent == otp::self());
    CHECK(st.status == "running");
    CHECK_FALSE(st.state.empty());
    if (k == kind::gen_server)
      CHECK(st.server_type.find("probe") != std::string::npos);
    else if (k == kind::agent)
      CHECK(st.server_type.find("agent_server") != std::string::npos);
    else
      CHECK(st.server_type == kind_name(k));
    if (k == kind::supervisor)
      CHECK(st.state.find("{a,<") != std::string::npos);
    otp::sys::suspend(p);
    CHECK(otp::sys::get_status(p).status == "suspended");
    otp::sys::resume(p);
    CHECK(otp::sys::get_status(p).status == "running");
    otp::stop(p);
    take_ended();
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a suspended supervisor does not restart a crashed child until it "
          "is resumed, then does",
          "[faults][sys][sem:91][sem:43]") {
  const bool dynamic = GENERATE(false, true);
  INFO((dynamic ? "dynamic_supervisor" : "supervisor"));
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    otp::trap_exit(true); // it is linked to us and ends {shutdown,done}
    auto starts = std::make_shared<std::atomic<int>>(0);
    const otp::child_spec spec = observed("w", otp::self(), starts);
    otp::pid sup;
    if (dynamic) {
      sup = otp::dynamic_supervisor::start_link().pid();
      REQUIRE(otp::dynamic_supervisor::start_child(sup, spec).ok());
    } else {
      sup = otp::supervisor::start_link({spec}).pid();
    }
    REQUIRE(sup);
    const auto child_pid = [&] {
      const otp::supervisor_state st = otp::supervisor::get_state(sup);
      REQUIRE(st.children.size() == 1);
      return st.children.front().pid;
    };
    const otp::pid old = child_pid();
    REQUIRE(old);

    otp::sys::suspend(sup);
    const otp::ref m = otp::monitor(old);
    otp::send(old, crash{otp::exit_reason::user("boom")});
    REQUIRE(down_reason(m) == otp::exit_reason::user("boom"));
    // Its EXIT waits in the supervisor's queue; requests wait too, but
    // system messages are answered.
    CHECK(child_pid() == old);
    CHECK(starts->load() == 1);
    auto waiting = otp::supervisor::which_children(sup, 50ms);
    REQUIRE_FALSE(waiting.ok());
    CHECK(waiting.error().inner() == otp::exit_reason::timeout());
    CHECK(otp::sys::get_status(sup).status == "suspended");
    CHECK(otp::process_info(sup)->message_queue_len >= 2);

    otp::sys::resume(sup);
    REQUIRE(eventually([&] {
      const otp::pid now = child_pid();
      return now && now != old && otp::alive(now);
    }));
    CHECK(starts->load() == 2);
    CHECK(logs.wait_for(otp::log_level::error, 1)); // child_terminated

    // A suspended supervisor still stops (a system message) and shuts its
    // child down.
    otp::sys::suspend(sup);
    otp::supervisor::stop(sup, otp::exit_reason::shutdown("done"));
    CHECK_FALSE(otp::alive(sup));
    const std::vector<ended> ends = take_ended();
    REQUIRE(ends.size() == 1);
    CHECK(ends.front().reason == otp::exit_reason::shutdown());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a suspended supervisor still ends with its parent",
          "[faults][sys][sem:76]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const otp::pid me = otp::self();
    const otp::pid parent = otp::spawn([me] {
      const otp::pid sup =
          otp::supervisor::start_link({observed("a", me)}).pid();
      otp::send(me, sup);
      otp::receive([](crash&& c) { otp::exit(c.reason); });
    });
    const otp::pid sup = otp::receive([](otp::pid p) { return p; });
    const otp::ref m = otp::monitor(sup);
    otp::sys::suspend(sup);
    otp::send(parent, crash{otp::exit_reason::shutdown("bye")});
    CHECK(down_reason(m) == otp::exit_reason::shutdown("bye"));
    const std::vector<ended> ends = take_ended();
    REQUIRE(ends.size() == 1);
    CHECK(ends.front().reason == otp::exit_reason::shutdown());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("get_state of a supervisor is its typed flags and children and "
          "its state cannot be replaced",
          "[faults][sys][sem:91]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    otp::child_spec b = observed("b", otp::self());
    b.restart = otp::restart_type::transient;
    b.shutdown = otp::child_shutdown::brutal_kill();
    const otp::pid sup =
        otp::supervisor::start_link({observed("a", otp::self()), b},
                                    {.strategy = otp::strategy::rest_for_one,
                                     .max_restarts = 7,
                                     .max_seconds = std::chrono::seconds(9),
                                     .name = "state_sup"})
            .pid();
    const otp::supervisor_state st = otp::supervisor::get_state("state_sup");
    CHECK(st.kind == "supervisor");
    CHECK(st.strategy == otp::strategy::rest_for_one);
    CHECK(st.max_restarts == 7);
    CHECK(st.max_seconds == std::chrono::seconds(9));
    CHECK(st.restarts == 0);
    REQUIRE(st.children.size() == 2);
    CHECK(st.children[0].id == "a");
    CHECK(st.children[0].status == otp::child_status::running);
    CHECK(otp::alive(st.children[0].pid));
    CHECK(st.children[0].shutdown == otp::child_shutdown::timeout(5000ms));
    CHECK(st.children[1].id == "b");
    CHECK(st.children[1].restart == otp::restart_type::transient);
    CHECK(st.children[1].shutdown == otp::child_shutdown::brutal_kill());
    // The generic typed form sees the same.
    CHECK(otp::sys::get_state<otp::supervisor_state>(otp::server_ref(sup))
          == st);

    const std::string replaced = exit_of([&] {
      otp::sys::replace_state<otp::supervisor_state>(
          otp::server_ref(sup),
          [](otp::supervisor_state& s) { s.max_restarts = 0; });
    });
    CHECK(replaced
          == "{callback_failed,{supervisor,system_replace_state},{error,"
             "state_not_replaceable}}");
    const std::string wrong =
        exit_of([&] { otp::sys::get_state<int>(otp::server_ref(sup)); });
    CHECK(wrong
          == "{bad_state_type,{expected,int},{got,otp::supervisor_"
             "state}}");
    CHECK(otp::supervisor::get_state(sup).max_restarts == 7);

    const otp::pid server = start_kind(kind::gen_server, "not_a_sup");
    CHECK(starts_with(exit_of([&] { otp::supervisor::get_state(server); }),
                      "{bad_state_type,{expected,otp::supervisor_state}"));
    otp::stop(server);

    const otp::pid dyn =
        otp::dynamic_supervisor::start_link({.max_children = 4}).pid();
    REQUIRE(
        otp::dynamic_supervisor::start_child(dyn, observed("x", otp::self()))
            .ok());
    const otp::supervisor_state ds = otp::supervisor::get_state(dyn);
    CHECK(ds.kind == "dynamic_supervisor");
    CHECK(ds.max_children == 4);
    REQUIRE(ds.children.size() == 1);
    CHECK(ds.children[0].id.empty());
    CHECK(otp::supervisor::get_state(start_kind(kind::task, "ts")).kind
          == "task_supervisor");
    otp::stop("ts");
    otp::stop(dyn);
    otp::stop(sup);
    take_ended();
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("sys statistics of a supervisor count its requests and replies",
          "[faults][sys][sem:89]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const otp::pid sup = start_kind(kind::supervisor, "counted_sup");
    const otp::sys::statistics_info before = otp::sys::statistics(sup);
    REQUIRE(otp::supervisor::which_children(sup).ok());
    REQUIRE(otp::supervisor::count_children(sup).ok());
    const otp::sys::statistics_info after = otp::sys::statistics(sup);
    CHECK(after.messages_in == before.messages_in + 2);
    CHECK(after.messages_out == before.messages_out + 2);
    CHECK(after.uptime >= before.uptime);
    otp::stop(sup);
    take_ended();
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("sys get_state and replace_state of an agent work on its State",
          "[faults][sys][sem:91][sem:51]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto a = otp::agent<std::vector<int>>(
        otp::agent<std::vector<int>>::start_link([] {
          return std::vector<int>{1, 2};
        }).pid());
    CHECK(otp::sys::get_state(a) == std::vector<int>{1, 2});
    otp::sys::replace_state(a, [](std::vector<int>& v) { v.push_back(3); });
    CHECK(a.get([](const std::vector<int>& v) { return v.size(); }) == 3);
    otp::sys::suspend(a.ref());
    CHECK(starts_with(exit_of([&] {
                        a.get([](const std::vector<int>& v) { return v[0]; },
                              30ms);
                      }),
                      "{timeout,{GenServer,call,"));
    otp::sys::resume(a.ref());
    a.stop();
    CHECK_FALSE(otp::alive(a.whereis()));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("sys calls and stop on a process that speaks nothing time out "
          "cleanly and leave their requests queued",
          "[faults][sys]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const otp::pid p = otp::spawn([] { otp::receive([](never) {}); });
    const std::string status = exit_of([&] { otp::sys::get_status(p, 50ms); });
    CHECK(status == "{timeout,{sys,get_status,[" + p.to_string() + ",50]}}");
    const std::string suspended = exit_of([&] { otp::sys::suspend(p, 20ms); });
    CHECK(starts_with(suspended, "{timeout,{sys,suspend,["));
    const otp::result<void> stopped =
        otp::try_stop(p, otp::exit_reason::normal(), 30ms);
    REQUIRE_FALSE(stopped.ok());
    CHECK(stopped.error().inner() == otp::exit_reason::timeout());
    CHECK(starts_with(stopped.error().where(), "{GenServer,stop,["));
    CHECK(otp::alive(p));
    CHECK(otp::message_queue_len() == 0); // no stray DOWN or reply
    CHECK(otp::process_info(p)->message_queue_len == 3); // as in OTP
    CHECK(starts_with(exit_of([] { otp::sys::get_status(otp::self()); }),
                      "{calling_self,{sys,get_status,["));
    otp::exit(p, otp::exit_reason::kill());
  });
  REQUIRE(otp_test::all_exited(rt));
}
