// DynamicSupervisor: empty start, ids ignored, max_children, extra
// arguments prepended, ignore, terminate_child by pid, shutdown all at
// once, one_for_one only, intensity [sem:78, 79, 80, 81, 82].

#include "support.hpp"

#include <catch2/catch.hpp>

using namespace sup_test;
using strings = std::vector<std::string>;
namespace dyn = otp::dynamic_supervisor;

namespace {

/// A worker type whose start_link takes the supervisor's extra arguments
/// first: (pool, shard) then its own (name).
struct conn {
  static otp::start_result start_link(std::string pool, int shard,
                                      std::string name, recorder_ptr rec) {
    return otp::start_link({}, [=](otp::starter& s) {
      rec->add(pool + "/" + std::to_string(shard) + "/" + name);
      s.ack();
      otp::receive([](crash&& c) { otp::exit(c.reason); });
    });
  }
};

/// Expects other extra arguments (one int) than the supervisor gives.
struct int_conn {
  static otp::start_result start_link(int, int, std::string, recorder_ptr) {
    return otp::start_result::ignore();
  }
};

} // namespace

TEST_CASE("a dynamic supervisor starts empty and ignores child ids",
          "[supervision][dynamic][sem:78]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = dyn::start_link();
    REQUIRE(sup.ok());
    CHECK(dyn::which_children(sup.pid())->empty());
    auto one = dyn::start_child(sup.pid(), worker("same", rec));
    auto two = dyn::start_child(sup.pid(), worker("same", rec));
    REQUIRE(one.ok());
    REQUIRE(two.ok());
    CHECK(one.pid() != two.pid());
    auto list = dyn::which_children(sup.pid());
    REQUIRE(list->size() == 2);
    for (const auto& c : *list) {
      CHECK(c.id.empty()); // undefined
      CHECK(c.status == otp::child_status::running);
    }
    CHECK(*dyn::count_children(sup.pid()) == otp::child_counts{2, 2, 0, 2});
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("max_children refuses more children and counts restarting ones",
          "[supervision][dynamic][sem:79]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  auto fail = std::make_shared<std::atomic<bool>>(false);
  rt.run([&] {
    auto sup = dyn::start_link({.max_restarts = 1000000,
                                .max_seconds = std::chrono::seconds(1),
                                .max_children = 2});
    REQUIRE(sup.ok());
    auto a = dyn::start_child(sup.pid(), flaky_worker("a", rec, fail));
    REQUIRE(a.ok());
    REQUIRE(dyn::start_child(sup.pid(), worker("b", rec)).ok());
    CHECK(dyn::start_child(sup.pid(), worker("c", rec)).error()
          == otp::supervisor_error::max_children());
    fail->store(true);
    otp::send(a.pid(), crash{otp::exit_reason::user("boom")});
    REQUIRE(eventually([&] {
      auto l = dyn::which_children(sup.pid());
      return l && std::any_of(l->begin(), l->end(), [](const auto& c) {
               return c.status == otp::child_status::restarting;
             });
    }));
    CHECK(dyn::start_child(sup.pid(), worker("c", rec)).error()
          == otp::supervisor_error::max_children());
    CHECK(dyn::count_children(sup.pid())->active == 1);
    fail->store(false);
    REQUIRE(eventually(
        [&] { return dyn::count_children(sup.pid())->active == 2; }));
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("extra arguments are prepended to the start arguments also on "
          "restart",
          "[supervision][dynamic][sem:80]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = dyn::start_link(
        {.extra = otp::make_extra_arguments(std::string("pool"), 7)});
    REQUIRE(sup.ok());
    auto c = dyn::start_child(
        sup.pid(), otp::worker<conn>("c", otp::takes_extra<std::string, int>{},
                                     std::string("db"), rec));
    REQUIRE(c.ok());
    CHECK(rec->events() == strings{"pool/7/db"});
    otp::send(c.pid(), crash{otp::exit_reason::user("boom")});
    REQUIRE(eventually([&] { return rec->events().size() == 2; }));
    CHECK(rec->events() == strings{"pool/7/db", "pool/7/db"});
    // A child expecting other extra arguments fails to start, saying why.
    auto wrong = dyn::start_child(
        sup.pid(), otp::worker<int_conn>("w", otp::takes_extra<int>{}, 1,
                                         std::string("x"), rec));
    CHECK(wrong.error().to_string().rfind("{bad_extra_arguments", 0) == 0);
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("an ignored start adds nothing and terminate_child works by pid",
          "[supervision][dynamic][sem:81]") {
  otp::runtime rt{{.threads = 2}};
  auto rec = std::make_shared<recorder>();
  auto fail = std::make_shared<std::atomic<bool>>(false);
  auto ignore = std::make_shared<std::atomic<bool>>(true);
  rt.run([&] {
    auto sup = dyn::start_link();
    REQUIRE(sup.ok());
    CHECK(dyn::start_child(sup.pid(), flaky_worker("i", rec, fail, ignore))
              .ignored());
    CHECK(dyn::count_children(sup.pid())->specs == 0);
    auto w = dyn::start_child(sup.pid(), worker("w", rec, {.trap = true}));
    REQUIRE(w.ok());
    REQUIRE(dyn::terminate_child(sup.pid(), w.pid()).ok());
    CHECK_FALSE(otp::alive(w.pid()));
    CHECK(rec->count("terminate:w:shutdown") == 1);
    CHECK(dyn::terminate_child(sup.pid(), w.pid()).error()
          == otp::supervisor_error::not_found());
    CHECK(dyn::which_children(sup.pid())->empty());
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a dynamic supervisor signals all children at once on shutdown",
          "[supervision][dynamic][sem:82]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  constexpr int n = 4;
  struct go {};
  rt.run([&] {
    auto sup = dyn::start_link();
    REQUIRE(sup.ok());
    std::vector<otp::pid> kids;
    for (int i = 0; i < n; ++i) {
      otp::child_spec s{.id = "k"};
      s.shutdown = otp::child_shutdown::timeout(10000ms);
      s.start = [rec] {
        return otp::start_link({}, [rec](otp::starter& st) {
          otp::trap_exit(true);
          st.ack();
          otp::receive([](otp::exit_message&&) {});
          rec->add("asked");
          // Leave only once every sibling was asked: with shutdown in order
          // this would wait for the 10 s kill.
          otp::receive([](go) {});
          otp::exit(otp::exit_reason::shutdown());
        });
      };
      auto c = dyn::start_child(sup.pid(), s);
      REQUIRE(c.ok());
      kids.push_back(c.pid());
    }
    const otp::pid sup_pid = sup.pid();
    const otp::pid me = otp::self();
    otp::spawn([sup_pid, me] {
      otp::send(me, otp::supervisor::try_stop(sup_pid).ok());
    });
    REQUIRE(eventually([&] { return rec->count("asked") == n; }, 5s));
    for (const auto& k : kids)
      otp::send(k, go{});
    CHECK(otp::receive_as<bool>(10s) == std::optional<bool>(true));
    CHECK(logs.count(otp::log_level::error) == 0); // nobody was killed
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a dynamic supervisor accepts only one_for_one and auto_shutdown "
          "never",
          "[supervision][dynamic][sem:82]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto all = dyn::start({.strategy = otp::strategy::one_for_all});
    CHECK(all.error().to_string()
          == "{supervisor_data,{invalid_strategy,one_for_all}}");
    auto autos =
        dyn::start({.auto_shutdown = otp::auto_shutdown::any_significant});
    CHECK(autos.error().to_string()
          == "{supervisor_data,{invalid_auto_shutdown,any_significant}}");
    auto sup = dyn::start();
    REQUIRE(sup.ok());
    CHECK(otp::supervisor::restart_child(sup.pid(), "x").error()
          == otp::supervisor_error::dynamic_supervisor());
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a dynamic supervisor gives up after three restarts in five "
          "seconds",
          "[supervision][dynamic][sem:82][sem:68]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  auto rec = std::make_shared<recorder>();
  rt.run([&] {
    auto sup = dyn::start();
    REQUIRE(sup.ok());
    const otp::ref mon = otp::monitor(sup.pid());
    auto w = dyn::start_child(sup.pid(), worker("w", rec));
    REQUIRE(w.ok());
    auto other = dyn::start_child(sup.pid(), worker("o", rec, {.trap = true}));
    otp::pid p = w.pid();
    for (int i = 0; i < 4; ++i) {
      otp::send(p, crash{otp::exit_reason::user("boom")});
      if (i == 3)
        break;
      REQUIRE(eventually([&] {
        auto l = dyn::which_children(sup.pid());
        if (!l)
          return false;
        for (const auto& c : *l)
          if (c.pid != p && c.pid != other.pid())
            return (p = c.pid), true;
        return false;
      }));
    }
    CHECK(down_reason(mon) == otp::exit_reason::shutdown());
    CHECK(rec->count("terminate:o:shutdown") == 1);
  });
  REQUIRE(otp_test::all_exited(rt));
}
