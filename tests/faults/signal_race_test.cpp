// A process observed dead through a signal is dead for `alive` too: once a
// DOWN or an EXIT with noproc can be received, `alive(pid)` is false
// (Erlang orders is_process_alive after the signals it has seen).

#include "framework/otp.hpp"

#include "support/scale.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace std::chrono_literals;

TEST_CASE("after a DOWN for a process that was ending, alive() is false",
          "[faults][race][sem:12]") {
  otp::runtime rt{{.threads = 2}};
  const std::size_t rounds = otp_test::scaled(20'000);
  std::size_t alive_after_down = 0;
  std::size_t noproc = 0;
  rt.run([&] {
    for (std::size_t i = 0; i < rounds; ++i) {
      // Spawned from another thread's process now and then, so that the
      // monitor request races the exit.
      const otp::pid p = otp::spawn([] {});
      const otp::ref m = otp::monitor(p);
      const auto d = otp::receive_as<otp::down_message>(5s);
      REQUIRE(d.has_value());
      REQUIRE(d->monitor == m);
      noproc += d->reason == otp::exit_reason::noproc() ? 1 : 0;
      alive_after_down += otp::alive(p) ? 1 : 0;
    }
  });
  CHECK(alive_after_down == 0);
  CHECK(noproc > 0); // the race was met
}

TEST_CASE("after an EXIT noproc from a link to a process that was ending, "
          "alive() is false",
          "[faults][race]") {
  otp::runtime rt{{.threads = 2}};
  const std::size_t rounds = otp_test::scaled(20'000);
  std::size_t alive_after_exit = 0;
  rt.run([&] {
    otp::trap_exit(true);
    for (std::size_t i = 0; i < rounds; ++i) {
      const otp::pid p = otp::spawn([] {});
      otp::link(p);
      const auto e = otp::receive_as<otp::exit_message>(5s);
      REQUIRE(e.has_value());
      alive_after_exit += otp::alive(p) ? 1 : 0;
    }
  });
  CHECK(alive_after_exit == 0);
}
