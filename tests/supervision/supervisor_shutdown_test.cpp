// The shutdown protocol and the supervisor's own end: timeout then kill,
// brutal_kill, infinity, self-unlinked children, trapping and non-trapping
// children, the parent's exit, a killed supervisor, and races with children
// that end on their own [sem:64, 65, 76, 77].

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

} // namespace

TEST_CASE("a child that ignores shutdown is killed when its timeout passes",
          "[supervision][sem:64][sem:77]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto stubborn =
        worker("stubborn", rec, {.trap = true, .ignore_shutdown = true});
    stubborn.shutdown = otp::child_shutdown::timeout(50ms);
    auto sup = otp::supervisor::start_link({stubborn});
    REQUIRE(sup.ok());
    const otp::pid p = pid_of(sup.pid(), "stubborn");
    const otp::ref mon = otp::monitor(p);
    REQUIRE(otp::supervisor::terminate_child(sup.pid(), "stubborn").ok());
    CHECK(down_reason(mon) == otp::exit_reason::killed());
    CHECK(logged(logs, "shutdown_error", "killed"));
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("brutal_kill kills at once without letting the child terminate",
          "[supervision][sem:64]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto w = worker("w", rec, {.trap = true});
    w.shutdown = otp::child_shutdown::brutal_kill();
    auto sup = otp::supervisor::start_link({w});
    REQUIRE(sup.ok());
    const otp::ref mon = otp::monitor(pid_of(sup.pid(), "w"));
    REQUIRE(otp::supervisor::terminate_child(sup.pid(), "w").ok());
    CHECK(down_reason(mon) == otp::exit_reason::killed());
    CHECK(rec->with("terminate:").empty());
    CHECK(logs.count(otp::log_level::error) == 0);
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("shutdown infinity waits as long as the child takes",
          "[supervision][sem:64]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  struct go {};
  struct done {};
  rt.run([&] {
    otp::child_spec slow{.id = "slow"};
    slow.shutdown = otp::child_shutdown::infinity();
    slow.start = [rec] {
      return otp::start_link({}, [rec](otp::starter& s) {
        otp::trap_exit(true);
        s.ack();
        otp::receive([](otp::exit_message&&) {});
        rec->add("asked");
        otp::receive([](go) {}); // only the test lets it go
        otp::exit(otp::exit_reason::shutdown());
      });
    };
    auto sup = otp::supervisor::start_link({slow});
    REQUIRE(sup.ok());
    const otp::pid child = pid_of(sup.pid(), "slow");
    const otp::pid me = otp::self();
    const otp::pid sup_pid = sup.pid();
    otp::spawn([me, sup_pid] {
      (void)otp::supervisor::terminate_child(sup_pid, "slow");
      otp::send(me, done{});
    });
    REQUIRE(eventually([&] { return rec->count("asked") == 1; }));
    // Far beyond the worker default of 5000 ms would be needed to prove
    // "forever"; here: the call is still waiting and the child alive.
    CHECK_FALSE(otp::receive_as<done>(100ms));
    CHECK(otp::alive(child));
    otp::send(child, go{});
    CHECK(otp::receive_as<done>(10s));
    CHECK_FALSE(otp::alive(child));
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a child that unlinked itself is still restarted and terminated",
          "[supervision][sem:64]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start_link(
        {worker("loner", rec, {.trap = true, .unlink = true})});
    REQUIRE(sup.ok());
    const otp::pid first = pid_of(sup.pid(), "loner");
    otp::send(first, crash{otp::exit_reason::user("boom")});
    const otp::pid second = next_pid(sup.pid(), "loner", first);
    REQUIRE(second);
    CHECK(logged(logs, "child_terminated", "boom"));
    REQUIRE(otp::supervisor::terminate_child(sup.pid(), "loner").ok());
    CHECK_FALSE(otp::alive(second));
    CHECK(rec->count("terminate:loner:shutdown") == 1);
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a non-trapping child dies at once on shutdown and a trapping one "
          "runs its terminate",
          "[supervision][sem:65]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start_link(
        {worker("plain", rec), worker("trapper", rec, {.trap = true})});
    REQUIRE(sup.ok());
    const otp::ref plain = otp::monitor(pid_of(sup.pid(), "plain"));
    const otp::ref trapper = otp::monitor(pid_of(sup.pid(), "trapper"));
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
    CHECK(down_reason(plain) == otp::exit_reason::shutdown());
    CHECK(down_reason(trapper) == otp::exit_reason::shutdown());
    CHECK(rec->with("terminate:") == strings{"terminate:trapper:shutdown"});
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("the parent's exit ends the children in reverse order and the "
          "supervisor with the parent's reason",
          "[supervision][sem:76]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  struct started {
    otp::pid sup;
  };
  struct go {};
  rt.run([&] {
    const otp::pid me = otp::self();
    const otp::pid parent = otp::spawn([me, rec] {
      auto sup = otp::supervisor::start_link(
          {worker("a", rec, {.trap = true}), worker("b", rec, {.trap = true})});
      otp::send(me, started{sup.pid()});
      otp::receive([](go) {});
      otp::exit(otp::exit_reason::user("parent_died"));
    });
    const otp::pid sup = otp::receive_as<started>().sup;
    REQUIRE(sup);
    const otp::ref mon = otp::monitor(sup);
    otp::send(parent, go{});
    CHECK(down_reason(mon) == otp::exit_reason::user("parent_died"));
    CHECK(rec->with("terminate:")
          == strings{"terminate:b:shutdown", "terminate:a:shutdown"});
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("exit signals from processes other than the parent are ignored",
          "[supervision][sem:76]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start_link({worker("a", rec)});
    REQUIRE(sup.ok());
    // The caller is the parent: strangers are other processes.
    const otp::pid sup_pid = sup.pid();
    for (const auto& reason :
         {otp::exit_reason::shutdown(), otp::exit_reason::user("stranger")}) {
      const auto s =
          otp::spawn_monitor([sup_pid, reason] { otp::exit(sup_pid, reason); });
      REQUIRE(down_reason(s.monitor));
    }
    // A call after both signals is served: the supervisor is still there.
    CHECK(otp::supervisor::count_children(sup_pid).ok());
    CHECK(otp::alive(sup_pid));
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a killed supervisor takes its children down with killed",
          "[supervision][sem:76]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = otp::supervisor::start(
        {worker("a", rec, {.trap = true}), worker("b", rec)});
    REQUIRE(sup.ok());
    const otp::ref a = otp::monitor(pid_of(sup.pid(), "a"));
    const otp::ref b = otp::monitor(pid_of(sup.pid(), "b"));
    otp::exit(sup.pid(), otp::exit_reason::kill());
    CHECK(down_reason(a) == otp::exit_reason::killed());
    CHECK(down_reason(b) == otp::exit_reason::killed());
    CHECK(rec->count("terminate:a:killed") == 1);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("children ending on their own during shutdown are handled once",
          "[supervision][sem:64][races]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  const std::size_t rounds = otp_test::scaled(30);
  rt.run([&] {
    for (std::size_t i = 0; i < rounds; ++i) {
      auto rec = std::make_shared<recorder>();
      std::vector<otp::child_spec> specs;
      for (int k = 0; k < 6; ++k)
        specs.push_back(
            worker("w" + std::to_string(k), rec, {.trap = (k % 2 == 0)}));
      auto sup = otp::supervisor::start(specs);
      REQUIRE(sup.ok());
      auto kids = *otp::supervisor::which_children(sup.pid());
      // Half of them crash while the supervisor is being stopped.
      for (std::size_t k = 0; k < kids.size(); k += 2)
        otp::send(kids[k].pid, crash{otp::exit_reason::user("racing")});
      REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
      for (const auto& k : kids)
        CHECK_FALSE(otp::alive(k.pid));
    }
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a supervisor stopped while its children unlink themselves does "
          "not hang",
          "[supervision][sem:64][races]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  const std::size_t rounds = otp_test::scaled(30);
  rt.run([&] {
    for (std::size_t i = 0; i < rounds; ++i) {
      auto rec = std::make_shared<recorder>();
      auto sup = otp::supervisor::start(
          {worker("a", rec, {.unlink = true}),
           worker("b", rec, {.trap = true, .unlink = true}),
           worker("c", rec, {.unlink = true})});
      REQUIRE(sup.ok());
      auto kids = *otp::supervisor::which_children(sup.pid());
      otp::send(kids[1].pid, crash{otp::exit_reason::user("racing")});
      REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
      for (const auto& k : kids)
        CHECK_FALSE(otp::alive(k.pid));
    }
  });
  REQUIRE(otp_test::all_exited(rt));
}
