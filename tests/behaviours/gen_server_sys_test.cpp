// GenServer introspection and defaults: missing callbacks, the sys module,
// hibernation when idle, code_change and format_status [sem:42, 43, 44, 46].

#include "support.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace {

struct get {};
struct add {
  int n;
};
struct unknown_request {};
struct hibernate_now {};

/// A copyable counter without handle_info.
class counter : public otp::gen_server<counter> {
public:
  otp::init_result init(int start) {
    n = start;
    return ok();
  }
  otp::call_result<int> handle_call(const get&) { return reply(n); }
  otp::call_result<int> handle_call(const hibernate_now&) {
    return reply(n, hibernate());
  }
  otp::cast_result handle_cast(const add& a) {
    n += a.n;
    return noreply();
  }
  otp::result<void> code_change(const std::string& extra) {
    const int before = n;
    n = -1; // a half-done change that must not survive a failure
    if (extra == "fail")
      return otp::exit_reason::user("cannot_upgrade");
    if (extra == "throw")
      throw std::runtime_error("upgrade crashed");
    n = before * 10;
    return {};
  }

  int n = 0;
  otp::pid runner;
};

template <class S, class Req>
concept can_call = requires(const otp::server<S>& s, Req r) {
  otp::call(s, r);
};
template <class S, class Req>
concept can_try_call = requires(const otp::server<S>& s, Req r) {
  otp::try_call(s, r);
};
template <class S, class M>
concept can_cast = requires(const otp::server<S>& s, M m) {
  otp::cast(s, m);
};

otp::server<counter> start_counter(int n = 0, otp::server_options o = {}) {
  auto r = counter::start(o, n);
  REQUIRE(r.ok());
  return otp::server<counter>::of(r);
}

} // namespace

TEST_CASE("a call or cast without a matching handler does not compile",
          "[gen_server][sem:42]") {
  // Elixir raises "attempted to call GenServer ... but no handle_call/3
  // clause was provided"; here the call cannot be written.
  static_assert(otp::handles_call<counter, get>);
  static_assert(!otp::handles_call<counter, unknown_request>);
  static_assert(can_call<counter, get>);
  static_assert(!can_call<counter, unknown_request>);
  static_assert(!can_try_call<counter, unknown_request>);
  static_assert(otp::handles_cast<counter, add>);
  static_assert(!otp::handles_cast<counter, get>);
  static_assert(can_cast<counter, add>);
  static_assert(!can_cast<counter, unknown_request>);
  SUCCEED();
}

TEST_CASE("an unexpected message without a handle_info is logged and dropped "
          "and the server goes on",
          "[gen_server][sem:42]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_counter(1);
    otp::send(s.whereis(), std::string("stray"));
    otp::send(s.whereis(), 42);
    CHECK(otp::call(s, get{}) == 1);
    CHECK(otp::process_info(s.whereis())->message_queue_len == 0);
    CHECK(
        gst::count_reports(logs, otp::log_level::warning, "unexpected message")
        == 2);
    CHECK(gst::count_reports(logs, otp::log_level::warning, "stray") == 1);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
  CHECK(logs.events(otp::log_level::error).empty());
}

TEST_CASE("sys get_state and replace_state run inside the server",
          "[gen_server][sem:43]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_counter(5);
    CHECK(otp::sys::get_state(s).n == 5);
    CHECK(otp::sys::get_state(s, [](const counter& c) { return c.n * 2; })
          == 10);
    otp::sys::replace_state(s, [](counter& c) {
      c.n = 7;
      c.runner = otp::self();
    });
    const counter now = otp::sys::get_state(s);
    CHECK(now.n == 7);
    CHECK(now.runner == s.whereis());
    CHECK(otp::call(s, get{}) == 7);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a suspended server handles only system messages until resumed",
          "[gen_server][sem:43]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_counter(0);
    otp::sys::suspend(s.ref());
    CHECK(otp::sys::get_status(s.ref()).status == "suspended");
    otp::cast(s, add{1});
    auto r = otp::try_call(s, get{}, 30ms);
    REQUIRE_FALSE(r.ok());
    CHECK(gst::is_call_failure(r.error(), otp::exit_reason::timeout()));
    CHECK(otp::sys::get_state(s).n == 0); // the cast waits
    otp::sys::resume(s.ref());
    CHECK(otp::sys::get_status(s.ref()).status == "running");
    CHECK(otp::call(s, get{}) == 1);
    CHECK(otp::message_queue_len() == 0);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("sys statistics counts the server's messages in and out and "
          "callbacks but not system messages",
          "[gen_server][sem:43][sem:89]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_counter(0);
    for (int i = 0; i < 3; ++i)
      otp::call(s, get{});
    otp::cast(s, add{1});
    otp::send(s.whereis(), 1); // an info counts as a message in
    otp::sys::suspend(s.ref());
    otp::sys::resume(s.ref());
    const auto st = otp::sys::statistics(s.ref());
    CHECK(st.messages_in == 5);
    CHECK(st.messages_out == 3);
    CHECK(st.callbacks == 5);
    CHECK(st.uptime >= 0ms);
    const auto later = otp::sys::statistics(s.ref());
    CHECK(later.messages_in == st.messages_in); // statistics is not counted
    CHECK(otp::call(s, get{}) == 1);
    const auto after_call = otp::sys::statistics(s.ref());
    CHECK(after_call.messages_in == st.messages_in + 1);
    CHECK(after_call.messages_out == st.messages_out + 1);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("sys get_status describes the server", "[gen_server][sem:43]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = counter::start_link(gst::named("gs_status"), 3);
    REQUIRE(r.ok());
    const auto st = otp::sys::get_status("gs_status");
    CHECK(st.pid == r.pid());
    CHECK(st.name == "gs_status");
    CHECK(st.parent == otp::self());
    CHECK(st.status == "running");
    CHECK(st.server_type.find("counter") != std::string::npos);
    CHECK_FALSE(st.state.empty());
    otp::stop(r.pid());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("sys calls to a dead server exit the caller with noproc",
          "[gen_server][sem:43]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_counter(0);
    otp::stop(s);
    auto caller = otp::spawn_monitor([s] { otp::sys::suspend(s.ref()); });
    auto why = gst::down_reason(caller.monitor);
    REQUIRE(why);
    CHECK(gst::is_call_failure(*why, otp::exit_reason::noproc(), "{sys,"));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("an idle server hibernates after hibernate_after and still answers",
          "[gen_server][sem:44]") {
  const auto after = GENERATE(0ms, 20ms);
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_counter(1, gst::hibernate_after(after));
    for (int round = 0; round < 3; ++round) {
      CHECK(otp::call(s, get{}) == 1 + round);
      REQUIRE(gst::eventually(
          [&] { return gst::status_of(s.whereis()) == "hibernating"; }));
      CHECK(otp::process_info(s.whereis())->stack_size == 0);
      otp::cast(s, add{1});
    }
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a server keeps its stack until hibernate_after has passed",
          "[gen_server][sem:44][timing]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_counter(1, gst::hibernate_after(1000ms));
    CHECK(otp::call(s, get{}) == 1);
    CHECK(gst::status_of(s.whereis()) != "hibernating");
    // hibernate() hibernates at once whatever hibernate_after says.
    CHECK(otp::call(s, hibernate_now{}) == 1);
    CHECK(gst::eventually(
        [&] { return gst::status_of(s.whereis()) == "hibernating"; }, 500ms));
    CHECK(otp::call(s, get{}) == 1);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("code_change that fails or raises keeps the previous state",
          "[gen_server][sem:46]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_counter(4);
    auto failed = otp::sys::change_code(s, "fail");
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error() == otp::exit_reason::user("cannot_upgrade"));
    CHECK(otp::call(s, get{}) == 4);

    auto raised = otp::sys::change_code(s, "throw");
    REQUIRE_FALSE(raised.ok());
    CHECK(raised.error().what_kind() == otp::exit_reason::kind::exception);
    CHECK(raised.error().detail() == "upgrade crashed");
    CHECK(otp::call(s, get{}) == 4);

    CHECK(otp::sys::change_code(s, "ok").ok());
    CHECK(otp::call(s, get{}) == 40);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

namespace {

struct crash {};

/// Holds a secret that format_status hides.
class vault : public otp::gen_server<vault> {
public:
  otp::init_result init() { return ok(); }
  otp::call_result<int> handle_call(const crash&) {
    throw std::runtime_error("vault crashed");
  }
  std::string format_status() const { return "#vault<redacted>"; }
  friend std::ostream& operator<<(std::ostream& os, const vault& v) {
    return os << v.secret_;
  }

private:
  std::string secret_ = "hunter2";
};

/// Printable, without format_status: reports show operator<<.
class open_book : public otp::gen_server<open_book> {
public:
  otp::init_result init() { return ok(); }
  otp::call_result<int> handle_call(const get&) { return reply(0); }
  friend std::ostream& operator<<(std::ostream& os, const open_book&) {
    return os << "open_book{pages=3}";
  }
};

} // namespace

TEST_CASE("format_status redacts the state in get_status and crash reports",
          "[gen_server][sem:46][sem:41]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = vault::start();
    REQUIRE(r.ok());
    CHECK(otp::sys::get_status(r.pid()).state == "#vault<redacted>");
    auto failed = otp::try_call(otp::server<vault>(r.pid()), crash{});
    REQUIRE_FALSE(failed.ok());
    REQUIRE(logs.wait_for(otp::log_level::error, 1));

    auto b = open_book::start();
    REQUIRE(b.ok());
    CHECK(otp::sys::get_status(b.pid()).state == "open_book{pages=3}");
    otp::stop(b.pid());
  });
  REQUIRE(otp_test::all_exited(rt));
  CHECK(gst::count_reports(logs, otp::log_level::error, "#vault<redacted>")
        == 1);
  CHECK(gst::count_reports(logs, otp::log_level::error, "hunter2") == 0);
}

namespace {

struct arm {};
struct timed_out {};

/// Arms a 150 ms idle timeout on `arm` and tells its observer when the
/// timeout comes.
class alarm_server : public otp::gen_server<alarm_server> {
public:
  otp::init_result init(otp::pid observer) {
    observer_ = observer;
    return ok();
  }
  otp::cast_result handle_cast(const arm&) { return noreply(timeout(150ms)); }
  using info_types = otp::types<otp::server_timeout>;
  otp::cast_result handle_info(const otp::server_timeout&) {
    otp::send(observer_, timed_out{});
    return noreply();
  }
  int value = 3;

private:
  otp::pid observer_;
};

} // namespace

TEST_CASE("system messages do not cancel a server's idle timeout",
          "[gen_server][sem:86]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = alarm_server::start(otp::self());
    REQUIRE(r.ok());
    auto s = otp::server<alarm_server>::of(r);
    otp::cast(s, arm{});
    CHECK(otp::sys::get_state(s).value == 3);
    CHECK(otp::sys::statistics(s.ref()).messages_in == 1);
    CHECK(otp::sys::get_status(s.ref()).status == "running");
    CHECK(gst::next<timed_out>(5s));
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a get_state or replace_state function that raises keeps the "
          "server and its state and exits the caller with callback_failed",
          "[gen_server][sem:87]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_counter(5);
    const auto failure = [](auto fn) {
      try {
        fn();
      } catch (const otp::exit_error& e) {
        return e.reason().to_string();
      }
      return std::string("no exit");
    };
    const std::string replaced = failure([&] {
      otp::sys::replace_state(s, [](counter& c) {
        c.n = 99; // a half-done change
        throw std::runtime_error("bad fun");
      });
    });
    CHECK(
        replaced.rfind("{callback_failed,{GenServer,system_replace_state},", 0)
        == 0);
    CHECK(replaced.find("bad fun") != std::string::npos);
    const std::string read = failure([&] {
      otp::sys::get_state(s, [](const counter&) -> int { throw 42; });
    });
    CHECK(read.rfind("{callback_failed,{GenServer,system_get_state},", 0) == 0);
    CHECK(read.find("nocatch: 42") != std::string::npos);
    CHECK(otp::alive(s.whereis()));
    CHECK(otp::call(s, get{}) == 5); // the half-done change was undone
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
  CHECK(logs.events(otp::log_level::error).empty());
}
