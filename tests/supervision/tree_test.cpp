// Nested supervisors: escalation through three levels, the tree as JSON,
// and a restart loop that keeps failing while the tree is stopped
// [sem:68, 69, 76].

#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace sup_test;

TEST_CASE("intensity escalates through a three-level tree",
          "[supervision][tree][sem:68]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    // leaf gives up at its first crash; mid at the first end of leaf; top
    // at the first end of mid. Each level ends with shutdown.
    auto leaf =
        otp::supervisor::spec("leaf", {worker("w", rec)}, {.max_restarts = 0});
    auto mid = otp::supervisor::spec("mid", {leaf}, {.max_restarts = 0});
    otp::trap_exit(true);
    auto top = otp::supervisor::start_link(
        {worker("bystander", rec, {.trap = true}), mid},
        {.max_restarts = 0, .name = "top"});
    REQUIRE(top.ok());
    const otp::ref top_mon = otp::monitor(top.pid());
    const otp::pid mid_pid = pid_of("top", "mid");
    const otp::pid leaf_pid = pid_of(mid_pid, "leaf");
    const otp::ref mid_mon = otp::monitor(mid_pid);
    const otp::ref leaf_mon = otp::monitor(leaf_pid);
    otp::send(pid_of(leaf_pid, "w"), crash{otp::exit_reason::user("boom")});
    CHECK(down_reason(leaf_mon) == otp::exit_reason::shutdown());
    CHECK(down_reason(mid_mon) == otp::exit_reason::shutdown());
    CHECK(down_reason(top_mon) == otp::exit_reason::shutdown());
    CHECK(rec->count("terminate:bystander:shutdown") == 1);
    std::size_t gave_up = 0;
    for (const auto& e : logs.events(otp::log_level::error))
      gave_up +=
          e.text.find("reached_max_restart_intensity") != std::string::npos;
    CHECK(gave_up == 3);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a middle supervisor that gives up is restarted by its parent",
          "[supervision][tree][sem:68]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto mid =
        otp::supervisor::spec("mid", {worker("w", rec)}, {.max_restarts = 0});
    auto top = otp::supervisor::start_link({mid});
    REQUIRE(top.ok());
    const otp::pid mid1 = pid_of(top.pid(), "mid");
    otp::send(pid_of(mid1, "w"), crash{otp::exit_reason::user("boom")});
    const otp::pid mid2 = next_pid(top.pid(), "mid", mid1);
    REQUIRE(mid2);
    CHECK(otp::alive(pid_of(mid2, "w")));
    CHECK(rec->count("start:w") == 2);
    REQUIRE(otp::supervisor::try_stop(top.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("the supervision tree is described as JSON",
          "[supervision][tree][introspection]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto registered = worker("named", rec);
    registered.start = [rec] {
      otp::start_options named;
      named.name = "named_worker";
      return otp::start_link(named, [](otp::starter& s) {
        s.ack();
        otp::receive([](crash&& c) { otp::exit(c.reason); });
      });
    };
    auto top = otp::supervisor::start_link(
        {registered,
         otp::supervisor::spec("inner", {worker("leaf", rec)},
                               {.strategy = otp::strategy::one_for_all}),
         otp::dynamic_supervisor::spec("pool")},
        {.name = "json_top"});
    REQUIRE(top.ok());
    const otp::pid pool = pid_of("json_top", "pool");
    REQUIRE(otp::dynamic_supervisor::start_child(pool, worker("d", rec)).ok());
    const otp::pid named = pid_of("json_top", "named");
    otp::send(named, crash{otp::exit_reason::user("boom")});
    REQUIRE(next_pid("json_top", "named", named));

    const nlohmann::json tree = otp::supervision_tree("json_top");
    INFO(tree.dump(2));
    CHECK(tree["pid"] == top.pid().to_string());
    CHECK(tree["registered_name"] == "json_top");
    CHECK(tree["kind"] == "supervisor");
    CHECK(tree["strategy"] == "one_for_one");
    CHECK(tree["max_restarts"] == 3);
    CHECK(tree["max_seconds"] == 5);
    REQUIRE(tree["children"].size() == 3);
    const auto& n = tree["children"][0];
    CHECK(n["id"] == "named");
    CHECK(n["registered_name"] == "named_worker");
    CHECK(n["restarts"] == 1);
    CHECK(n["status"] == "running");
    CHECK(n["restart"] == "permanent");
    CHECK(n["type"] == "worker");
    CHECK(n["message_queue_len"] == 0);
    const auto& inner = tree["children"][1];
    CHECK(inner["type"] == "supervisor");
    CHECK(inner["strategy"] == "one_for_all");
    REQUIRE(inner["children"].size() == 1);
    CHECK(inner["children"][0]["id"] == "leaf");
    const auto& p = tree["children"][2];
    CHECK(p["kind"] == "dynamic_supervisor");
    REQUIRE(p["children"].size() == 1);
    CHECK(p["children"][0]["id"].is_null());
    CHECK(otp::supervision_tree(otp::pid())["error"].is_string());
    REQUIRE(otp::supervisor::try_stop("json_top").ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a restart loop that keeps failing does not hang shutdown",
          "[supervision][tree][sem:69][sem:76]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  auto fail = std::make_shared<std::atomic<bool>>(false);
  rt.run([&] {
    auto sup = otp::supervisor::start_link(
        {worker("steady", rec, {.trap = true}), flaky_worker("f", rec, fail)},
        {.max_restarts = 1000000, .max_seconds = std::chrono::seconds(1)});
    REQUIRE(sup.ok());
    fail->store(true);
    otp::send(pid_of(sup.pid(), "f"), crash{otp::exit_reason::user("boom")});
    REQUIRE(eventually([&] { return rec->with("start_failed:").size() >= 3; }));
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
    CHECK(rec->count("terminate:steady:shutdown") == 1);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("stopping a supervisor that is gone reports noproc",
          "[supervision][tree]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    auto sup = otp::supervisor::start({});
    REQUIRE(sup.ok());
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
    const otp::exit_reason again = otp::supervisor::try_stop(sup.pid()).error();
    CHECK(again.inner() == otp::exit_reason::noproc());
    CHECK(again.where().rfind("{supervisor,stop,[", 0) == 0);
    CHECK(otp::supervisor::which_children(sup.pid()).error().root()
          == otp::exit_reason::noproc());
  });
  REQUIRE(otp_test::all_exited(rt));
}
