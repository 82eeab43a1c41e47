// The log's level threshold (`set_log_level`, OTP's primary logger level),
// the metadata of a report (registered name, time) and where the level is
// printed: once, by the default sink, never inside the text.

#include "behaviours/gen_server.hpp"
#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"
#include "support/scale.hpp"
#include "support/stderr_capture.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using otp_test::stderr_capture;

/// Sets the threshold while alive, then restores the previous one.
class level_guard {
public:
  explicit level_guard(otp::log_level l) : previous_(otp::set_log_level(l)) {}
  level_guard(const level_guard&) = delete;
  level_guard& operator=(const level_guard&) = delete;
  ~level_guard() { otp::set_log_level(previous_); }

private:
  otp::log_level previous_;
};

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1))
    ++n;
  return n;
}

struct boom {};

/// Crashes on `boom`.
class fragile : public otp::gen_server<fragile> {
public:
  otp::cast_result handle_cast(const boom&) {
    throw std::runtime_error("fragile broke");
  }
};

} // namespace

TEST_CASE("by default the log drops info reports and passes notice, warning "
          "and error, to a sink too, as OTP's primary level notice does",
          "[faults][log][log_level]") {
  REQUIRE(otp::get_log_level() == otp::log_level::notice);
  // A sink of its own (log_capture may lower the level to see everything).
  std::vector<otp::log_event> events;
  otp::log_sink previous =
      otp::set_log_sink([&](const otp::log_event& e) { events.push_back(e); });
  otp::log(otp::log_level::debug, otp::pid(), "a debug report");
  otp::log(otp::log_level::info, otp::pid(), "an info report");
  otp::log(otp::log_level::notice, otp::pid(), "a notice");
  otp::log(otp::log_level::warning, otp::pid(), "a warning");
  otp::log(otp::log_level::error, otp::pid(), "an error");
  otp::set_log_sink(std::move(previous));
  REQUIRE(events.size() == 3);
  CHECK(events[0].text == "a notice");
  CHECK(events[1].text == "a warning");
  CHECK(events[2].text == "an error");
  CHECK_FALSE(otp::log_enabled(otp::log_level::info));
  CHECK(otp::log_enabled(otp::log_level::warning));
}

TEST_CASE("set_log_level moves the threshold both ways and returns the "
          "previous one",
          "[faults][log][log_level]") {
  otp_test::log_capture logs;
  {
    level_guard all(otp::log_level::debug);
    CHECK(otp::get_log_level() == otp::log_level::debug);
    otp::log(otp::log_level::debug, otp::pid(), "debug passes");
    otp::log(otp::log_level::info, otp::pid(), "info passes");
    {
      level_guard only_errors(otp::log_level::error);
      otp::log(otp::log_level::warning, otp::pid(), "warning dropped");
      otp::log(otp::log_level::error, otp::pid(), "error passes");
    }
    CHECK(otp::get_log_level() == otp::log_level::debug);
  }
  CHECK(otp::get_log_level() == otp::log_level::notice);
  const auto events = logs.events();
  REQUIRE(events.size() == 3);
  CHECK(events[0].text == "debug passes");
  CHECK(events[1].text == "info passes");
  CHECK(events[2].text == "error passes");
  CHECK(otp::set_log_level(otp::log_level::notice) == otp::log_level::notice);
}

TEST_CASE("the default sink prints each report once as [level] text, and "
          "info reaches stderr once the level allows it",
          "[faults][log][log_level]") {
  stderr_capture err;
  otp::log(otp::log_level::info, otp::pid(), "progress, dropped");
  {
    level_guard info(otp::log_level::info);
    otp::log(otp::log_level::info, otp::pid(), "progress, printed");
  }
  otp::log(otp::log_level::warning, otp::pid(), "careful");
  const std::string text = err.text();
  CHECK(text.find("dropped") == std::string::npos);
  CHECK(text.find("[info] progress, printed\n") != std::string::npos);
  CHECK(text.find("[warning] careful\n") != std::string::npos);
}

TEST_CASE("a crash report's text starts with the report, not its level, so "
          "a sink that prints the level prints it once",
          "[faults][log][log_level]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([] {
    auto m = otp::spawn_monitor([] { throw std::runtime_error("oops"); });
    otp::receive([](otp::down_message) {});
    (void)m;
  });
  REQUIRE(logs.wait_for(otp::log_level::error, 1));
  const auto e = logs.events(otp::log_level::error).at(0);
  CHECK(e.text.rfind("Process <0.", 0) == 0);
  CHECK(e.text.find("[error]") == std::string::npos);
  CHECK(otp::format_log_event(e).rfind("[error] Process <0.", 0) == 0);
  CHECK(occurrences(otp::format_log_event(e), "[error]") == 1);
}

TEST_CASE("a text that still starts with its own level has that prefix "
          "removed, and another bracket is left alone",
          "[faults][log][log_level]") {
  otp_test::log_capture logs;
  otp::log(otp::log_level::error, otp::pid(), "[error] built the old way");
  otp::log(otp::log_level::warning, otp::pid(), "[error] not my level");
  otp::log(otp::log_level::error, otp::pid(), "[error]");
  const auto events = logs.events();
  REQUIRE(events.size() == 3);
  CHECK(events[0].text == "built the old way");
  CHECK(events[1].text == "[error] not my level");
  CHECK(events[2].text == "[error]");
}

TEST_CASE("a report carries the registered name of the process it is about "
          "and the time it was made",
          "[faults][log][log_level]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  otp::pid named;
  otp::pid anonymous;
  const auto before = std::chrono::system_clock::now();
  rt.run([&] {
    named = otp::self();
    otp::register_name("log_levels_named", named);
    otp::log(otp::log_level::warning, named, "from a named process");
    anonymous = otp::spawn([] {});
    otp::log(otp::log_level::warning, anonymous, "about another");
    otp::unregister_name("log_levels_named");
    otp::log(otp::log_level::warning, named, "after unregister");
  });
  const auto after = std::chrono::system_clock::now();
  const auto events = logs.events();
  REQUIRE(events.size() == 3);
  CHECK(events[0].who == named);
  CHECK(events[0].registered_name == "log_levels_named");
  CHECK(events[1].registered_name.empty());
  CHECK(events[2].registered_name.empty());
  for (const auto& e : events) {
    CHECK(e.time >= before);
    CHECK(e.time <= after);
  }
}

TEST_CASE("a named GenServer's crash report carries its registered name",
          "[faults][log][log_level]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([] {
    otp::server_options o;
    o.name = "fragile_server";
    auto r = fragile::start(o);
    REQUIRE(r.ok());
    auto m = otp::monitor(r.pid());
    otp::cast(otp::server<fragile>("fragile_server"), boom{});
    otp::receive([](otp::down_message) {});
    (void)m;
  });
  std::vector<otp::log_event> crash;
  for (const auto& e : logs.events(otp::log_level::error))
    if (e.text.find("terminating") != std::string::npos)
      crash.push_back(e);
  REQUIRE(crash.size() == 1);
  CHECK(crash[0].registered_name == "fragile_server");
  CHECK(crash[0].text.rfind("GenServer <0.", 0) == 0);
}

TEST_CASE("reports about named processes never deadlock with processes that "
          "register, unregister and look up names at the same time",
          "[faults][log][log_level][stress]") {
  otp::runtime rt{{.threads = 4}};
  std::atomic<std::size_t> seen{0};
  std::atomic<std::size_t> with_name{0};
  otp::log_sink previous = otp::set_log_sink([&](const otp::log_event& e) {
    ++seen;
    if (!e.registered_name.empty())
      ++with_name;
  });
  const std::size_t n = otp_test::scaled(64);
  const std::size_t rounds = otp_test::scaled(1000);
  rt.run([&] {
    std::vector<otp::spawned> workers;
    for (std::size_t i = 0; i < n; ++i) {
      workers.push_back(otp::spawn_monitor([i, rounds] {
        const std::string name = "log_stress_" + std::to_string(i);
        for (std::size_t k = 0; k < rounds; ++k) {
          otp::register_name(name, otp::self());
          otp::log(otp::log_level::warning, otp::self(), "named");
          (void)otp::whereis("log_stress_" + std::to_string((i + 1) % 64));
          otp::unregister_name(name);
          otp::log(otp::log_level::warning, otp::self(), "unnamed");
          if (k % 16 == 0)
            otp::yield();
        }
      }));
    }
    for (std::size_t i = 0; i < n; ++i)
      otp::receive([](otp::down_message d) {
        CHECK(d.reason == otp::exit_reason::normal());
      });
  });
  otp::set_log_sink(std::move(previous));
  CHECK(seen == 2 * n * rounds);
  CHECK(with_name == n * rounds);
}
