// runtime_options::exception_traces: a process that ends by an exception
// carries the stack that threw it, and its crash report prints it; off by
// default; a rethrow keeps the first throw's stack; one process's throws
// never lend their stack to another's reason.

#include "framework/otp.hpp"

#include "support/log_capture.hpp"
#include "support/waits.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

otp::runtime_options traced() {
  return {.threads = 2, .exception_traces = true};
}

// Named so that the trace can be checked for them; noinline so that they
// are frames of their own.
[[gnu::noinline]] void parse_config_entry(int n) {
  if (n >= 0)
    throw std::runtime_error("bad entry " + std::to_string(n));
}

[[gnu::noinline]] void load_config() {
  parse_config_entry(3);
  otp::receive([](int) {}); // not reached; keeps the call a real frame
}

[[gnu::noinline]] void catch_and_rethrow() {
  try {
    load_config();
  } catch (const std::runtime_error&) {
    // An unrelated throw, caught here, must not replace the first stack.
    try {
      throw std::logic_error("unrelated");
    } catch (const std::logic_error&) {
    }
    throw;
  }
}

/// The DOWN reason of a process running `fn`.
template <class F>
otp::exit_reason reason_of(F fn) {
  auto [p, mon] = otp::spawn_monitor(fn);
  auto r = otp_test::down_reason(mon);
  REQUIRE(r);
  return *r;
}

} // namespace

TEST_CASE("with exception_traces an exception reason carries the throwing "
          "stack, innermost first",
          "[framework][exception_trace]") {
  otp_test::log_capture logs;
  otp::runtime rt{traced()};
  rt.run([] {
    const auto r = reason_of([] { load_config(); });
    CHECK(r.what_kind() == otp::exit_reason::kind::exception);
    CHECK(r.detail() == "bad entry 3");
    REQUIRE_FALSE(r.stack_trace().empty());
    const std::string text = r.stack_trace_text();
    INFO(text);
    // The first frame is the function that threw, then its caller.
    const auto first_line = text.substr(0, text.find('\n'));
    CHECK_THAT(first_line, Contains("#0") && Contains("parse_config_entry"));
    CHECK_THAT(text, Contains("load_config"));
    CHECK(text.find("parse_config_entry") < text.find("load_config"));
    // Diagnostic only: equality ignores it.
    CHECK(r
          == otp::exit_reason::exception("std::runtime_error", "bad entry 3"));
  });
}

TEST_CASE("the crash report of a traced exception prints the stack",
          "[framework][exception_trace]") {
  otp_test::log_capture logs;
  otp::runtime rt{traced()};
  rt.run([] { (void)reason_of([] { load_config(); }); });
  CHECK(logs.count(otp::log_level::error, "raised an exception") == 1);
  CHECK(logs.count(otp::log_level::error, "#0 ") == 1);
  CHECK(logs.count(otp::log_level::error, "parse_config_entry") == 1);
}

TEST_CASE("a rethrow keeps the stack of the first throw",
          "[framework][exception_trace]") {
  otp_test::log_capture logs;
  otp::runtime rt{traced()};
  rt.run([] {
    const auto r = reason_of([] { catch_and_rethrow(); });
    CHECK(r.detail() == "bad entry 3");
    const std::string text = r.stack_trace_text();
    INFO(text);
    CHECK_THAT(text.substr(0, text.find('\n')), Contains("parse_config_entry"));
  });
}

TEST_CASE("without exception_traces no stack is recorded",
          "[framework][exception_trace]") {
  otp_test::log_capture logs;
  otp::runtime rt{{.threads = 2}};
  rt.run([] {
    const auto r = reason_of([] { load_config(); });
    CHECK(r.detail() == "bad entry 3");
    CHECK(r.stack_trace().empty());
    CHECK(r.stack_trace_text().empty());
  });
  CHECK(logs.count(otp::log_level::error, "#0 ") == 0);
}

TEST_CASE("a thrown value that is no std::exception is traced too",
          "[framework][exception_trace]") {
  otp_test::log_capture logs;
  otp::runtime rt{traced()};
  rt.run([] {
    const auto r = reason_of([] { throw 42; });
    CHECK(r.detail() == "nocatch: 42");
    CHECK_FALSE(r.stack_trace().empty());
  });
}

TEST_CASE("one process's throws never lend their stack to another's reason",
          "[framework][exception_trace]") {
  otp_test::log_capture logs;
  otp::runtime rt{traced()};
  rt.run([] {
    // Another process throws and catches in a loop meanwhile.
    const otp::pid noisy = otp::spawn([] {
      for (;;) {
        try {
          throw std::runtime_error("caught");
        } catch (const std::runtime_error&) {
        }
        otp::sleep(0ms);
      }
    });
    for (int i = 0; i < 50; ++i) {
      const auto r = reason_of([] { load_config(); });
      const std::string text = r.stack_trace_text();
      INFO(text);
      CHECK_THAT(text.substr(0, text.find('\n')),
                 Contains("parse_config_entry"));
    }
    otp::exit(noisy, otp::exit_reason::kill());
  });
}

TEST_CASE("an exit reason's JSON lists the stack frames as text",
          "[framework][exception_trace]") {
  otp_test::log_capture logs;
  otp::runtime rt{traced()};
  rt.run([] {
    const auto r = reason_of([] { load_config(); });
    const nlohmann::json j = r;
    REQUIRE(j.contains("stack_trace"));
    REQUIRE(j["stack_trace"].is_array());
    // The frames of the process's code; the runtime's below are left out.
    CHECK(j["stack_trace"].size() >= 2);
    CHECK(j["stack_trace"].size() < r.stack_trace().size());
    CHECK_THAT(j["stack_trace"].back().get<std::string>(),
               !Contains("otp::detail::"));
    CHECK_THAT(j["stack_trace"][0].get<std::string>(),
               Contains("parse_config_entry"));
    // Read back, the reason is the same (the trace is not read).
    CHECK(j.get<otp::exit_reason>() == r);
  });
}
