// GenServer calls and casts: reply then continue, idle timeouts, call
// failures (noproc, timeout, server death, stop, calling self), deferred
// replies, casts to nobody and bad returns [sem:28, 29, 30, 31, 32, 33, 34,
// 35, 36, 37].

#include "support.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct get {};
struct add {
  int n;
};
struct slow_get {
  std::chrono::milliseconds d;
};
struct later {};
struct answer_later {
  int v;
};
struct pending {};
struct hand_off {};
struct block_forever {};
struct crash_call {};
struct stop_with_reply {
  otp::exit_reason r;
  int v;
};
struct stop_no_reply {
  otp::exit_reason r;
};
struct bad_call {};
struct call_self {};
struct reply_then_continue {};
struct wait_release {};
struct release {};
struct was_continued {};

/// A counter with one request per call behaviour under test; `observer`
/// hears of terminate and of a call that blocks forever.
class kv : public otp::gen_server<kv> {
public:
  otp::init_result init(otp::pid observer) {
    observer_ = observer;
    return ok();
  }
  otp::call_result<int> handle_call(const get&) { return reply(n_); }
  otp::call_result<int> handle_call(const slow_get& s) {
    otp::sleep(s.d);
    return reply(n_);
  }
  otp::call_result<int> handle_call(const later&, const otp::from& f) {
    waiting_.push_back(f);
    return noreply();
  }
  otp::call_result<std::size_t> handle_call(const pending&) {
    return reply(waiting_.size());
  }
  otp::call_result<int> handle_call(const hand_off&, const otp::from& f) {
    otp::spawn([f] { otp::reply(f, 7); });
    return noreply();
  }
  otp::call_result<int> handle_call(const block_forever&) {
    otp::send(observer_, gst::hello{otp::self()});
    otp::receive([](gst::never) {});
    return reply(0);
  }
  otp::call_result<int> handle_call(const crash_call&) {
    throw std::runtime_error("handle_call failed");
  }
  otp::call_result<int> handle_call(const stop_with_reply& s) {
    return stop(s.r, s.v);
  }
  otp::call_result<int> handle_call(const stop_no_reply& s) {
    return stop(s.r);
  }
  otp::call_result<int> handle_call(const bad_call&) { return {}; }
  otp::call_result<bool> handle_call(const call_self&) {
    auto r = otp::try_call(otp::server<kv>(otp::self()), get{});
    return reply(!r.ok()
                 && r.error().inner() == otp::exit_reason::calling_self());
  }
  otp::call_result<int> handle_call(const reply_then_continue&) {
    return reply(1, continue_with(wait_release{}));
  }
  otp::cast_result handle_continue(const wait_release&) {
    otp::receive([](release) {});
    continued_ = true;
    return noreply();
  }
  otp::call_result<bool> handle_call(const was_continued&) {
    return reply(continued_);
  }
  otp::cast_result handle_cast(const add& a) {
    n_ += a.n;
    return noreply();
  }
  otp::cast_result handle_cast(const answer_later& a) {
    for (const auto& f : waiting_)
      reply(f, a.v);
    waiting_.clear();
    return noreply();
  }
  void terminate(const otp::exit_reason& r) {
    otp::send(observer_, gst::terminated{otp::self(), r});
  }

private:
  otp::pid observer_;
  int n_ = 0;
  bool continued_ = false;
  std::vector<otp::from> waiting_;
};

otp::server<kv> start_kv(otp::pid observer = otp::self()) {
  auto r = kv::start(observer);
  REQUIRE(r.ok());
  return otp::server<kv>::of(r);
}

/// A pid that has ended.
otp::pid dead_pid() {
  auto s = otp::spawn_monitor([] {});
  REQUIRE(gst::down_reason(s.monitor));
  return s.pid;
}

} // namespace

TEST_CASE("reply with continue sends the reply before handle_continue runs",
          "[gen_server][sem:28]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_kv();
    // The reply arrives while handle_continue is still waiting for release.
    CHECK(otp::call(s, reply_then_continue{}) == 1);
    CHECK(gst::eventually(
        [&] { return gst::status_of(s.whereis()) == "waiting"; }));
    otp::send(s.whereis(), release{});
    CHECK(otp::call(s, was_continued{}));
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

namespace {

struct arm {
  std::chrono::milliseconds d;
  bool queue_first = false;
};
struct poke {};
struct count_timeouts {};

/// Arms idle timeouts on request and counts how many fired.
class idle : public otp::gen_server<idle> {
public:
  using info_types = otp::types<otp::server_timeout, poke>;

  otp::init_result init(otp::pid observer) {
    observer_ = observer;
    return ok();
  }
  otp::cast_result handle_cast(const arm& a) {
    if (a.queue_first)
      otp::send(otp::self(), poke{});
    return noreply(timeout(a.d));
  }
  otp::call_result<int> handle_call(const arm& a) {
    return reply(0, timeout(a.d));
  }
  otp::call_result<int> handle_call(const count_timeouts&) {
    return reply(timeouts_);
  }
  otp::cast_result handle_info(const otp::server_timeout&) {
    ++timeouts_;
    otp::send(observer_, gst::reached{"timeout"});
    return noreply();
  }
  otp::cast_result handle_info(const poke&) { return noreply(); }

private:
  otp::pid observer_;
  int timeouts_ = 0;
};

} // namespace

TEST_CASE("an idle timeout that expires calls handle_info with server_timeout "
          "once",
          "[gen_server][sem:29]") {
  const auto d = GENERATE(0ms, 20ms);
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = otp::server<idle>::of(idle::start(otp::self()));
    otp::cast(s, arm{d});
    REQUIRE(gst::wait_reached("timeout"));
    CHECK(otp::call(s, count_timeouts{}) == 1);
    // Not re-armed unless returned again.
    otp::yield();
    CHECK(otp::call(s, count_timeouts{}) == 1);
    // A call's reply may arm one too.
    CHECK(otp::call(s, arm{0ms}) == 0);
    REQUIRE(gst::wait_reached("timeout"));
    CHECK(otp::call(s, count_timeouts{}) == 2);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a message already queued suppresses even a zero timeout",
          "[gen_server][sem:29]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = otp::server<idle>::of(idle::start(otp::self()));
    for (int i = 0; i < 100; ++i)
      otp::cast(s, arm{0ms, true});
    CHECK(otp::call(s, count_timeouts{}) == 0);
    CHECK(gst::take_queued<gst::reached>().empty());
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a message arriving before the timeout cancels it",
          "[gen_server][sem:29][timing]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = otp::server<idle>::of(idle::start(otp::self()));
    otp::cast(s, arm{100ms});
    CHECK(otp::call(s, count_timeouts{}) == 0); // the call cancels it
    CHECK_FALSE(gst::wait_reached("timeout", 300ms));
    CHECK(otp::call(s, count_timeouts{}) == 0);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("call to a dead pid or an unregistered name fails with noproc",
          "[gen_server][sem:30]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const otp::pid dead = dead_pid();
    auto by_pid = otp::try_call(otp::server<kv>(dead), get{});
    REQUIRE_FALSE(by_pid.ok());
    CHECK(gst::is_call_failure(by_pid.error(), otp::exit_reason::noproc()));
    CHECK(by_pid.error().where().find(",5000]}") != std::string::npos);

    auto by_name = otp::try_call(otp::server<kv>("gs_nobody"), get{}, 10ms);
    REQUIRE_FALSE(by_name.ok());
    CHECK(gst::is_call_failure(by_name.error(), otp::exit_reason::noproc()));
    CHECK(by_name.error().where().find("gs_nobody") != std::string::npos);

    // call (not try_call) makes the caller exit with that reason.
    auto caller = otp::spawn_monitor([dead] {
      otp::call(otp::server<kv>(dead), get{});
      otp::send(dead, get{}); // not reached
    });
    auto why = gst::down_reason(caller.monitor);
    REQUIRE(why);
    CHECK(gst::is_call_failure(*why, otp::exit_reason::noproc()));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a call timeout fails the call but the server goes on and the late "
          "reply never arrives",
          "[gen_server][sem:31]") {
  static_assert(otp::default_call_timeout == 5000ms);
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_kv();
    otp::cast(s, add{3});
    auto r = otp::try_call(s, slow_get{100ms}, 10ms);
    REQUIRE_FALSE(r.ok());
    CHECK(gst::is_call_failure(r.error(), otp::exit_reason::timeout()));
    CHECK(r.error().where().find(",10]}") != std::string::npos);
    // The server answers the next call after the late reply was sent.
    CHECK(otp::call(s, get{}) == 3);
    CHECK(otp::message_queue_len() == 0);

    auto caller =
        otp::spawn_monitor([s] { otp::call(s, slow_get{100ms}, 10ms); });
    auto why = gst::down_reason(caller.monitor);
    REQUIRE(why);
    CHECK(gst::is_call_failure(*why, otp::exit_reason::timeout()));
    CHECK(otp::call(s, get{}) == 3);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a server killed during a call fails the call with killed",
          "[gen_server][sem:32]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const otp::pid killer = otp::spawn([] {
      otp::receive(
          [](gst::hello h) { otp::exit(h.who, otp::exit_reason::kill()); });
    });
    auto s = start_kv(killer);
    auto r = otp::try_call(s, block_forever{});
    REQUIRE_FALSE(r.ok());
    CHECK(gst::is_call_failure(r.error(), otp::exit_reason::killed()));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a crash in handle_call fails the call with the crash reason",
          "[gen_server][sem:32]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_kv();
    auto m = otp::monitor(s.whereis());
    auto r = otp::try_call(s, crash_call{});
    REQUIRE_FALSE(r.ok());
    const otp::exit_reason& inner = r.error().inner();
    CHECK(inner.what_kind() == otp::exit_reason::kind::exception);
    CHECK(inner.detail() == "handle_call failed");
    CHECK(gst::terminate_reason(s.whereis(), 0s) == inner);
    CHECK(gst::down_reason(m) == inner);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("stop with a reply runs terminate then replies then exits",
          "[gen_server][sem:33]") {
  const auto why =
      GENERATE(otp::exit_reason::normal(), otp::exit_reason::user("done"));
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_kv();
    const otp::pid p = s.whereis();
    auto m = otp::monitor(p);
    CHECK(otp::call(s, stop_with_reply{why, 5}) == 5);
    // terminate's message was sent before the reply, so it is here already.
    CHECK(gst::terminate_reason(p, 0s) == why);
    CHECK(gst::down_reason(m) == why);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("stop without a reply fails the call with the stop reason",
          "[gen_server][sem:33]") {
  const auto why =
      GENERATE(otp::exit_reason::normal(), otp::exit_reason::shutdown("bye"),
               otp::exit_reason::user("done"));
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_kv();
    const otp::pid p = s.whereis();
    auto m = otp::monitor(p);
    auto r = otp::try_call(s, stop_no_reply{why});
    REQUIRE_FALSE(r.ok());
    CHECK(gst::is_call_failure(r.error(), why));
    CHECK(gst::terminate_reason(p, 0s) == why);
    CHECK(gst::down_reason(m) == why);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("call to self fails with calling_self instead of deadlocking",
          "[gen_server][sem:34]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = otp::try_call(otp::server<kv>(otp::self()), get{});
    REQUIRE_FALSE(r.ok());
    CHECK(gst::is_call_failure(r.error(), otp::exit_reason::calling_self()));
    // From inside a callback too.
    auto s = start_kv();
    CHECK(otp::call(s, call_self{}));
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("noreply leaves the caller waiting until reply comes from any "
          "process",
          "[gen_server][sem:35]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_kv();
    const otp::pid test = otp::self();
    otp::spawn([s, test] { otp::send(test, otp::call(s, later{})); });
    otp::spawn([s, test] { otp::send(test, otp::call(s, later{})); });
    REQUIRE(gst::eventually([&] { return otp::call(s, pending{}) == 2; }));
    CHECK(otp::message_queue_len() == 0); // both callers still blocked
    otp::cast(s, answer_later{42});
    CHECK(gst::next<int>() == 42);
    CHECK(gst::next<int>() == 42);
    // The reply may come from a third process.
    CHECK(otp::call(s, hand_off{}) == 7);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a call that is never answered ends in a timeout and a reply after "
          "that is dropped",
          "[gen_server][sem:35][sem:31][sem:45]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_kv();
    auto r = otp::try_call(s, later{}, 20ms);
    REQUIRE_FALSE(r.ok());
    CHECK(gst::is_call_failure(r.error(), otp::exit_reason::timeout()));
    otp::cast(s, answer_later{1}); // replies to the abandoned call
    CHECK(otp::call(s, pending{}) == 0u);
    CHECK(otp::message_queue_len() == 0);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("cast returns at once even to a dead pid or an unknown name",
          "[gen_server][sem:36]") {
  static_assert(std::is_void_v<decltype(otp::cast(
                    std::declval<const otp::server<kv>&>(), add{1}))>);
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    otp::cast(otp::server<kv>(dead_pid()), add{1});
    otp::cast(otp::server<kv>("gs_nobody"), add{1});
    otp::cast(otp::server<kv>(), add{1});
    CHECK(otp::message_queue_len() == 0);
    auto s = start_kv();
    otp::cast(s, add{2});
    CHECK(otp::call(s, get{}) == 2);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("an empty result from handle_call stops the server with "
          "bad_return_value and terminate sees it",
          "[gen_server][sem:37]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_kv();
    const otp::pid p = s.whereis();
    auto m = otp::monitor(p);
    auto r = otp::try_call(s, bad_call{});
    REQUIRE_FALSE(r.ok());
    const otp::exit_reason inner = r.error().inner();
    CHECK(inner.what_kind() == otp::exit_reason::kind::bad_return_value);
    CHECK(gst::terminate_reason(p, 0s) == inner);
    CHECK(gst::down_reason(m) == inner);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("the result types rule out the other bad returns at compile time",
          "[gen_server][sem:37]") {
  // A cast, info or continue callback cannot reply.
  static_assert(!std::is_convertible_v<otp::reply_t<int>, otp::cast_result>);
  static_assert(
      !std::is_convertible_v<otp::stop_reply_t<int>, otp::cast_result>);
  // init cannot reply nor noreply.
  static_assert(!std::is_convertible_v<otp::reply_t<int>, otp::init_result>);
  static_assert(!std::is_convertible_v<otp::noreply_t, otp::init_result>);
  // A reply must convert to the call's reply type.
  static_assert(
      !std::is_convertible_v<otp::reply_t<std::string>, otp::call_result<int>>);
  static_assert(
      std::is_convertible_v<otp::reply_t<int>, otp::call_result<long>>);
  // A call's reply type is the one handle_call declares.
  static_assert(std::is_same_v<otp::call_reply_t<kv, pending>, std::size_t>);
  static_assert(
      std::is_same_v<
          decltype(otp::call(std::declval<otp::server<kv>&>(), get{})), int>);
  SUCCEED();
}
