// Ten thousand processes linked in a chain die as one: kill an end, or let
// one in the middle crash, and every process exits with that reason
// [sem:4, 7].

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace {

struct tail_is {
  otp::pid pid;
};
struct middle_is {
  otp::pid pid;
};

/// One link of the chain: spawn_link the rest, report the middle and the
/// tail, wait; crash on `crash`.
void chain_link(otp::pid observer, std::size_t index, std::size_t length) {
  if (index == length / 2)
    otp::send(observer, middle_is{otp::self()});
  if (index + 1 < length)
    otp::spawn_link(chain_link, observer, index + 1, length);
  else
    otp::send(observer, tail_is{otp::self()});
  otp::receive([](sig::crash) { throw std::runtime_error("chain broke"); });
}

enum class breaker { kill_head, kill_tail, crash_middle };

} // namespace

TEST_CASE("a chain of ten thousand linked processes dies as one",
          "[signals][links][chains][stress][sem:4][sem:7]") {
  const breaker how =
      GENERATE(breaker::kill_head, breaker::kill_tail, breaker::crash_middle);
  sig::log_capture logs; // every link dies with the crash reason
  otp::runtime rt{{.threads = 2}};
  const std::size_t length = sig::scaled(10'000);
  std::size_t during = 0;
  otp::exit_reason head_reason;
  otp::exit_reason tail_reason;
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto head =
        otp::spawn_monitor(chain_link, me, std::size_t{0}, length);
    const otp::pid tail =
        otp::receive([](tail_is&& t) { return std::move(t.pid); });
    const otp::pid middle =
        otp::receive([](middle_is&& m) { return std::move(m.pid); });
    const otp::ref tail_mon = otp::monitor(tail);
    during = rt.process_count();
    switch (how) {
    case breaker::kill_head:
      otp::exit(head.pid, otp::exit_reason::kill());
      break;
    case breaker::kill_tail:
      otp::exit(tail, otp::exit_reason::kill());
      break;
    case breaker::crash_middle:
      otp::send(middle, sig::crash{});
      break;
    }
    head_reason = sig::down_reason(head.monitor, 20s).value();
    tail_reason = sig::down_reason(tail_mon, 20s).value();
    CHECK(sig::settles(rt, 1, 20s)); // only this process is left
  });
  CHECK(during == length + 1);
  const otp::exit_reason expected =
      how == breaker::crash_middle
          ? otp::exit_reason::exception("std::runtime_error", "chain broke")
          : otp::exit_reason::killed();
  CHECK(head_reason == expected);
  CHECK(tail_reason == expected);
  REQUIRE(sig::settles(rt));
}
