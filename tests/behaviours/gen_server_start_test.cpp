// GenServer start: init results, init exceptions, the start timeout, names
// and continue from init [sem:23, 24, 25, 26, 27].

#include "support.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

enum class init_mode { ok, ignore, stop, error, raise, bad };

struct ping {};

/// init does what `mode` says and tells `observer` it ran; terminate tells
/// `observer` too.
class starting : public otp::gen_server<starting> {
public:
  otp::init_result init(otp::pid observer, init_mode mode,
                        otp::exit_reason why) {
    observer_ = observer;
    otp::send(observer_, gst::hello{otp::self()});
    switch (mode) {
    case init_mode::ok:
      return ok();
    case init_mode::ignore:
      return ignore();
    case init_mode::stop:
      return stop(why);
    case init_mode::error:
      return error(why);
    case init_mode::raise:
      throw std::runtime_error("init failed");
    case init_mode::bad:
      break;
    }
    return {};
  }
  otp::call_result<otp::pid> handle_call(const ping&) {
    return reply(otp::self());
  }
  void terminate(const otp::exit_reason& r) {
    otp::send(observer_, gst::terminated{otp::self(), r});
  }

private:
  otp::pid observer_;
};

otp::start_result start_link_with(init_mode mode,
                                  otp::exit_reason why = otp::exit_reason()) {
  return starting::start_link(otp::self(), mode, std::move(why));
}

/// The reason of the next `exit_message`, from whatever process.
std::optional<otp::exit_reason> any_exit_reason() {
  return otp::receive(
      [](otp::exit_message&& m) { return std::optional(m.reason); },
      otp::after(5s, [] { return std::optional<otp::exit_reason>(); }));
}

const otp::exit_reason bad_config = otp::exit_reason::user("bad_config");

} // namespace

TEST_CASE("start_link returns ok with a linked pid once init returned ok",
          "[gen_server][sem:23]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = start_link_with(init_mode::ok);
    REQUIRE(r.ok());
    CHECK(gst::next<gst::hello>(0s)); // init ran before start returned
    auto s = otp::server<starting>::of(r);
    CHECK(otp::call(s, ping{}) == r.pid());
    auto me = otp::process_info(otp::self());
    REQUIRE(me);
    CHECK(std::find(me->links.begin(), me->links.end(), r.pid())
          != me->links.end());
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("init returning ignore makes start return ignore and the process "
          "exit normal without terminate",
          "[gen_server][sem:23]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    otp::trap_exit(true);
    auto r = start_link_with(init_mode::ignore);
    CHECK(r.ignored());
    CHECK_FALSE(r.pid());
    CHECK(any_exit_reason() == otp::exit_reason::normal());
    CHECK(gst::take_queued<gst::terminated>().empty());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("init returning stop makes start return the error and the process "
          "exit with the reason without terminate",
          "[gen_server][sem:23]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    otp::trap_exit(true);
    auto r = start_link_with(init_mode::stop, bad_config);
    REQUIRE(r.what() == otp::start_result::status::error);
    CHECK(r.error() == bad_config);
    // The linked trapping caller gets the EXIT; terminate never ran (its
    // message would have come before the EXIT).
    CHECK(any_exit_reason() == bad_config);
    CHECK(gst::take_queued<gst::terminated>().empty());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("init returning stop kills a linked caller that does not trap exits",
          "[gen_server][sem:23]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    const otp::pid test = otp::self();
    // The caller may or may not get to see start's error before the exit
    // signal reaches it (as in OTP); it dies with the reason either way.
    auto caller = otp::spawn_monitor([test] {
      start_link_with(init_mode::stop, bad_config);
      otp::receive([](gst::never) {});
    });
    CHECK(gst::down_reason(caller.monitor) == bad_config);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("an exception in init fails the start with the exception and skips "
          "terminate",
          "[gen_server][sem:23]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    otp::trap_exit(true);
    auto r = start_link_with(init_mode::raise);
    REQUIRE(r.what() == otp::start_result::status::error);
    CHECK(r.error().what_kind() == otp::exit_reason::kind::exception);
    CHECK(r.error().detail() == "init failed");
    CHECK(any_exit_reason() == r.error());
    CHECK(gst::take_queued<gst::terminated>().empty());
    // Logged like any abnormal exit (proc_lib's crash report).
    CHECK(gst::count_reports(logs, otp::log_level::error, "failed to start")
          == 1);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("init returning an empty result fails the start with "
          "bad_return_value",
          "[gen_server][sem:23][sem:37]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    otp::trap_exit(true);
    auto r = start_link_with(init_mode::bad);
    REQUIRE(r.what() == otp::start_result::status::error);
    CHECK(r.error().what_kind() == otp::exit_reason::kind::bad_return_value);
    CHECK(any_exit_reason() == r.error());
    CHECK(gst::take_queued<gst::terminated>().empty());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("init returning error fails the start but the process exits normal",
          "[gen_server][sem:24]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    SECTION("a trapping caller sees EXIT normal") {
      otp::trap_exit(true);
      auto r = start_link_with(init_mode::error, bad_config);
      REQUIRE(r.what() == otp::start_result::status::error);
      CHECK(r.error() == bad_config);
      CHECK(any_exit_reason() == otp::exit_reason::normal());
      CHECK(gst::take_queued<gst::terminated>().empty());
    }
    SECTION("a linked caller that does not trap exits survives") {
      const otp::pid test = otp::self();
      auto caller = otp::spawn_monitor([test] {
        auto r = starting::start_link(test, init_mode::error, bad_config);
        otp::send(test, r.error());
        otp::receive([](gst::finish) {});
      });
      auto child = gst::next<gst::hello>();
      REQUIRE(child);
      auto got = gst::next<otp::exit_reason>();
      REQUIRE(got);
      CHECK(*got == bad_config);
      // The child has ended (normal) before the caller is told to finish;
      // a reason other than normal would have killed the caller.
      auto m = otp::monitor(child->who);
      CHECK(gst::down_reason(m).has_value());
      otp::send(caller.pid, gst::finish{});
      CHECK(gst::down_reason(caller.monitor) == otp::exit_reason::normal());
    }
  });
  REQUIRE(otp_test::all_exited(rt));
  CHECK(gst::count_reports(logs, otp::log_level::error, "") == 0);
}

namespace {

/// init takes `d` (sleeping, or waiting for `go`), after telling `observer`
/// its pid.
class slow_init : public otp::gen_server<slow_init> {
public:
  otp::init_result init(otp::pid observer, std::chrono::milliseconds d) {
    otp::send(observer, gst::hello{otp::self()});
    otp::sleep(d);
    return ok();
  }
  otp::call_result<int> handle_call(const ping&) { return reply(1); }
};

} // namespace

TEST_CASE("start with a timeout shorter than init returns timeout and kills "
          "the half-started server",
          "[gen_server][sem:25]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r =
        slow_init::start_link(gst::start_timeout(20ms), otp::self(), 10000ms);
    REQUIRE(r.what() == otp::start_result::status::error);
    CHECK(r.error() == otp::exit_reason::timeout());
    auto child = gst::next<gst::hello>(0s);
    REQUIRE(child);
    CHECK_FALSE(otp::alive(child->who));
    CHECK_FALSE(otp::trapping_exits()); // and the kill did not reach us
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("start with a timeout longer than init succeeds",
          "[gen_server][sem:25]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r =
        slow_init::start_link(gst::start_timeout(5000ms), otp::self(), 1ms);
    REQUIRE(r.ok());
    CHECK(otp::call(otp::server<slow_init>::of(r), ping{}) == 1);
    otp::stop(otp::server<slow_init>::of(r));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a second server under a taken name fails with already_started "
          "naming the holder",
          "[gen_server][sem:26]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto first = starting::start(gst::named("gs_taken"), otp::self(),
                                 init_mode::ok, bad_config);
    REQUIRE(first.ok());
    REQUIRE(gst::next<gst::hello>());
    CHECK(otp::whereis("gs_taken") == first.pid());
    CHECK(otp::call(otp::server<starting>("gs_taken"), ping{}) == first.pid());

    auto second = starting::start(gst::named("gs_taken"), otp::self(),
                                  init_mode::ok, bad_config);
    REQUIRE(second.what() == otp::start_result::status::error);
    CHECK(second.error().what_kind()
          == otp::exit_reason::kind::already_started);
    CHECK(second.pid() == first.pid());
    CHECK(gst::take_queued<gst::hello>().empty()); // its init never ran
    CHECK(otp::whereis("gs_taken") == first.pid());
    otp::stop(otp::server<starting>("gs_taken"));
    CHECK_FALSE(otp::whereis("gs_taken"));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a failed init releases its name before start returns so an "
          "immediate retry succeeds",
          "[gen_server][sem:26]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    otp::trap_exit(true);
    const otp::server_options named = gst::named("gs_retry");
    for (int i = 0; i < 50; ++i) {
      const auto mode = i % 2 == 0 ? init_mode::stop : init_mode::raise;
      auto failed = starting::start_link(named, otp::self(), mode, bad_config);
      REQUIRE(failed.what() == otp::start_result::status::error);
      REQUIRE_FALSE(otp::whereis("gs_retry"));
      auto retry =
          starting::start_link(named, otp::self(), init_mode::ok, bad_config);
      REQUIRE(retry.ok());
      otp::stop(otp::server<starting>("gs_retry"));
    }
    gst::take_queued<otp::exit_message>();
  });
  REQUIRE(otp_test::all_exited(rt));
}

namespace {

struct note {
  std::string what;
};
struct step {
  std::string what;
  int more = 0;
};
struct get_log {};

/// Records what it handled, in order. init queues an info and a cast to
/// itself (and has another process send one) before asking to continue.
class continuing : public otp::gen_server<continuing> {
public:
  using info_types = otp::types<note>;

  otp::init_result init() {
    const otp::pid me = otp::self();
    otp::send(me, note{"info sent by init"});
    otp::cast(otp::server<continuing>(me), note{"cast sent by init"});
    otp::spawn([me] { otp::send(me, note{"info sent during init"}); });
    otp_test::eventually([] { return otp::message_queue_len() == 3; });
    return ok(continue_with(step{"continue", 1}));
  }
  otp::cast_result handle_continue(step& s) {
    log_.push_back(s.what + std::to_string(s.more));
    if (s.more > 0)
      return noreply(continue_with(step{"continue", s.more - 1}));
    return noreply();
  }
  otp::cast_result handle_info(const note& n) {
    log_.push_back(n.what);
    return noreply();
  }
  otp::cast_result handle_cast(const note& n) {
    log_.push_back(n.what);
    return noreply();
  }
  otp::call_result<std::vector<std::string>> handle_call(const get_log&) {
    return reply(log_);
  }

private:
  std::vector<std::string> log_;
};

} // namespace

TEST_CASE("continue from init runs before messages queued during init",
          "[gen_server][sem:27]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = otp::server<continuing>::of(continuing::start_link());
    REQUIRE(s.whereis());
    const std::vector<std::string> expected{
        "continue1", "continue0", "info sent by init", "cast sent by init",
        "info sent during init"};
    CHECK(otp::call(s, get_log{}) == expected);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}
