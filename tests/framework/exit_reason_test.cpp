// exit_reason: every kind constructs, compares, prints, is (not) silent and
// survives a JSON round trip; malformed JSON is rejected with the field name.

#include "framework/exit_reason.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using otp::exit_reason;
using kind = otp::exit_reason::kind;

namespace {

struct example {
  exit_reason reason;
  kind expected_kind;
  std::string text;
  bool silent;
};

/// One reason of every kind, with how it must print.
std::vector<example> every_kind() {
  return {
      {exit_reason::normal(), kind::normal, "normal", true},
      {exit_reason::shutdown(), kind::shutdown, "shutdown", true},
      {exit_reason::shutdown("db_down"), kind::shutdown, "{shutdown,db_down}",
       true},
      {exit_reason::kill(), kind::kill, "kill", false},
      {exit_reason::killed(), kind::killed, "killed", false},
      {exit_reason::noproc(), kind::noproc, "noproc", false},
      {exit_reason::timeout(), kind::timeout, "timeout", false},
      {exit_reason::exception("std::runtime_error", "oops"), kind::exception,
       R"({exception,std::runtime_error,"oops"})", false},
      {exit_reason::user("boom"), kind::user, "boom", false},
      {exit_reason::wrap(exit_reason::timeout(), "2"), kind::wrapped,
       "{timeout,2}", false},
      // Elixir's zip_input_on_exit: {:exit, {input, reason}}.
      {exit_reason::with_input("2", exit_reason::timeout()), kind::wrapped,
       "{2,timeout}", false},
  };
}

std::string printed(const exit_reason& r) {
  std::ostringstream os;
  os << r;
  return os.str();
}

/// The `what()` of the `std::invalid_argument` that `from_json` throws for
/// `j`, or a note saying it threw nothing / something else.
std::string from_json_error(const nlohmann::json& j) {
  try {
    exit_reason r;
    otp::from_json(j, r);
    return "<no exception; got " + r.to_string() + ">";
  } catch (const std::invalid_argument& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<wrong exception type: ") + e.what() + ">";
  }
}

} // namespace

TEST_CASE("a default exit reason is normal", "[framework][exit_reason]") {
  const exit_reason r;
  CHECK(r.what_kind() == kind::normal);
  CHECK(r.is_normal());
  CHECK(r == exit_reason::normal());
  CHECK(r.detail().empty());
  CHECK(r.exception_type().empty());
}

TEST_CASE("every kind of exit reason constructs and prints Erlang-like",
          "[framework][exit_reason]") {
  for (const example& ex : every_kind()) {
    INFO("expected " << ex.text);
    CHECK(ex.reason.what_kind() == ex.expected_kind);
    CHECK(ex.reason.to_string() == ex.text);
    CHECK(printed(ex.reason) == ex.text);
    CHECK(ex.reason.is_normal() == (ex.expected_kind == kind::normal));
  }
}

TEST_CASE("an exit reason carries its detail, exception type and user text",
          "[framework][exit_reason]") {
  CHECK(exit_reason::shutdown("db_down").detail() == "db_down");
  CHECK(exit_reason::shutdown().detail().empty());

  const auto ex = exit_reason::exception("std::logic_error", "bad state");
  CHECK(ex.exception_type() == "std::logic_error");
  CHECK(ex.detail() == "bad state");

  CHECK(exit_reason::user("boom").detail() == "boom");
  CHECK(exit_reason::user("boom").exception_type().empty());
  CHECK(exit_reason::killed().detail().empty());
}

TEST_CASE("only normal, shutdown and {shutdown, detail} are silent",
          "[framework][exit_reason]") {
  for (const example& ex : every_kind()) {
    INFO(ex.text);
    CHECK(ex.reason.is_silent() == ex.silent);
  }
}

TEST_CASE("exit reasons are equal exactly when kind and payload are equal",
          "[framework][exit_reason]") {
  const auto all = every_kind();
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = 0; j < all.size(); ++j) {
      INFO(all[i].text << " vs " << all[j].text);
      CHECK((all[i].reason == all[j].reason) == (i == j));
    }
  }

  CHECK(exit_reason::shutdown("a") == exit_reason::shutdown("a"));
  CHECK(exit_reason::shutdown("a") != exit_reason::shutdown("b"));
  CHECK(exit_reason::exception("A", "x") == exit_reason::exception("A", "x"));
  CHECK(exit_reason::exception("A", "x") != exit_reason::exception("B", "x"));
  CHECK(exit_reason::exception("A", "x") != exit_reason::exception("A", "y"));
  CHECK(exit_reason::user("boom") != exit_reason::user("bang"));
  CHECK(exit_reason::user("boom") != exit_reason::shutdown("boom"));

  const exit_reason original = exit_reason::exception("E", "what");
  const exit_reason copy = original; // NOLINT(performance-unnecessary-copy*)
  CHECK(copy == original);
  CHECK(copy.detail() == "what");
}

TEST_CASE("with_input is a wrapped reason that names its input first",
          "[framework][exit_reason]") {
  const auto r = exit_reason::with_input("\"b\"", exit_reason::user("boom"));
  CHECK(r.input_first());
  CHECK(r.inner() == exit_reason::user("boom"));
  CHECK(r.where() == "\"b\"");
  CHECK(r.root() == exit_reason::user("boom"));
  CHECK(r.exception_type().empty());
  CHECK_FALSE(exit_reason::wrap(exit_reason::user("boom"), "b").input_first());
  CHECK_FALSE(exit_reason::user("boom").input_first());
}

TEST_CASE("the kinds have names", "[framework][exit_reason]") {
  CHECK(std::string(otp::to_string(kind::normal)) == "normal");
  CHECK(std::string(otp::to_string(kind::shutdown)) == "shutdown");
  CHECK(std::string(otp::to_string(kind::kill)) == "kill");
  CHECK(std::string(otp::to_string(kind::killed)) == "killed");
  CHECK(std::string(otp::to_string(kind::noproc)) == "noproc");
  CHECK(std::string(otp::to_string(kind::timeout)) == "timeout");
  CHECK(std::string(otp::to_string(kind::exception)) == "exception");
  CHECK(std::string(otp::to_string(kind::user)) == "user");
}

TEST_CASE("every kind of exit reason survives a JSON round trip",
          "[framework][exit_reason]") {
  for (const example& ex : every_kind()) {
    INFO(ex.text);
    const nlohmann::json j = ex.reason;
    CHECK(j.is_object());
    CHECK(j.at("kind") == otp::to_string(ex.expected_kind));
    const auto back = j.get<exit_reason>();
    CHECK(back == ex.reason);

    // Through text as well, as a log shipper would see it.
    const auto reparsed = nlohmann::json::parse(j.dump()).get<exit_reason>();
    CHECK(reparsed == ex.reason);
  }
}

TEST_CASE("reasons with empty text survive a JSON round trip",
          "[framework][exit_reason]") {
  // An empty detail is still a detail: `{shutdown, ""}` must not come back
  // as plain `shutdown` (or else the two must compare equal).
  const std::vector<exit_reason> edge_cases = {exit_reason::shutdown(""),
                                               exit_reason::user(""),
                                               exit_reason::exception("", "")};
  for (const exit_reason& r : edge_cases) {
    INFO(r.to_string());
    const nlohmann::json j = r;
    INFO(j.dump());
    CHECK(j.get<exit_reason>() == r);
  }
}

TEST_CASE("an exception reason serialises its type and what()",
          "[framework][exit_reason]") {
  const nlohmann::json j =
      exit_reason::exception("std::runtime_error", "disk \"full\"");
  CHECK(j
        == nlohmann::json{{"kind", "exception"},
                          {"type", "std::runtime_error"},
                          {"what", "disk \"full\""}});
}

TEST_CASE("from_json rejects malformed input with invalid_argument naming "
          "the bad field",
          "[framework][exit_reason]") {
  using Catch::Matchers::Contains;
  using nlohmann::json;

  SECTION("not an object") {
    CHECK_THROWS_AS(json::array({1, 2}).get<exit_reason>(),
                    std::invalid_argument);
    CHECK_THROWS_AS(json("normal").get<exit_reason>(), std::invalid_argument);
  }
  SECTION("kind missing") {
    CHECK_THAT(from_json_error(json::object()), Contains("kind"));
  }
  SECTION("kind not a string") {
    CHECK_THAT(from_json_error(json{{"kind", 42}}), Contains("kind"));
  }
  SECTION("kind unknown") {
    CHECK_THAT(from_json_error(json{{"kind", "bogus"}}), Contains("kind"));
  }
  SECTION("exception without what") {
    CHECK_THAT(from_json_error(json{{"kind", "exception"}, {"type", "E"}}),
               Contains("what"));
  }
  SECTION("a wrapped reason with a non-boolean input_first") {
    CHECK_THAT(from_json_error(json{{"kind", "wrapped"},
                                    {"inner", json{{"kind", "timeout"}}},
                                    {"where", "2"},
                                    {"input_first", "yes"}}),
               Contains("input_first"));
  }
  SECTION("exception with a non-string type") {
    CHECK_THAT(from_json_error(
                   json{{"kind", "exception"}, {"type", 7}, {"what", "x"}}),
               Contains("type"));
  }
}
