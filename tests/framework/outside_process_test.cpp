// The process-only functions throw std::logic_error naming themselves when
// called from a thread that is not a process; send and alive work anywhere.

#include "framework/otp.hpp"

#include "support/eventually.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

/// The `what()` of the `std::logic_error` that `fn` throws, or a note if it
/// threw nothing or something else.
template <class F>
std::string logic_error_of(F&& fn) {
  try {
    fn();
    return "<no exception>";
  } catch (const std::logic_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<wrong exception type: ") + e.what() + ">";
  }
}

} // namespace

TEST_CASE("process-only functions called outside a process throw a "
          "logic_error naming the function",
          "[framework][this_process]") {
  // A runtime exists, but this thread is not one of its processes.
  otp::runtime rt{otp::runtime_options{.threads = 1}};

  CHECK_THAT(logic_error_of([] { (void)otp::self(); }), Contains("self"));
  CHECK_THAT(logic_error_of([] { otp::receive([](int) {}); }),
             Contains("receive"));
  CHECK_THAT(logic_error_of([] { otp::receive([](int) {}, otp::after(0ms)); }),
             Contains("receive"));
  CHECK_THAT(logic_error_of([] { (void)otp::receive_as<int>(0ms); }),
             Contains("receive"));
  CHECK_THAT(logic_error_of([] { (void)otp::flush(); }), Contains("flush"));
  CHECK_THAT(logic_error_of([] {
               std::ostringstream os;
               (void)otp::flush(os);
             }),
             Contains("flush"));
  CHECK_THAT(logic_error_of([] { (void)otp::message_queue_len(); }),
             Contains("message_queue_len"));
  CHECK_THAT(logic_error_of([] { otp::yield(); }), Contains("yield"));
  CHECK_THAT(logic_error_of([] { otp::sleep(1ms); }), Contains("sleep"));
  CHECK_THAT(logic_error_of([] { otp::hibernate([] {}); }),
             Contains("hibernate"));
  CHECK_THAT(logic_error_of([] { (void)otp::spawn([] {}); }),
             Contains("spawn"));
  CHECK_THAT(logic_error_of([] { (void)otp::mark(); }), Contains("mark"));

  CHECK(rt.process_count() == 0);
}

TEST_CASE("process-only functions throw even when no runtime exists",
          "[framework][this_process]") {
  CHECK_THAT(logic_error_of([] { (void)otp::self(); }), Contains("self"));
  CHECK_THAT(logic_error_of([] { (void)otp::spawn([] {}); }),
             Contains("spawn"));
  CHECK_THAT(logic_error_of([] { otp::receive([](int) {}); }),
             Contains("receive"));
}

TEST_CASE("send and alive work from a thread that is not a process",
          "[framework][this_process]") {
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  std::atomic<int> got{0};
  const otp::pid p = rt.spawn([&got] { got = otp::receive_as<int>(); });
  CHECK(otp::alive(p));
  CHECK_NOTHROW(otp::send(p, 8));
  REQUIRE(otp_test::eventually([&] { return got.load() == 8; }));
  REQUIRE(otp_test::eventually([&] { return !otp::alive(p); }));
  CHECK(otp_test::all_exited(rt));
}
