// A call whose request cannot be built: the request's copy or move
// constructor throws between call_begin and the wait (building the request,
// or moving it into its envelope). The exception reaches the caller, and
// nothing of the call is left behind: no active alias, no monitor on the
// server, no DOWN in the caller's mailbox when the server ends later, and
// the server never sees a request. The same for start_link whose argument
// cannot be moved into the new process.

#include "framework/detail/process.hpp"
#include "framework/otp.hpp"

#include "support/eventually.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace {

/// A request whose copy always throws and whose move throws once
/// `moves_left` moves have been made.
struct fragile {
  int moves_left = 0;
  explicit fragile(int moves) : moves_left(moves) {}
  fragile(const fragile&) { throw std::runtime_error("fragile: copy"); }
  fragile(fragile&& o) : moves_left(o.moves_left - 1) {
    if (moves_left < 0)
      throw std::runtime_error("fragile: move");
  }
  fragile& operator=(const fragile&) = delete;
  fragile& operator=(fragile&&) = delete;
  ~fragile() = default;
};

struct stop {};

/// Aliases of the calling process that are still active (white-box: the
/// leak has no other effect a test could see than memory and a reply that
/// could still arrive).
std::size_t active_aliases() {
  otp::detail::process* p = otp::detail::current_process();
  otp::detail::process_extras& x = p->extras();
  return (x.alias_slot != 0 ? 1 : 0) + x.aliases.size();
}

/// Nothing arrives within a bound that lets a stray DOWN or EXIT land.
bool nothing_within(std::chrono::steady_clock::duration d = 100ms) {
  return !otp::receive([](const otp::any_message&) { return true; },
                       otp::after(d, [] { return false; }));
}

/// A server that counts the `fragile` requests it sees, answers `int`
/// requests with n + 1, and ends on `stop`.
otp::pid counting_server(std::atomic<int>& seen) {
  return otp::spawn([&seen] {
    for (bool on = true; on;) {
      otp::receive(
          [&](otp::call_request<fragile>&&) { ++seen; },
          [](otp::call_request<int>&& r) { otp::reply(r.from, r.request + 1); },
          [&](stop) { on = false; });
    }
  });
}

/// The server has no watcher left and ends; the caller's mailbox stays
/// empty even after a bound that lets a stray DOWN arrive.
void check_nothing_left(const otp::pid& server) {
  const auto info = otp::process_info(server);
  REQUIRE(info.has_value());
  CHECK(info->monitored_by.empty());
  CHECK(active_aliases() == 0);
  otp::send(server, stop{});
  CHECK(otp_test::eventually([&] { return !otp::alive(server); }));
  CHECK(nothing_within());
  CHECK(otp::message_queue_len() == 0);
}

} // namespace

TEST_CASE("a try_call whose request copy throws leaves no alias, monitor or "
          "DOWN behind and the server never sees it",
          "[faults][call]") {
  otp::runtime rt{{.threads = 2}};
  std::atomic<int> seen{0};
  rt.run([&] {
    const otp::pid server = counting_server(seen);
    const fragile request(5);
    CHECK_THROWS_WITH(otp::try_call<int>(server, request), "fragile: copy");
    CHECK_THROWS_WITH(otp::try_call<int>(server, request, otp::infinity),
                      "fragile: copy");
    CHECK(otp::message_queue_len() == 0);
    // The server still serves calls that can be made.
    CHECK(otp::call<int>(server, 41) == 42);
    check_nothing_left(server);
  });
  CHECK(seen == 0);
}

TEST_CASE("a call whose request copy throws propagates the exception and "
          "leaves nothing behind",
          "[faults][call]") {
  otp::runtime rt{{.threads = 2}};
  std::atomic<int> seen{0};
  rt.run([&] {
    const otp::pid server = counting_server(seen);
    otp::register_name("call_faults_server", server);
    const fragile request(5);
    CHECK_THROWS_WITH(otp::call<int>(server, request), "fragile: copy");
    CHECK_THROWS_WITH(otp::call<int>("call_faults_server", request, 1s),
                      "fragile: copy");
    check_nothing_left(server);
  });
  CHECK(seen == 0);
}

TEST_CASE("a call whose request move throws, while building the request or "
          "moving it into its envelope, leaves nothing behind",
          "[faults][call]") {
  otp::runtime rt{{.threads = 2}};
  std::atomic<int> seen{0};
  rt.run([&] {
    const otp::pid server = counting_server(seen);
    // 0: the first move (building the request) throws; 1: the move into
    // the envelope throws, after the request was built.
    for (int moves : {0, 1}) {
      CAPTURE(moves);
      CHECK_THROWS_WITH(otp::try_call<int>(server, fragile(moves)),
                        "fragile: move");
      CHECK_THROWS_WITH(otp::call<int>(server, fragile(moves)),
                        "fragile: move");
      CHECK(otp::message_queue_len() == 0);
    }
    check_nothing_left(server);
  });
  CHECK(seen == 0);
}

TEST_CASE("many throwing calls in a row leak nothing and a trapping caller "
          "gets no stray message",
          "[faults][call]") {
  otp::runtime rt{{.threads = 2}};
  std::atomic<int> seen{0};
  rt.run([&] {
    otp::trap_exit(true);
    const otp::pid server = counting_server(seen);
    for (int i = 0; i < 200; ++i)
      CHECK_THROWS(otp::try_call<int>(server, fragile(i % 2)));
    check_nothing_left(server);
  });
  CHECK(seen == 0);
}

TEST_CASE("a start_link whose argument cannot be moved into the new process "
          "leaves no alias, link or DOWN behind",
          "[faults][call][start]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    otp::trap_exit(true);
    // Somewhere between the caller and the child the argument is moved a
    // few times; whichever move throws, nothing may stay behind.
    int threw = 0;
    for (int moves = 0; moves < 8; ++moves) {
      CAPTURE(moves);
      try {
        const otp::start_result r = otp::start_link(
            {}, [](otp::starter& s, fragile&) { s.ack(); }, fragile(moves));
        REQUIRE(r.ok());
        // It started: its normal exit arrives as an EXIT (we trap).
        CHECK(otp::receive_as<otp::exit_message>(5s).has_value());
      } catch (const std::runtime_error& e) {
        ++threw;
        CHECK(std::string(e.what()) == "fragile: move");
      }
      CHECK(active_aliases() == 0);
    }
    CHECK(threw > 0);
    CHECK(nothing_within());
    CHECK(otp::message_queue_len() == 0);
  });
}
