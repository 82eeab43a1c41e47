// GenServer and exit signals: the parent's exit, EXIT from other links,
// what terminate sees of the queue, stop/3 and crash reports [sem:38, 39,
// 40, 41].

#include "support.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct block {};
struct release {};
struct note {
  std::string what;
};
struct seen_list {
  std::vector<std::string> seen;
};
struct got_exit {
  otp::exit_reason reason;
};
struct die {
  otp::exit_reason reason;
};
struct get {};
struct crash {};
struct stop_with {
  otp::exit_reason reason;
};

/// Optionally traps exits; records the casts it handled and tells
/// `observer` about them, about EXITs and about terminate.
class busy : public otp::gen_server<busy> {
public:
  using info_types = otp::types<otp::exit_message>;

  otp::init_result init(otp::pid observer, bool trap, bool raise_in_terminate) {
    observer_ = observer;
    raise_ = raise_in_terminate;
    otp::trap_exit(trap);
    otp::send(observer_, gst::hello{otp::self()});
    return ok();
  }
  otp::cast_result handle_cast(const block&) {
    otp::send(observer_, gst::reached{"blocked"});
    otp::receive([](release) {});
    return noreply();
  }
  otp::cast_result handle_cast(const note& n) {
    seen_.push_back(n.what);
    return noreply();
  }
  otp::cast_result handle_cast(const stop_with& s) { return stop(s.reason); }
  otp::call_result<int> handle_call(const get&) {
    return reply(static_cast<int>(seen_.size()));
  }
  otp::call_result<int> handle_call(const crash&) {
    throw std::runtime_error("crashed in handle_call");
  }
  otp::cast_result handle_info(const otp::exit_message& m) {
    otp::send(observer_, got_exit{m.reason});
    return noreply();
  }
  void terminate(const otp::exit_reason& r) {
    otp::send(observer_, seen_list{seen_});
    otp::send(observer_, gst::terminated{otp::self(), r});
    if (raise_)
      throw std::runtime_error("terminate failed");
  }
  std::string format_status() const { return "busy-state"; }

private:
  otp::pid observer_;
  bool raise_ = false;
  std::vector<std::string> seen_;
};

/// A parent process: starts a `busy` server linked to itself (which says
/// hello to `observer`), then exits with the reason of the first `die`.
otp::pid spawn_parent(otp::pid observer, bool trap) {
  return otp::spawn([observer, trap] {
    busy::start_link(observer, trap, false); // says hello to observer
    otp::receive([](die d) { otp::exit(d.reason); });
  });
}

/// Start a `busy` server under a fresh parent; returns {parent, server}.
std::pair<otp::pid, otp::pid> start_under_parent(bool trap) {
  const otp::pid parent = spawn_parent(otp::self(), trap);
  auto h = gst::next<gst::hello>();
  REQUIRE(h);
  return {parent, h->who};
}

} // namespace

TEST_CASE("a server that does not trap exits dies with its parent's reason "
          "without terminate",
          "[gen_server][sem:38]") {
  const auto why = GENERATE(otp::exit_reason::shutdown(),
                            otp::exit_reason::user("parent_crashed"));
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto [parent, server] = start_under_parent(false);
    auto m = otp::monitor(server);
    otp::send(parent, die{why});
    CHECK(gst::down_reason(m) == why);
    // terminate's messages would have come before the DOWN.
    CHECK(gst::take_queued<gst::terminated>().empty());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a trapping server runs terminate with its parent's reason then "
          "exits with it",
          "[gen_server][sem:38]") {
  const auto why =
      GENERATE(otp::exit_reason::normal(), otp::exit_reason::shutdown(),
               otp::exit_reason::user("parent_crashed"));
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto [parent, server] = start_under_parent(true);
    auto m = otp::monitor(server);
    otp::send(parent, die{why});
    CHECK(gst::terminate_reason(server) == why);
    CHECK(gst::down_reason(m) == why);
    CHECK(gst::take_queued<got_exit>().empty()); // not a handle_info
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a trapping server gets EXIT from a link that is not its parent in "
          "handle_info and goes on",
          "[gen_server][sem:38]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto [parent, server] = start_under_parent(true);
    const auto why = otp::exit_reason::user("friend_died");
    auto other = otp::spawn_monitor([server, why] {
      otp::link(server);
      otp::exit(why);
    });
    REQUIRE(gst::down_reason(other.monitor) == why);
    auto got = gst::next<got_exit>();
    REQUIRE(got);
    CHECK(got->reason == why);
    CHECK(otp::call(otp::server<busy>(server), get{}) == 0);
    auto m = otp::monitor(server);
    otp::send(parent, die{otp::exit_reason::shutdown()});
    CHECK(gst::down_reason(m) == otp::exit_reason::shutdown());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a server started without a link has no parent so its starter's "
          "EXIT goes to handle_info",
          "[gen_server][sem:38]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const otp::pid test = otp::self();
    const auto why = otp::exit_reason::user("starter_died");
    auto starter = otp::spawn_monitor([test, why] {
      auto r = busy::start(test, true, false);
      otp::link(r.pid());
      otp::exit(why);
    });
    auto h = gst::next<gst::hello>();
    REQUIRE(h);
    REQUIRE(gst::down_reason(starter.monitor) == why);
    auto got = gst::next<got_exit>();
    REQUIRE(got);
    CHECK(got->reason == why);
    CHECK(otp::alive(h->who));
    CHECK(otp::sys::get_status(h->who).parent == h->who);
    otp::stop(h->who);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("terminate runs after the messages queued before the parent's exit "
          "signal and not those after it",
          "[gen_server][sem:39]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto [parent, server] = start_under_parent(true);
    const otp::server<busy> s(server);
    otp::cast(s, block{});
    REQUIRE(gst::wait_reached("blocked"));
    otp::cast(s, note{"before 1"});
    otp::cast(s, note{"before 2"});
    auto pm = otp::monitor(parent);
    otp::send(parent, die{otp::exit_reason::shutdown()});
    REQUIRE(gst::down_reason(pm));
    // Two casts and the EXIT are queued behind the blocked cast.
    REQUIRE(gst::eventually([&] {
      auto info = otp::process_info(server);
      return info && info->message_queue_len == 3;
    }));
    otp::cast(s, note{"after"});
    auto m = otp::monitor(server);
    otp::send(server, release{});
    auto seen = gst::next<seen_list>();
    REQUIRE(seen);
    CHECK(seen->seen == std::vector<std::string>{"before 1", "before 2"});
    CHECK(gst::terminate_reason(server) == otp::exit_reason::shutdown());
    CHECK(gst::down_reason(m) == otp::exit_reason::shutdown());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a kill before the queued messages are handled skips terminate",
          "[gen_server][sem:39]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto [parent, server] = start_under_parent(true);
    const otp::server<busy> s(server);
    otp::cast(s, block{});
    REQUIRE(gst::wait_reached("blocked"));
    otp::cast(s, note{"queued"});
    auto m = otp::monitor(server);
    otp::exit(server, otp::exit_reason::kill());
    CHECK(gst::down_reason(m) == otp::exit_reason::killed());
    CHECK(gst::take_queued<seen_list>().empty());
    CHECK(gst::take_queued<gst::terminated>().empty());
    otp::send(parent, die{otp::exit_reason::normal()});
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("stop runs terminate on a server that does not trap exits and "
          "returns once it has exited with the reason",
          "[gen_server][sem:40]") {
  const auto why =
      GENERATE(otp::exit_reason::normal(), otp::exit_reason::shutdown("bye"),
               otp::exit_reason::user("stopped"));
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = busy::start(otp::self(), false, false);
    REQUIRE(r.ok());
    const otp::pid p = r.pid();
    auto stopped = otp::try_stop(p, why);
    CHECK(stopped.ok());
    CHECK_FALSE(otp::alive(p));
    CHECK(gst::terminate_reason(p, 0s) == why);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("stop defaults to reason normal and to no timeout",
          "[gen_server][sem:40]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = busy::start(gst::named("gs_stop_me"), otp::self(), false, false);
    REQUIRE(r.ok());
    otp::stop(otp::server<busy>("gs_stop_me"));
    CHECK(gst::terminate_reason(r.pid(), 0s) == otp::exit_reason::normal());
    CHECK_FALSE(otp::whereis("gs_stop_me"));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("stopping a dead server fails with noproc", "[gen_server][sem:40]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = busy::start(otp::self(), false, false);
    REQUIRE(r.ok());
    otp::stop(r.pid());
    auto again = otp::try_stop(r.pid());
    REQUIRE_FALSE(again.ok());
    CHECK(gst::is_call_failure(again.error(), otp::exit_reason::noproc(),
                               "{GenServer,stop"));
    auto by_name = otp::try_stop(otp::server_ref("gs_nobody"));
    CHECK(gst::is_call_failure(by_name.error(), otp::exit_reason::noproc(),
                               "{GenServer,stop"));
    // stop (not try_stop) makes the caller exit.
    const otp::pid dead = r.pid();
    auto caller = otp::spawn_monitor([dead] { otp::stop(dead); });
    auto why = gst::down_reason(caller.monitor);
    REQUIRE(why);
    CHECK(gst::is_call_failure(*why, otp::exit_reason::noproc(),
                               "{GenServer,stop"));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("stop reports the other reason when terminate raises",
          "[gen_server][sem:40]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = busy::start(otp::self(), false, true);
    REQUIRE(r.ok());
    auto stopped = otp::try_stop(r.pid());
    REQUIRE_FALSE(stopped.ok());
    const otp::exit_reason& inner = stopped.error().inner();
    CHECK(inner.what_kind() == otp::exit_reason::kind::exception);
    CHECK(inner.detail() == "terminate failed");
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("stop times out on a busy server which still stops afterwards",
          "[gen_server][sem:40]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = busy::start(otp::self(), false, false);
    REQUIRE(r.ok());
    REQUIRE(gst::next<gst::hello>(0s));
    const otp::pid p = r.pid();
    otp::cast(otp::server<busy>(p), block{});
    REQUIRE(gst::wait_reached("blocked"));
    auto m = otp::monitor(p);
    auto stopped = otp::try_stop(p, otp::exit_reason::normal(), 20ms);
    REQUIRE_FALSE(stopped.ok());
    CHECK(gst::is_call_failure(stopped.error(), otp::exit_reason::timeout(),
                               "{GenServer,stop"));
    CHECK(otp::message_queue_len() == 0); // no stray DOWN of stop's monitor
    otp::send(p, release{});
    CHECK(gst::down_reason(m) == otp::exit_reason::normal());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("an abnormal exit logs one crash report with the last message the "
          "state and the client",
          "[gen_server][sem:41]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = busy::start(gst::named("gs_reporter"), otp::self(), false, false);
    REQUIRE(r.ok());
    auto failed = otp::try_call(otp::server<busy>(r.pid()), crash{});
    REQUIRE_FALSE(failed.ok());
    REQUIRE(logs.wait_for(otp::log_level::error, 1));
    auto reports = logs.events(otp::log_level::error);
    REQUIRE(gst::count_reports(logs, otp::log_level::error, "terminating")
            == 1);
    std::string text;
    for (const auto& e : reports)
      if (e.text.find("terminating") != std::string::npos) {
        text = e.text;
        CHECK(e.who == r.pid());
      }
    CHECK(text.find("gs_reporter") != std::string::npos);
    CHECK(text.find("crashed in handle_call") != std::string::npos);
    CHECK(text.find("Last message (from " + otp::self().to_string() + ")")
          != std::string::npos);
    CHECK(text.find("{call,") != std::string::npos);
    CHECK(text.find("State: busy-state") != std::string::npos);
    CHECK(text.find("Client " + otp::self().to_string() + " is alive")
          != std::string::npos);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("normal and shutdown exits log no crash report",
          "[gen_server][sem:41]") {
  const auto why =
      GENERATE(otp::exit_reason::normal(), otp::exit_reason::shutdown(),
               otp::exit_reason::shutdown("detail"));
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = busy::start(otp::self(), false, false);
    REQUIRE(r.ok());
    auto m = otp::monitor(r.pid());
    otp::cast(otp::server<busy>(r.pid()), stop_with{why});
    CHECK(gst::down_reason(m) == why);
    otp::stop(busy::start(otp::self(), false, false).pid(), why);
  });
  REQUIRE(otp_test::all_exited(rt));
  CHECK(logs.events(otp::log_level::error).empty());
}

TEST_CASE("with exception_traces a GenServer's crash report prints where "
          "the callback threw",
          "[gen_server][sem:41]") {
  otp::runtime rt{{.threads = 2, .exception_traces = true}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = busy::start(otp::self(), false, false);
    REQUIRE(r.ok());
    auto failed = otp::try_call(otp::server<busy>(r.pid()), crash{});
    REQUIRE_FALSE(failed.ok());
    REQUIRE(logs.wait_for(otp::log_level::error, 1));
    std::string text;
    for (const auto& e : logs.events(otp::log_level::error))
      if (e.text.find("terminating") != std::string::npos)
        text = e.text;
    INFO(text);
    // The frames follow the reason, before the last message.
    const auto at = text.find("\n    #0 ");
    REQUIRE(at != std::string::npos);
    CHECK(at < text.find("Last message"));
    CHECK(text.find("handle_call", at) != std::string::npos);
  });
  REQUIRE(otp_test::all_exited(rt));
}
