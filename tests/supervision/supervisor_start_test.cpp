// Supervisor start-up and the child list: order, failures, ignore,
// duplicate ids, which_children / count_children, progress reports
// [sem:63, 70, 71, 72, 74, 77].

#include "support.hpp"

#include <catch2/catch.hpp>

using namespace sup_test;
using strings = std::vector<std::string>;

TEST_CASE("children start in list order and stop in reverse order",
          "[supervision][sem:63]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start_link({worker("a", rec, {.trap = true}),
                                            worker("b", rec, {.trap = true}),
                                            worker("c", rec, {.trap = true})});
    REQUIRE(sup.ok());
    CHECK(rec->with("start:") == strings{"start:a", "start:b", "start:c"});
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
    CHECK(rec->with("terminate:")
          == strings{"terminate:c:shutdown", "terminate:b:shutdown",
                     "terminate:a:shutdown"});
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("each child start returns before the next one begins",
          "[supervision][sem:63]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto slow = worker("slow", rec);
    slow.start = [rec] {
      return otp::start_link({}, [rec](otp::starter& s) {
        otp::sleep(20ms); // a slow init: the next child must wait for it
        rec->add("start:slow");
        s.ack();
        otp::receive([](never) {});
      });
    };
    auto sup = otp::supervisor::start_link({slow, worker("next", rec)});
    REQUIRE(sup.ok());
    CHECK(rec->with("start:") == strings{"start:slow", "start:next"});
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a failing child start stops the supervisor and the children "
          "started before it",
          "[supervision][sem:70][sem:77]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  auto fail = std::make_shared<std::atomic<bool>>(true);
  rt.run([&] {
    otp::trap_exit(true); // the failed supervisor's exit reaches us too
    auto sup = otp::supervisor::start_link({worker("a", rec, {.trap = true}),
                                            flaky_worker("b", rec, fail),
                                            worker("c", rec)});
    REQUIRE(sup.what() == otp::start_result::status::error);
    CHECK(sup.error()
          == otp::exit_reason::shutdown(
              "{failed_to_start_child,b,start_failed}"));
    CHECK(rec->events()
          == strings{"start:a", "start_failed:b", "terminate:a:shutdown"});
    CHECK(logs.count(otp::log_level::error) >= 1);
    bool named = false;
    for (const auto& e : logs.events(otp::log_level::error))
      named = named
              || (e.text.find("start_error") != std::string::npos
                  && e.text.find("child b") != std::string::npos
                  && e.text.find("start_failed") != std::string::npos);
    CHECK(named);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a failed start_link also ends a linked caller that does not trap "
          "exits",
          "[supervision][sem:70]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs; // the start_error report is expected
  auto rec = std::make_shared<recorder>();
  auto fail = std::make_shared<std::atomic<bool>>(true);
  rt.run([&] {
    auto caller = otp::spawn_monitor([rec, fail] {
      (void)otp::supervisor::start_link({flaky_worker("x", rec, fail)});
      otp::receive([](never) {});
    });
    CHECK(down_reason(caller.monitor)
          == otp::exit_reason::shutdown(
              "{failed_to_start_child,x,start_failed}"));
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a child whose start returns ignore keeps its spec without a "
          "process",
          "[supervision][sem:71]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  auto fail = std::make_shared<std::atomic<bool>>(false);
  auto ignore = std::make_shared<std::atomic<bool>>(true);
  rt.run([&] {
    auto sup = otp::supervisor::start_link(
        {worker("a", rec), flaky_worker("lazy", rec, fail, ignore)});
    REQUIRE(sup.ok());
    CHECK(status_of(sup.pid(), "lazy") == otp::child_status::undefined);
    auto counts = otp::supervisor::count_children(sup.pid());
    REQUIRE(counts.ok());
    CHECK(*counts == otp::child_counts{2, 1, 0, 2});
    ignore->store(false);
    auto again = otp::supervisor::restart_child(sup.pid(), "lazy");
    REQUIRE(again.ok());
    CHECK(pid_of(sup.pid(), "lazy") == again.pid());
    CHECK(otp::supervisor::count_children(sup.pid())->active == 2);
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("an ignored temporary child is not kept", "[supervision][sem:71]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  auto fail = std::make_shared<std::atomic<bool>>(false);
  auto ignore = std::make_shared<std::atomic<bool>>(true);
  rt.run([&] {
    auto spec = flaky_worker("tmp", rec, fail, ignore);
    spec.restart = otp::restart_type::temporary;
    auto sup = otp::supervisor::start_link({spec});
    REQUIRE(sup.ok());
    CHECK(otp::supervisor::which_children(sup.pid())->empty());
    CHECK(otp::supervisor::start_child(sup.pid(), spec).ignored());
    CHECK(otp::supervisor::which_children(sup.pid())->empty());
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("duplicate child ids are rejected at start",
          "[supervision][sem:72]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    otp::trap_exit(true);
    auto sup = otp::supervisor::start_link(
        {worker("a", rec), worker("b", rec), worker("a", rec)});
    REQUIRE_FALSE(sup.ok());
    CHECK(sup.error().to_string() == "{start_spec,{duplicate_child_name,a}}");
    CHECK(rec->events().empty()); // checked before anything starts
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("start_child with a known id gives already_started or "
          "already_present",
          "[supervision][sem:72][sem:73]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start_link({worker("a", rec)});
    REQUIRE(sup.ok());
    const otp::pid a = pid_of(sup.pid(), "a");
    auto dup = otp::supervisor::start_child(sup.pid(), worker("a", rec));
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().what_kind() == otp::exit_reason::kind::already_started);
    CHECK(dup.pid() == a);
    REQUIRE(otp::supervisor::terminate_child(sup.pid(), "a").ok());
    auto present = otp::supervisor::start_child(sup.pid(), worker("a", rec));
    CHECK(present.error() == otp::supervisor_error::already_present());
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("start_child appends so rest_for_one restarts the new child after "
          "the old ones",
          "[supervision][sem:72][sem:66]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup =
        otp::supervisor::start_link({worker("a", rec), worker("b", rec)},
                                    {.strategy = otp::strategy::rest_for_one});
    REQUIRE(sup.ok());
    REQUIRE(otp::supervisor::start_child(sup.pid(), worker("c", rec)).ok());
    const otp::pid a = pid_of(sup.pid(), "a");
    const otp::pid c = pid_of(sup.pid(), "c");
    rec->clear();
    otp::send(pid_of(sup.pid(), "b"), crash{otp::exit_reason::user("boom")});
    REQUIRE(next_pid(sup.pid(), "c", c));
    CHECK(pid_of(sup.pid(), "a") == a);
    CHECK(rec->with("start:") == strings{"start:b", "start:c"});
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("which_children lists the newest child first and count_children "
          "counts specs and processes",
          "[supervision][sem:74]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto inner = otp::supervisor::spec("inner", {worker("x", rec)});
    auto sup = otp::supervisor::start_link(
        {worker("a", rec), inner, worker("b", rec)});
    REQUIRE(sup.ok());
    auto list = otp::supervisor::which_children(sup.pid());
    REQUIRE(list.ok());
    REQUIRE(list->size() == 3);
    CHECK((*list)[0].id == "b");
    CHECK((*list)[1].id == "inner");
    CHECK((*list)[1].type == otp::child_type::supervisor);
    CHECK((*list)[2].id == "a");
    for (const auto& c : *list) {
      CHECK(c.status == otp::child_status::running);
      CHECK(otp::alive(c.pid));
    }
    REQUIRE(otp::supervisor::terminate_child(sup.pid(), "a").ok());
    CHECK(*otp::supervisor::count_children(sup.pid())
          == otp::child_counts{3, 2, 1, 2});
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("every child start writes a progress report naming supervisor "
          "child and pid",
          "[supervision][sem:77]") {
  // Progress reports are info: below the default level.
  otp_test::log_level_scope info_reports(otp::log_level::info);
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start_link({worker("a", rec)},
                                           {.name = "reporting_sup"});
    REQUIRE(sup.ok());
    const otp::pid a = pid_of("reporting_sup", "a");
    auto infos = logs.events(otp::log_level::info);
    REQUIRE(infos.size() == 1);
    CHECK(infos[0].who == sup.pid());
    CHECK(infos[0].text.find("reporting_sup") != std::string::npos);
    CHECK(infos[0].text.find("started child a") != std::string::npos);
    CHECK(infos[0].text.find(a.to_string()) != std::string::npos);
    REQUIRE(otp::supervisor::try_stop("reporting_sup").ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("invalid child specs are rejected naming the bad field",
          "[supervision][sem:75]") {
  using otp::check_child_spec;
  const auto never = otp::auto_shutdown::never;
  otp::child_spec ok{.id = "a", .start = [] {
                       return otp::start_result::ignore();
                     }};
  CHECK_FALSE(check_child_spec(ok, never));
  auto no_id = ok;
  no_id.id.clear();
  CHECK(check_child_spec(no_id, never)->to_string() == "{invalid_id,\"\"}");
  auto no_start = ok;
  no_start.start = {};
  CHECK(check_child_spec(no_start, never)->to_string() == "{missing_start,a}");
  auto negative = ok;
  negative.shutdown = otp::child_shutdown::timeout(-5ms);
  CHECK(check_child_spec(negative, never)->to_string()
        == "{invalid_shutdown,-5}");
  auto significant = ok;
  significant.significant = true;
  significant.restart = otp::restart_type::transient;
  CHECK(check_child_spec(significant, never)->to_string()
        == "{bad_combination,[{auto_shutdown,never},{significant,true}]}");
  significant.restart = otp::restart_type::permanent;
  CHECK(check_child_spec(significant, otp::auto_shutdown::any_significant)
            ->to_string()
        == "{bad_combination,[{restart,permanent},{significant,true}]}");
  CHECK(ok.shutdown_or_default() == otp::child_shutdown::timeout(5000ms));
  ok.type = otp::child_type::supervisor;
  CHECK(ok.shutdown_or_default() == otp::child_shutdown::infinity());
}
