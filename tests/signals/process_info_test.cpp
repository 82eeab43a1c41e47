// process_info and alive: what a process is doing, as a value and as JSON,
// from a process or from any thread; nothing for a dead pid [sem:22].

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("process_info describes a process waiting in receive: queue, "
          "links, monitors, trap_exit, name and stack",
          "[signals][process_info][sem:22]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const otp::pid watched = otp::spawn([] { sig::park(); });
    const otp::pid subject = otp::spawn_link([me, watched] {
      otp::trap_exit(true);
      otp::monitor(watched);
      otp::register_name("subject", otp::self());
      otp::send(me, sig::go{});
      otp::receive([](sig::ping) {}); // waits here, leaving ints queued
    });
    otp::receive([](sig::go) {});
    const otp::ref mon = otp::monitor(subject);
    for (int i = 0; i < 3; ++i)
      otp::send(subject, i);

    std::optional<otp::process_snapshot> info;
    REQUIRE(sig::eventually([&] {
      info = otp::process_info(subject);
      return info && info->status == "waiting" && info->message_queue_len == 3
             && !info->monitored_by.empty();
    }));
    CHECK(info->pid == subject);
    CHECK(info->links == std::vector<otp::pid>{me});
    CHECK(info->monitors == std::vector<otp::pid>{watched});
    CHECK(info->monitored_by == std::vector<otp::pid>{me});
    CHECK(info->trap_exit);
    CHECK(info->registered_name == "subject");
    CHECK(info->stack_size >= 64 * 1024);

    const nlohmann::json j = *info;
    CHECK(j["pid"] == subject.to_string());
    CHECK(j["status"] == "waiting");
    CHECK(j["message_queue_len"] == 3);
    CHECK(j["links"] == nlohmann::json::array({me.to_string()}));
    CHECK(j["monitors"] == nlohmann::json::array({watched.to_string()}));
    CHECK(j["monitored_by"] == nlohmann::json::array({me.to_string()}));
    CHECK(j["trap_exit"] == true);
    CHECK(j["registered_name"] == "subject");
    CHECK(j["stack_size"].get<std::size_t>() == info->stack_size);

    otp::send(subject, sig::ping{});
    CHECK(sig::down_reason(mon) == otp::exit_reason::normal());
    otp::exit(watched, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("process_info of a plain process shows empty relations and no "
          "name",
          "[signals][process_info][sem:22]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid p =
        otp::spawn_opt({.stack_size = 256 * 1024}, [] { sig::park(); });
    std::optional<otp::process_snapshot> info;
    REQUIRE(sig::eventually([&] {
      info = otp::process_info(p);
      return info && info->status == "waiting";
    }));
    CHECK(info->message_queue_len == 0);
    CHECK(info->links.empty());
    CHECK(info->monitors.empty());
    CHECK(info->monitored_by.empty());
    CHECK_FALSE(info->trap_exit);
    CHECK(info->registered_name.empty());
    CHECK(info->stack_size >= 256 * 1024);
    otp::exit(p, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("process_info of the calling process says running and counts its "
          "queue",
          "[signals][process_info][sem:22]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    otp::send(otp::self(), 1);
    otp::send(otp::self(), 2);
    CHECK(otp::message_queue_len() == 2);
    const auto info = otp::process_info(otp::self());
    REQUIRE(info.has_value());
    CHECK(info->status == "running");
    CHECK(info->message_queue_len == 2);
    otp::receive([](int) {});
    CHECK(otp::message_queue_len() == 1);
    CHECK(otp::process_info(otp::self())->message_queue_len == 1);
  });
}

TEST_CASE("process_info works from a thread that is not a process",
          "[signals][process_info][sem:22]") {
  otp::runtime rt{{.threads = 2}};
  const otp::pid p = rt.spawn([] {
    otp::register_name("outside_view", otp::self());
    otp::receive([](sig::ping) {});
  });
  otp::send(p, 5);
  otp::send(p, 6);
  std::optional<otp::process_snapshot> info;
  REQUIRE(sig::eventually([&] {
    info = otp::process_info(p); // the test thread is not a process
    return info && info->status == "waiting"
           && info->registered_name == "outside_view";
  }));
  CHECK(info->pid == p);
  CHECK(info->message_queue_len == 2);
  CHECK(nlohmann::json(*info)["message_queue_len"] == 2);
  CHECK(otp::alive(p));
  otp::send(p, sig::ping{});
  REQUIRE(sig::eventually([&] { return !otp::alive(p); }));
  CHECK_FALSE(otp::process_info(p).has_value());
  REQUIRE(sig::settles(rt));
  CHECK_FALSE(rt.whereis("outside_view"));
}

TEST_CASE(
    "a dead pid has no process_info and is not alive, and neither has the "
    "null pid",
    "[signals][process_info][sem:22]") {
  otp::runtime rt{{.threads = 2}};
  otp::pid dead;
  rt.run([&] {
    const auto s = otp::spawn_monitor([] {});
    REQUIRE(sig::down_reason(s.monitor).has_value());
    dead = s.pid;
    CHECK_FALSE(otp::alive(dead));
    CHECK_FALSE(otp::process_info(dead).has_value());
    CHECK_FALSE(otp::process_info(otp::pid()).has_value());
    CHECK_FALSE(otp::alive(otp::pid()));
  });
  CHECK_FALSE(otp::alive(dead));
  CHECK_FALSE(otp::process_info(dead).has_value());
}

TEST_CASE("process_info of a process that dies while the request is on its "
          "way returns nothing",
          "[signals][process_info][sem:22]") {
  // The request reaches a process that is ending, or bounces off its closed
  // mailbox; either way the caller gets an answer.
  otp::runtime rt{{.threads = 2}};
  const std::size_t n = sig::scaled(500);
  std::size_t answered = 0;
  std::size_t nothing = 0;
  rt.run([&] {
    for (std::size_t i = 0; i < n; ++i) {
      const auto s = otp::spawn_monitor([] { otp::receive([](sig::go) {}); });
      otp::send(s.pid, sig::go{});
      sig::jitter(i);
      const auto info = otp::process_info(s.pid);
      if (info) {
        CHECK(info->pid == s.pid);
        ++answered;
      } else {
        ++nothing;
      }
      REQUIRE(sig::down_reason(s.monitor).has_value());
    }
  });
  CHECK(answered + nothing == n);
  REQUIRE(sig::settles(rt));
}

TEST_CASE("alive turns false when a process ends and stays false",
          "[signals][process_info][sem:22]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const auto s = otp::spawn_monitor([] { otp::receive([](sig::go) {}); });
    CHECK(otp::alive(s.pid));
    otp::send(s.pid, sig::go{});
    REQUIRE(sig::down_reason(s.monitor).has_value());
    CHECK_FALSE(otp::alive(s.pid));
    // A newer process never revives an old pid.
    const otp::pid next = otp::spawn([] { sig::park(); });
    CHECK(next != s.pid);
    CHECK_FALSE(otp::alive(s.pid));
    CHECK(otp::alive(next));
    otp::exit(next, otp::exit_reason::kill());
  });
  REQUIRE(sig::settles(rt));
}
