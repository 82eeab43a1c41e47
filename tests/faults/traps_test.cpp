// Traps a new user fell into: code that compiled and then silently did
// nothing (a handle_info nobody calls, a terminate that never runs), and
// compile errors that did not say what was wrong (a generic lambda in
// receive, start arguments that do not fit init).
//
// Two halves. Compiled normally, this file is Catch2 tests of what now works.
// Compiled with -DOTP_TRAP_CASE=<n> -fsyntax-only (tests/faults/
// CMakeLists.txt), it is one small program per trap that must NOT compile,
// and CTest checks that the compiler says the static_assert's message
// (case 0 is the control: the same program without a trap compiles).

#if defined(OTP_TRAP_CASE)

#include "behaviours/gen_server.hpp"
#include "framework/otp.hpp"

#include <string>

namespace trap {

struct tick {};
struct tock {};

#if OTP_TRAP_CASE == 0 // control: every construct below, done right
class server : public otp::gen_server<server> {
public:
  using info_types = otp::types<tick, tock>;
  otp::init_result init(int) { return ok(); }
  otp::cast_result handle_info(const tick&) { return noreply(); }
  otp::cast_result handle_info(const tock&) { return noreply(); }
  void terminate(const otp::exit_reason&) {}
};
inline void use() {
  (void)server::start_link(1);
  otp::receive([](const tick&) {}, [](otp::any_message) {});
}
#elif OTP_TRAP_CASE == 1 // several handle_info overloads, no info_types
class server : public otp::gen_server<server> {
public:
  otp::cast_result handle_info(const tick&) { return noreply(); }
  otp::cast_result handle_info(const tock&) { return noreply(); }
};
inline void use() {
  (void)server::start_link();
}
#elif OTP_TRAP_CASE == 2 // a terminate that would never be called
class server : public otp::gen_server<server> {
public:
  void terminate() {}
};
inline void use() {
  (void)server::start_link();
}
#elif OTP_TRAP_CASE == 3 // a generic lambda in receive
inline void use() {
  otp::receive([](const auto&) {});
}
#elif OTP_TRAP_CASE == 4 // init(int) started with a string
class server : public otp::gen_server<server> {
public:
  otp::init_result init(int) { return ok(); }
};
inline void use() {
  (void)server::start_link("forty-two");
}
#endif

} // namespace trap

#else // the Catch2 tests

#include "behaviours/gen_server.hpp"
#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/log_capture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace std::chrono_literals;

namespace {

struct tick {};
struct ticked {
  int n;
};

/// One typed handle_info and no info_types: it ticks every 5 ms through
/// send_after and reports each tick to `observer`.
class ticker : public otp::gen_server<ticker> {
public:
  otp::init_result init(otp::pid observer) {
    observer_ = observer;
    otp::send_after(otp::self(), 5ms, tick{});
    return ok();
  }
  otp::cast_result handle_info(const tick&) {
    otp::send(observer_, ticked{++n_});
    if (n_ < 3)
      otp::send_after(otp::self(), 5ms, tick{});
    return noreply();
  }

private:
  otp::pid observer_;
  int n_ = 0;
};

/// One handle_info for EXIT only, no info_types.
class watcher : public otp::gen_server<watcher> {
public:
  otp::init_result init(otp::pid observer) {
    observer_ = observer;
    otp::trap_exit(true);
    return ok();
  }
  otp::cast_result handle_info(const otp::exit_message& m) {
    otp::send(observer_, m);
    return noreply();
  }

private:
  otp::pid observer_;
};

std::optional<int> next_tick() {
  return otp::receive([](ticked t) { return std::optional<int>(t.n); },
                      otp::after(5s, [] { return std::optional<int>(); }));
}

} // namespace

TEST_CASE("a GenServer with one typed handle_info and no info_types gets the "
          "messages of that type, a send_after tick included",
          "[faults][traps][sem:42]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = ticker::start_link(otp::self());
    REQUIRE(r.ok());
    CHECK(next_tick() == 1);
    CHECK(next_tick() == 2);
    CHECK(next_tick() == 3);
    otp::stop(otp::server<ticker>(r.pid()));
  });
  REQUIRE(otp_test::all_exited(rt));
  CHECK(logs.count(otp::log_level::warning, "unexpected message") == 0);
}

TEST_CASE("a GenServer whose only handle_info takes exit_message gets a "
          "linked process's EXIT without listing it",
          "[faults][traps][sem:42]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto r = watcher::start(otp::self());
    REQUIRE(r.ok());
    const otp::pid server = r.pid();
    const auto why = otp::exit_reason::user("friend_died");
    auto friend_ = otp::spawn_monitor([server, why] {
      otp::link(server);
      otp::exit(why);
    });
    otp::receive([](otp::down_message) {});
    auto got = otp::receive(
        [](otp::exit_message m) { return std::optional(m); },
        otp::after(5s, [] { return std::optional<otp::exit_message>(); }));
    REQUIRE(got);
    CHECK(got->from == friend_.pid);
    CHECK(got->reason == why);
    otp::stop(otp::server<watcher>(server));
  });
  REQUIRE(otp_test::all_exited(rt));
  CHECK(logs.count(otp::log_level::warning, "unexpected message") == 0);
}

#endif
