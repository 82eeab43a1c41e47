// Shutdown timeouts at the edges: a timeout of milliseconds::max() (which is
// otp::infinity) saturates instead of overflowing into "kill at once", in a
// Supervisor's terminate_child and in a DynamicSupervisor's own shutdown;
// shutdown values print as Erlang prints them [sem:64, 82].

#include "support.hpp"

#include <catch2/catch.hpp>

using namespace sup_test;
namespace dyn = otp::dynamic_supervisor;

namespace {

/// A child that traps exits and takes `takes` to shut down, then exits with
/// `shutdown`: only a kill can end it earlier.
otp::child_spec slow_to_stop(std::chrono::milliseconds takes) {
  otp::child_spec s{.id = "slow"};
  s.shutdown = otp::child_shutdown::timeout(std::chrono::milliseconds::max());
  s.start = [takes] {
    return otp::start_link({}, [takes](otp::starter& st) {
      otp::trap_exit(true);
      st.ack();
      otp::receive([](otp::exit_message&&) {});
      otp::sleep(takes); // the clean-up it needs before it can go
      otp::exit(otp::exit_reason::shutdown());
    });
  };
  return s;
}

bool any_error_mentions(const otp_test::log_capture& logs,
                        const std::string& text) {
  for (const auto& e : logs.events(otp::log_level::error))
    if (e.text.find(text) != std::string::npos)
      return true;
  return false;
}

} // namespace

TEST_CASE("a shutdown timeout of milliseconds::max() lets a Supervisor's "
          "child finish instead of killing it at once",
          "[supervision][sem:64]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  bool finished = false;
  rt.run([&] {
    auto sup = otp::supervisor::start_link({slow_to_stop(50ms)});
    REQUIRE(sup.ok());
    const otp::ref mon = otp::monitor(pid_of(sup.pid(), "slow"));
    REQUIRE(otp::supervisor::terminate_child(sup.pid(), "slow").ok());
    CHECK(down_reason(mon) == otp::exit_reason::shutdown());
    CHECK_FALSE(any_error_mentions(logs, "shutdown_error"));
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
    finished = true;
  });
  CHECK(finished);
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a shutdown timeout of milliseconds::max() lets a "
          "DynamicSupervisor's children finish when it stops",
          "[supervision][dynamic][sem:82]") {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  bool finished = false;
  rt.run([&] {
    auto sup = dyn::start_link();
    REQUIRE(sup.ok());
    auto c = dyn::start_child(sup.pid(), slow_to_stop(50ms));
    REQUIRE(c.ok());
    const otp::ref mon = otp::monitor(c.pid());
    REQUIRE(otp::supervisor::try_stop(sup.pid()).ok());
    CHECK(down_reason(mon) == otp::exit_reason::shutdown());
    CHECK_FALSE(any_error_mentions(logs, "shutdown_error"));
    finished = true;
  });
  CHECK(finished);
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a shutdown value prints as Erlang prints it: brutal_kill, "
          "milliseconds, or infinity",
          "[supervision][sem:64]") {
  using otp::child_shutdown;
  CHECK(child_shutdown::brutal_kill().to_string() == "brutal_kill");
  CHECK(child_shutdown::timeout(5000ms).to_string() == "5000");
  CHECK(child_shutdown::timeout(0ms).to_string() == "0");
  CHECK(child_shutdown::infinity().to_string() == "infinity");
  CHECK(child_shutdown::timeout(otp::infinity).to_string() == "infinity");
  // The bad value of `{invalid_shutdown,-5}` is shown as given.
  CHECK(child_shutdown::timeout(-5ms).to_string() == "-5");
}
