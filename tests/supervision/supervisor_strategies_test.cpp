// Strategies, restart types, intensity, retried restarts, auto_shutdown and
// the child-management calls [sem:66, 67, 68, 69, 73, 75, 77].

#include "support.hpp"

#include <catch2/catch.hpp>

using namespace sup_test;
using strings = std::vector<std::string>;

namespace {

bool logged(const otp_test::log_capture& logs, const std::string& a,
            const std::string& b) {
  for (const auto& e : logs.events(otp::log_level::error))
    if (e.text.find(a) != std::string::npos
        && e.text.find(b) != std::string::npos)
      return true;
  return false;
}

std::vector<otp::child_spec>
abc(const recorder_ptr& rec,
    otp::restart_type rt = otp::restart_type::permanent) {
  return {worker("a", rec, {.trap = true}, rt),
          worker("b", rec, {.trap = true}, rt),
          worker("c", rec, {.trap = true}, rt)};
}

} // namespace

TEST_CASE("one_for_one restarts only the child that ended",
          "[supervision][sem:66]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start_link(abc(rec));
    REQUIRE(sup.ok());
    const otp::pid a = pid_of(sup.pid(), "a"), b = pid_of(sup.pid(), "b"),
                   c = pid_of(sup.pid(), "c");
    rec->clear();
    otp::send(b, crash{otp::exit_reason::user("boom")});
    REQUIRE(next_pid(sup.pid(), "b", b));
    CHECK(pid_of(sup.pid(), "a") == a);
    CHECK(pid_of(sup.pid(), "c") == c);
    CHECK(rec->events() == strings{"start:b"});
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("one_for_all stops the others in reverse order and restarts all in "
          "order",
          "[supervision][sem:66]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start_link(
        abc(rec), {.strategy = otp::strategy::one_for_all});
    REQUIRE(sup.ok());
    const otp::pid a = pid_of(sup.pid(), "a");
    rec->clear();
    otp::send(pid_of(sup.pid(), "b"), crash{otp::exit_reason::user("boom")});
    REQUIRE(next_pid(sup.pid(), "a", a));
    REQUIRE(eventually([&] { return rec->events().size() == 5; }));
    CHECK(rec->events()
          == strings{"terminate:c:shutdown", "terminate:a:shutdown", "start:a",
                     "start:b", "start:c"});
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("rest_for_one restarts the failed child and those started after it",
          "[supervision][sem:66]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start_link(
        abc(rec), {.strategy = otp::strategy::rest_for_one});
    REQUIRE(sup.ok());
    const otp::pid a = pid_of(sup.pid(), "a"), c = pid_of(sup.pid(), "c");
    rec->clear();
    otp::send(pid_of(sup.pid(), "b"), crash{otp::exit_reason::user("boom")});
    REQUIRE(next_pid(sup.pid(), "c", c));
    REQUIRE(eventually([&] { return rec->events().size() == 3; }));
    CHECK(rec->events()
          == strings{"terminate:c:shutdown", "start:b", "start:c"});
    CHECK(pid_of(sup.pid(), "a") == a);
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("strategy restart type and exit reason decide what restarts",
          "[supervision][sem:66][sem:67][matrix]") {
  const auto strategy =
      GENERATE(otp::strategy::one_for_one, otp::strategy::one_for_all,
               otp::strategy::rest_for_one);
  const auto restart =
      GENERATE(otp::restart_type::permanent, otp::restart_type::transient,
               otp::restart_type::temporary);
  const int which = GENERATE(0, 1, 2, 3);
  const otp::exit_reason reasons[] = {
      otp::exit_reason::normal(), otp::exit_reason::shutdown(),
      otp::exit_reason::shutdown("bye"), otp::exit_reason::user("boom")};
  const otp::exit_reason reason = reasons[which];
  CAPTURE(otp::to_string(strategy), otp::to_string(restart), reason);
  const bool restarted =
      restart == otp::restart_type::permanent
      || (restart == otp::restart_type::transient && !reason.is_silent());

  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    // The middle child has the restart type under test; its neighbours are
    // permanent, so the strategy shows in whether they are restarted.
    auto sup = otp::supervisor::start_link(
        {worker("a", rec), worker("b", rec, {}, restart), worker("c", rec)},
        {.strategy = strategy});
    REQUIRE(sup.ok());
    const otp::pid a = pid_of(sup.pid(), "a"), b = pid_of(sup.pid(), "b"),
                   c = pid_of(sup.pid(), "c");
    const otp::ref mon = otp::monitor(b);
    otp::send(b, crash{reason});
    REQUIRE(down_reason(mon) == reason);
    if (restarted) {
      REQUIRE(next_pid(sup.pid(), "b", b));
      const bool all = strategy == otp::strategy::one_for_all;
      const bool rest = strategy != otp::strategy::one_for_one;
      CHECK((pid_of(sup.pid(), "a") != a) == all);
      REQUIRE(
          eventually([&] { return (pid_of(sup.pid(), "c") != c) == rest; }));
    } else {
      // Nothing else happens; a call after the EXIT sees the result.
      REQUIRE(eventually([&] {
        return status_of(sup.pid(), "b") != otp::child_status::running;
      }));
      const auto st = status_of(sup.pid(), "b");
      if (restart == otp::restart_type::temporary)
        CHECK_FALSE(st); // its spec is gone
      else
        CHECK(st == otp::child_status::undefined);
      CHECK(pid_of(sup.pid(), "a") == a);
      CHECK(pid_of(sup.pid(), "c") == c);
    }
    const bool report =
        restart == otp::restart_type::permanent || !reason.is_silent();
    CHECK(logged(logs, "child_terminated", "child b") == report);
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("too many restarts end the supervisor with shutdown after its "
          "children",
          "[supervision][sem:68][sem:77]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    otp::trap_exit(true);
    auto sup = otp::supervisor::start_link(
        {worker("steady", rec, {.trap = true}), worker("crashy", rec)},
        {.max_restarts = 2, .max_seconds = std::chrono::seconds(60)});
    REQUIRE(sup.ok());
    const otp::ref mon = otp::monitor(sup.pid());
    otp::pid p = pid_of(sup.pid(), "crashy");
    for (int i = 0; i < 2; ++i) {
      otp::send(p, crash{otp::exit_reason::user("boom")});
      p = next_pid(sup.pid(), "crashy", p);
      REQUIRE(p);
    }
    otp::send(p, crash{otp::exit_reason::user("boom")}); // the third
    CHECK(down_reason(mon) == otp::exit_reason::shutdown());
    CHECK(rec->count("terminate:steady:shutdown") == 1);
    CHECK(logged(logs, "reached_max_restart_intensity", "child crashy"));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("max_restarts zero ends the supervisor at the first crash",
          "[supervision][sem:68]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start({worker("a", rec)}, {.max_restarts = 0});
    REQUIRE(sup.ok());
    const otp::ref mon = otp::monitor(sup.pid());
    otp::send(pid_of(sup.pid(), "a"), crash{otp::exit_reason::user("boom")});
    CHECK(down_reason(mon) == otp::exit_reason::shutdown());
    CHECK(rec->count("start:a") == 1);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("bad supervisor options are rejected", "[supervision][sem:68]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto neg = otp::supervisor::start({}, {.max_restarts = -1});
    CHECK(neg.error().to_string()
          == "{supervisor_data,{invalid_intensity,-1}}");
    auto zero =
        otp::supervisor::start({}, {.max_seconds = std::chrono::seconds(0)});
    CHECK(zero.error().to_string() == "{supervisor_data,{invalid_period,0}}");
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a failed restart is retried later and the child shows restarting",
          "[supervision][sem:69][sem:77]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  auto fail = std::make_shared<std::atomic<bool>>(false);
  rt.run([&] {
    auto sup = otp::supervisor::start_link(
        {flaky_worker("f", rec, fail)},
        {.max_restarts = 1000000, .max_seconds = std::chrono::seconds(1)});
    REQUIRE(sup.ok());
    const otp::pid first = pid_of(sup.pid(), "f");
    fail->store(true);
    otp::send(first, crash{otp::exit_reason::user("boom")});
    // Requests are served between attempts.
    REQUIRE(eventually([&] {
      return status_of(sup.pid(), "f") == otp::child_status::restarting;
    }));
    CHECK(otp::supervisor::restart_child(sup.pid(), "f").error()
          == otp::supervisor_error::restarting());
    CHECK(otp::supervisor::delete_child(sup.pid(), "f").error()
          == otp::supervisor_error::restarting());
    CHECK(logged(logs, "start_error", "start_failed"));
    fail->store(false);
    REQUIRE(next_pid(sup.pid(), "f", first));
    CHECK(rec->with("start_failed:").size() >= 1);
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("every retry of a failing restart counts toward the intensity",
          "[supervision][sem:69][sem:68]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  auto fail = std::make_shared<std::atomic<bool>>(false);
  rt.run([&] {
    auto sup = otp::supervisor::start(
        {flaky_worker("f", rec, fail)},
        {.max_restarts = 3, .max_seconds = std::chrono::seconds(60)});
    REQUIRE(sup.ok());
    const otp::ref mon = otp::monitor(sup.pid());
    fail->store(true);
    otp::send(pid_of(sup.pid(), "f"), crash{otp::exit_reason::user("boom")});
    CHECK(down_reason(mon) == otp::exit_reason::shutdown());
    // The crash and two retries fit in 3; the fourth attempt is refused.
    CHECK(rec->with("start_failed:").size() == 3);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("terminate restart and delete follow OTP's results",
          "[supervision][sem:73]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start_link(
        {worker("a", rec), worker("t", rec, {}, otp::restart_type::temporary)});
    REQUIRE(sup.ok());
    using otp::supervisor_error::not_found;
    using otp::supervisor_error::running;
    CHECK(otp::supervisor::restart_child(sup.pid(), "a").error() == running());
    CHECK(otp::supervisor::delete_child(sup.pid(), "a").error() == running());
    CHECK(otp::supervisor::terminate_child(sup.pid(), "nope").error()
          == not_found());
    CHECK(otp::supervisor::restart_child(sup.pid(), "nope").error()
          == not_found());
    CHECK(otp::supervisor::delete_child(sup.pid(), "nope").error()
          == not_found());
    REQUIRE(otp::supervisor::terminate_child(sup.pid(), "a").ok());
    CHECK(status_of(sup.pid(), "a") == otp::child_status::undefined);
    REQUIRE(otp::supervisor::restart_child(sup.pid(), "a").ok());
    REQUIRE(otp::supervisor::terminate_child(sup.pid(), "a").ok());
    REQUIRE(otp::supervisor::delete_child(sup.pid(), "a").ok());
    CHECK_FALSE(status_of(sup.pid(), "a"));
    // A temporary child's spec goes with its process.
    REQUIRE(otp::supervisor::terminate_child(sup.pid(), "t").ok());
    CHECK_FALSE(status_of(sup.pid(), "t"));
    CHECK(otp::supervisor::which_children(sup.pid())->empty());
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("significant children need auto_shutdown and a non-permanent "
          "restart",
          "[supervision][sem:75]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    otp::trap_exit(true);
    auto s = worker("s", rec, {}, otp::restart_type::transient);
    s.significant = true;
    auto never = otp::supervisor::start_link({s});
    CHECK(never.error().to_string()
          == "{start_spec,{bad_combination,[{auto_shutdown,never},"
             "{significant,true}]}}");
    auto p = worker("p", rec);
    p.significant = true;
    auto perm = otp::supervisor::start_link(
        {p}, {.auto_shutdown = otp::auto_shutdown::any_significant});
    CHECK(perm.error().to_string()
          == "{start_spec,{bad_combination,[{restart,permanent},"
             "{significant,true}]}}");
    auto sup = otp::supervisor::start_link({worker("a", rec)});
    REQUIRE(sup.ok());
    CHECK(otp::supervisor::start_child(sup.pid(), s).error().to_string()
          == "{bad_combination,[{auto_shutdown,never},{significant,true}]}");
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("any_significant shuts down when a significant child ends on its "
          "own",
          "[supervision][sem:75]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto s = worker("s", rec, {}, otp::restart_type::transient);
    s.significant = true;
    auto sup = otp::supervisor::start(
        {worker("other", rec, {.trap = true}), s},
        {.auto_shutdown = otp::auto_shutdown::any_significant});
    REQUIRE(sup.ok());
    const otp::ref mon = otp::monitor(sup.pid());
    // An abnormal exit of a transient child restarts it: no shutdown.
    const otp::pid first = pid_of(sup.pid(), "s");
    otp::send(first, crash{otp::exit_reason::user("boom")});
    const otp::pid second = next_pid(sup.pid(), "s", first);
    REQUIRE(second);
    otp::send(second, crash{otp::exit_reason::normal()});
    CHECK(down_reason(mon) == otp::exit_reason::shutdown());
    CHECK(rec->count("terminate:other:shutdown") == 1);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("all_significant shuts down when the last significant child ends",
          "[supervision][sem:75]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto s1 = worker("s1", rec, {}, otp::restart_type::temporary);
    auto s2 = worker("s2", rec, {}, otp::restart_type::temporary);
    s1.significant = s2.significant = true;
    auto sup = otp::supervisor::start(
        {s1, s2, worker("other", rec)},
        {.auto_shutdown = otp::auto_shutdown::all_significant});
    REQUIRE(sup.ok());
    const otp::ref mon = otp::monitor(sup.pid());
    otp::send(pid_of(sup.pid(), "s1"), crash{otp::exit_reason::normal()});
    REQUIRE(eventually([&] { return !status_of(sup.pid(), "s1"); }));
    CHECK(otp::alive(sup.pid()));
    otp::send(pid_of(sup.pid(), "s2"), crash{otp::exit_reason::user("x")});
    CHECK(down_reason(mon) == otp::exit_reason::shutdown());
  });
  REQUIRE(otp_test::all_exited(rt));
}
