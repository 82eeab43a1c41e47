// spawn(fn, args...): arguments are copied in; a normal return is silent; an
// exception becomes an exit reason and one error report; alive() [sem:22];
// sending to a dead pid is silent [sem:15].

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using otp_test::eventually;
using otp_test::log_capture;

namespace {

struct go {};
struct release {};

otp::runtime_options one_thread() {
  return {.threads = 1};
}

} // namespace

TEST_CASE("spawn copies its arguments into the new process",
          "[framework][spawn]") {
  otp::runtime rt{one_thread()};
  std::string seen_text;
  std::vector<int> seen_numbers;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    std::string text = "original";
    std::vector<int> numbers{1, 2, 3};
    const otp::pid child = otp::spawn(
        [me](const std::string& t, const std::vector<int>& v) {
          otp::receive_as<go>(); // read the arguments only after the parent
                                 // changed its own copies
          otp::send(me, t);
          otp::send(me, v);
        },
        text, numbers);
    text = "changed";
    numbers.push_back(4);
    otp::send(child, go{});
    seen_text = otp::receive_as<std::string>();
    seen_numbers = otp::receive_as<std::vector<int>>();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(seen_text == "original");
  CHECK(seen_numbers == std::vector<int>{1, 2, 3});
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("spawn accepts a function pointer and several arguments",
          "[framework][spawn]") {
  struct sum_msg {
    int total;
  };
  struct adder {
    static void run(otp::pid to, int a, int b, std::string label) {
      otp::send(to, sum_msg{a + b + static_cast<int>(label.size())});
    }
  };
  otp::runtime rt{one_thread()};
  int total = 0;
  const auto reason = rt.run([&] {
    otp::spawn(&adder::run, otp::self(), 1, 2, std::string("abc"));
    total = otp::receive([](sum_msg m) { return m.total; });
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(total == 6);
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("self() inside a process is the pid that spawn returned",
          "[framework][spawn]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  otp::pid returned;
  otp::pid reported;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    returned = otp::spawn([me] { otp::send(me, otp::self()); });
    reported = otp::receive_as<otp::pid>();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(returned);
  CHECK(reported == returned);
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("a process is alive while it waits and not after it returned",
          "[framework][spawn][sem:22]") {
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  const otp::pid p = rt.spawn([] { otp::receive_as<release>(); });

  CHECK(otp::alive(p));
  CHECK(rt.process_count() == 1);
  otp::send(p, release{});
  REQUIRE(eventually([&] { return !otp::alive(p); }));
  CHECK(otp_test::all_exited(rt));
  CHECK_FALSE(otp::alive(p)); // stays dead
}

TEST_CASE("a process sees itself alive and its dead child not alive",
          "[framework][spawn][sem:22]") {
  otp::runtime rt{one_thread()};
  bool self_alive = false;
  bool child_alive_while_waiting = false;
  bool child_dead_after = false;
  const auto reason = rt.run([&] {
    self_alive = otp::alive(otp::self());
    const otp::pid child = otp::spawn([] { otp::receive_as<release>(); });
    child_alive_while_waiting = otp::alive(child);
    otp::send(child, release{});
    child_dead_after = otp_test::eventually([&] { return !otp::alive(child); });
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(self_alive);
  CHECK(child_alive_while_waiting);
  CHECK(child_dead_after);
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("sending to a dead pid or the null pid is silently dropped",
          "[framework][spawn][sem:15]") {
  log_capture logs;
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  const otp::pid p = rt.spawn([] {});
  REQUIRE(eventually([&] { return !otp::alive(p); }));

  CHECK_NOTHROW(otp::send(p, 1)); // from a thread
  CHECK_NOTHROW(otp::send(p, std::string("late")));
  CHECK_NOTHROW(otp::send(otp::pid{}, 2));
  const auto reason = rt.run([&] {
    otp::send(p, 3); // and from a process
    otp::send(otp::pid{}, 4);
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK_FALSE(otp::alive(p));
  CHECK(otp_test::all_exited(rt));
  CHECK(logs.events().empty());
}

TEST_CASE("a normal return ends a process silently while a crash writes one "
          "report",
          "[framework][spawn]") {
  // The crash afterwards shows that the sink was listening: if the normal
  // exit had written a report it would be in the log before the crash's.
  log_capture logs;
  otp::runtime rt{one_thread()};
  const otp::pid quiet = rt.spawn([] {});
  REQUIRE(eventually([&] { return !otp::alive(quiet); }));
  const otp::pid loud =
      rt.spawn([] { throw std::runtime_error("sentinel crash"); });
  REQUIRE(logs.wait_for(otp::log_level::error, 1));
  REQUIRE(otp_test::all_exited(rt));

  const auto events = logs.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].who == loud);
  CHECK(events[0].who != quiet);
}

TEST_CASE("an exception escaping a process writes exactly one error report "
          "naming the pid and what()",
          "[framework][spawn]") {
  log_capture logs;
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  const otp::pid p = rt.spawn([] {
    otp::receive_as<go>();
    throw std::runtime_error("oops");
  });
  otp::send(p, go{});
  REQUIRE(eventually([&] { return !otp::alive(p); }));
  REQUIRE(logs.wait_for(otp::log_level::error, 1));
  REQUIRE(otp_test::all_exited(rt));

  const auto errors = logs.events(otp::log_level::error);
  REQUIRE(errors.size() == 1);
  CHECK(logs.events().size() == 1);
  CHECK(errors[0].who == p);
  CHECK_THAT(errors[0].text, Contains(p.to_string()));
  CHECK_THAT(errors[0].text, Contains("raised an exception"));
  CHECK_THAT(errors[0].text, Contains("std::runtime_error"));
  CHECK_THAT(errors[0].text, Contains("oops"));
}

TEST_CASE("an exception escaping run() becomes the exit reason exception(type, "
          "what)",
          "[framework][spawn]") {
  log_capture logs;
  otp::runtime rt{one_thread()};
  const auto reason = rt.run([] { throw std::runtime_error("oops"); });
  CHECK(reason == otp::exit_reason::exception("std::runtime_error", "oops"));
  CHECK(reason.to_string() == R"({exception,std::runtime_error,"oops"})");
  CHECK_FALSE(reason.is_silent());
  CHECK(logs.wait_for(otp::log_level::error, 1));
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("the exception type in the reason is the dynamic, derived type",
          "[framework][spawn]") {
  struct my_error : std::logic_error {
    using std::logic_error::logic_error;
  };
  log_capture logs;
  otp::runtime rt{one_thread()};
  const auto oor = rt.run([] { throw std::out_of_range("index 7"); });
  CHECK(oor == otp::exit_reason::exception("std::out_of_range", "index 7"));
  const auto custom = rt.run([] { throw my_error("mine"); });
  CHECK(custom.what_kind() == otp::exit_reason::kind::exception);
  CHECK_THAT(custom.exception_type(), Contains("my_error"));
  CHECK(custom.detail() == "mine");
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("a non-std exception also becomes an exception reason and never "
          "reaches std::terminate",
          "[framework][spawn]") {
  log_capture logs;
  otp::runtime rt{otp::runtime_options{.threads = 2}};

  const auto reason = rt.run([] { throw 42; });
  CHECK(reason.what_kind() == otp::exit_reason::kind::exception);
  REQUIRE(logs.wait_for(otp::log_level::error, 1));

  const otp::pid p = rt.spawn([] { throw std::string("not an exception"); });
  REQUIRE(logs.wait_for(otp::log_level::error, 2));
  REQUIRE(eventually([&] { return !otp::alive(p); }));
  const auto errors = logs.events(otp::log_level::error);
  REQUIRE(errors.size() == 2);
  CHECK(errors[1].who == p);
  CHECK_THAT(errors[1].text, Contains(p.to_string()));
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("RAII destructors run when an exception unwinds a process",
          "[framework][spawn]") {
  struct notify_on_exit {
    otp::pid to;
    ~notify_on_exit() { otp::send(to, std::string("unwound")); }
  };
  log_capture logs;
  otp::runtime rt{one_thread()};
  std::optional<std::string> got;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    otp::spawn([me] {
      notify_on_exit guard{me};
      throw std::runtime_error("crash");
    });
    got = otp::receive_as<std::string>(5s);
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK(got == std::optional<std::string>("unwound"));
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("spawn_opt gives a process a bigger stack when asked",
          "[framework][spawn]") {
  // 200 KiB of locals would not fit the 64 KiB default stack.
  otp::runtime rt{one_thread()};
  std::size_t checksum = 0;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    otp::spawn_opt(otp::spawn_options{.stack_size = 1024 * 1024}, [me] {
      volatile unsigned char big[200 * 1024];
      for (std::size_t i = 0; i < sizeof(big); i += 512)
        big[i] = static_cast<unsigned char>(i / 512);
      std::size_t sum = 0;
      for (std::size_t i = 0; i < sizeof(big); i += 512)
        sum += big[i];
      otp::send(me, sum);
    });
    checksum = otp::receive_as<std::size_t>();
  });
  REQUIRE(reason == otp::exit_reason::normal());
  std::size_t expected = 0;
  for (std::size_t i = 0; i < 200 * 1024; i += 512)
    expected += static_cast<unsigned char>(i / 512);
  CHECK(checksum == expected);
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("a spawned child runs at once, before its parent continues",
          "[framework][spawn]") {
  // spawn.hpp: a child spawned by a process starts on the spawner's thread
  // and the spawner is queued behind it.
  otp::runtime rt{one_thread()};
  std::vector<std::string> order;
  const auto reason = rt.run([&] {
    otp::spawn([&] { order.push_back("child"); });
    order.push_back("parent");
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(order == std::vector<std::string>{"child", "parent"});
  CHECK(otp_test::all_exited(rt));
}
