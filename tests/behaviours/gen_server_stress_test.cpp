// GenServer under load and in races: many concurrent clients, a reply racing
// its timeout, stop racing a call, and a server killed during a call. In
// every case a call returns its reply or an error, never both, and leaves no
// stray reply in the caller's mailbox [sem:31, 32, 45].
//
// OTP_TEST_SCALE scales the sizes (tests/support/scale.hpp).

#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

using namespace std::chrono_literals;

namespace {

struct bump {
  std::uint64_t client;
  std::uint64_t seq;
};
struct total {};
struct slow {
  std::chrono::microseconds d;
  int v;
};
struct sync_up {};

/// Answers each bump with a value only that call can expect, and counts
/// them.
class tally : public otp::gen_server<tally> {
public:
  otp::init_result init() { return ok(); }
  otp::call_result<std::uint64_t> handle_call(const bump& b) {
    ++count_;
    return reply(b.client * 1'000'000 + b.seq);
  }
  otp::call_result<std::uint64_t> handle_call(const total&) {
    return reply(count_);
  }
  otp::call_result<int> handle_call(const slow& s) {
    otp::sleep(s.d);
    return reply(s.v);
  }
  otp::call_result<int> handle_call(const sync_up&) { return reply(0); }

private:
  std::uint64_t count_ = 0;
};

/// What a client reports when it is done.
struct client_done {
  std::uint64_t good = 0;
  std::uint64_t bad = 0;
  std::size_t stray = 0;
};

/// What one raced call ended with.
struct race_outcome {
  bool replied = false;
  bool clean_error = false; // an error of the expected kinds
  std::size_t stray = 0;    // messages left in the caller's mailbox
};

otp::server<tally> start_tally() {
  auto r = tally::start();
  REQUIRE(r.ok());
  return otp::server<tally>::of(r);
}

} // namespace

TEST_CASE("a thousand concurrent clients get every reply exactly once",
          "[gen_server][stress][sem:32]") {
  const std::size_t clients = gst::scaled(1000);
  const std::size_t calls = gst::scaled(100);
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_tally();
    const otp::pid test = otp::self();
    for (std::uint64_t c = 0; c < clients; ++c)
      otp::spawn([s, test, c, calls] {
        client_done d;
        for (std::uint64_t i = 0; i < calls; ++i) {
          auto r = otp::try_call(s, bump{c, i});
          if (r.ok() && *r == c * 1'000'000 + i)
            ++d.good;
          else
            ++d.bad;
        }
        d.stray = otp::message_queue_len();
        otp::send(test, d);
      });
    std::uint64_t good = 0;
    std::uint64_t bad = 0;
    std::size_t stray = 0;
    for (std::size_t c = 0; c < clients; ++c) {
      auto d = gst::next<client_done>(20s);
      REQUIRE(d);
      good += d->good;
      bad += d->bad;
      stray += d->stray;
    }
    CHECK(good == clients * calls);
    CHECK(bad == 0);
    CHECK(stray == 0);
    CHECK(otp::call(s, total{}) == clients * calls);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt, 10s));
}

TEST_CASE("a reply racing the call timeout is returned or dropped but never "
          "left in the mailbox",
          "[gen_server][stress][sem:31][sem:45]") {
  const std::size_t rounds = gst::scaled(400);
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    auto s = start_tally();
    std::size_t replied = 0;
    std::size_t timed_out = 0;
    for (std::size_t i = 0; i < rounds; ++i) {
      // The server answers after 0 to 4 ms; the caller waits 2 ms.
      const auto d = std::chrono::microseconds((i * 7919) % 4000);
      auto r = otp::try_call(s, slow{d, static_cast<int>(i)}, 2ms);
      if (r.ok()) {
        REQUIRE(*r == static_cast<int>(i));
        ++replied;
      } else {
        REQUIRE(gst::is_call_failure(r.error(), otp::exit_reason::timeout()));
        ++timed_out;
      }
      // Once the server has answered a later call, a late reply to this
      // one was sent (or not); either way it must not be here.
      REQUIRE(otp::call(s, sync_up{}) == 0);
      REQUIRE(otp::message_queue_len() == 0);
    }
    CHECK(replied + timed_out == rounds);
    UNSCOPED_INFO("replied " << replied << " timed out " << timed_out);
    CHECK(replied > 0);
    CHECK(timed_out > 0);
    otp::stop(s);
  });
  REQUIRE(otp_test::all_exited(rt));
}

namespace {

/// One round of a call racing `disturb(server)`, run from another process:
/// the caller reports how its call ended and what was left in its mailbox.
template <class Disturb>
race_outcome race_call(std::size_t i, const otp::exit_reason& expected,
                       Disturb disturb) {
  auto s = start_tally();
  const otp::pid test = otp::self();
  const auto d = std::chrono::microseconds((i * 7919) % 300);
  auto caller = otp::spawn_monitor([s, test, d, expected] {
    race_outcome o;
    auto r = otp::try_call(s, slow{d, 1});
    o.replied = r.ok() && *r == 1;
    if (!r.ok())
      o.clean_error =
          gst::is_call_failure(r.error(), expected)
          || gst::is_call_failure(r.error(), otp::exit_reason::noproc());
    // The server is gone or answered: nothing more may come.
    auto m = otp::monitor(s.whereis());
    otp::receive(
        otp::guard([&](const otp::down_message& x) { return x.monitor == m; },
                   [](otp::down_message&&) {}));
    o.stray = otp::message_queue_len();
    otp::send(test, o);
  });
  // Vary who goes first.
  for (std::size_t k = 0; k < i % 3; ++k)
    otp::yield();
  disturb(s);
  auto o = gst::next<race_outcome>();
  REQUIRE(o);
  REQUIRE(gst::down_reason(caller.monitor) == otp::exit_reason::normal());
  return *o;
}

} // namespace

TEST_CASE("stop racing a call gives the reply or a normal exit error and no "
          "stray message",
          "[gen_server][stress][sem:32][sem:40]") {
  const std::size_t rounds = gst::scaled(1000);
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    std::size_t replied = 0;
    for (std::size_t i = 0; i < rounds; ++i) {
      auto o = race_call(i, otp::exit_reason::normal(),
                         [](const otp::server<tally>& s) {
                           REQUIRE(otp::try_stop(s.ref()).ok());
                         });
      REQUIRE((o.replied || o.clean_error));
      REQUIRE(o.stray == 0);
      replied += o.replied ? 1 : 0;
    }
    UNSCOPED_INFO("replied " << replied << " of " << rounds);
    CHECK(replied <= rounds);
  });
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("a server killed during a call fails it with killed and leaves no "
          "stray message",
          "[gen_server][stress][sem:32]") {
  const std::size_t rounds = gst::scaled(1000);
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  rt.run([&] {
    for (std::size_t i = 0; i < rounds; ++i) {
      auto o = race_call(
          i, otp::exit_reason::killed(), [](const otp::server<tally>& s) {
            const otp::pid p = s.whereis();
            auto m = otp::monitor(p);
            otp::exit(p, otp::exit_reason::kill());
            REQUIRE(gst::down_reason(m) == otp::exit_reason::killed());
          });
      REQUIRE((o.replied || o.clean_error));
      REQUIRE(o.stray == 0);
    }
  });
  REQUIRE(otp_test::all_exited(rt));
}
