// Scale: per-sender order under 1,000 concurrent senders [sem:16], and a
// million processes alive at once. Sizes scale with OTP_TEST_SCALE.

#include "framework/otp.hpp"

#include "support/eventually.hpp"
#include "support/scale.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using otp_test::eventually;
using otp_test::scaled;

namespace {

struct go {};
struct release {};
struct sequenced {
  std::uint32_t sender;
  std::uint32_t seq;
};

} // namespace

TEST_CASE("messages from each sender arrive in send order while a thousand "
          "senders interleave",
          "[framework][stress][sem:16]") {
  const std::size_t senders = scaled(1000);
  constexpr std::uint32_t per_sender = 1000;
  otp::runtime rt{otp::runtime_options{.threads = 2}};

  std::size_t received = 0;
  std::vector<std::uint32_t> next(senders, 0);
  std::string first_violation;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    std::vector<otp::pid> pids;
    pids.reserve(senders);
    for (std::size_t s = 0; s < senders; ++s)
      pids.push_back(otp::spawn(
          [me](std::uint32_t id) {
            otp::receive_as<go>();
            for (std::uint32_t i = 0; i < per_sender; ++i) {
              otp::send(me, sequenced{id, i});
              if (i % 64 == 63)
                otp::yield(); // let the other senders in between
            }
          },
          static_cast<std::uint32_t>(s)));
    // All senders start together, on both scheduler threads.
    for (const otp::pid& p : pids)
      otp::send(p, go{});
    const std::size_t total = senders * per_sender;
    while (received < total) {
      const bool got = otp::receive(
          [&](sequenced m) {
            if (m.seq != next[m.sender] && first_violation.empty()) {
              std::ostringstream os;
              os << "sender " << m.sender << ": got seq " << m.seq
                 << ", expected " << next[m.sender];
              first_violation = os.str();
            }
            next[m.sender] = m.seq + 1;
            ++received;
            return true;
          },
          otp::after(10s, [] { return false; }));
      if (!got)
        break; // lost messages; reported below
    }
  });

  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(first_violation == std::string());
  CHECK(received == senders * per_sender);
  std::size_t complete = 0;
  for (std::uint32_t n : next)
    complete += n == per_sender ? 1 : 0;
  CHECK(complete == senders);
  CHECK(otp_test::all_exited(rt, 10s));
}

TEST_CASE("messages between one pair of processes keep their order across "
          "threads",
          "[framework][stress][sem:16]") {
  // 100,000 messages on 2 threads; the receiver sleeps now and then so that
  // it is woken (and may be resumed on the other thread) mid-stream.
  const std::uint32_t n = static_cast<std::uint32_t>(scaled(100'000));
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  std::uint32_t in_order = 0;
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    otp::spawn([me, n] {
      for (std::uint32_t i = 0; i < n; ++i)
        otp::send(me, sequenced{0, i});
    });
    for (std::uint32_t i = 0; i < n; ++i) {
      const auto m = otp::receive_as<sequenced>(10s);
      if (!m || m->seq != i)
        break;
      ++in_order;
      if (i % 1000 == 0)
        otp::sleep(10us);
    }
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(in_order == n);
  CHECK(otp_test::all_exited(rt));
}

TEST_CASE("a million processes can be alive at once",
          "[framework][stress][slow]") {
  // Default options: a 64 KiB virtual stack per process of which a process
  // blocked in receive commits about one page, so 1M processes need a few
  // GB of RAM.
  const std::size_t n = scaled(1'000'000);
  otp::runtime rt;
  std::atomic<std::size_t> ready{0};
  std::size_t peak = 0;
  bool all_ready = false;
  bool all_gone = false;
  const auto reason = rt.run([&] {
    std::vector<otp::pid> children;
    children.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      children.push_back(otp::spawn([&ready] {
        ready.fetch_add(1, std::memory_order_relaxed);
        otp::receive_as<release>();
      }));
    all_ready = eventually([&] { return ready.load() == n; }, 120s);
    peak = rt.process_count(); // the children and this process
    for (const otp::pid& c : children)
      otp::send(c, release{});
    all_gone = eventually([&] { return rt.process_count() == 1; }, 120s);
  });
  REQUIRE(reason == otp::exit_reason::normal());
  CHECK(all_ready);
  CHECK(peak == n + 1);
  CHECK(all_gone);
  CHECK(otp_test::all_exited(rt));
}
