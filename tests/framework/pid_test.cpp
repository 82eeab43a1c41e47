// pid: a printable, comparable, hashable value that is never reused.

#include "framework/otp.hpp"

#include "support/eventually.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

using otp_test::eventually;

namespace {

struct release {};

/// Spawn a process that waits for `release`; returns its pid.
otp::pid spawn_waiter(otp::runtime& rt) {
  return rt.spawn([] { otp::receive_as<release>(); });
}

} // namespace

TEST_CASE("the null pid prints as <undefined> and names no process",
          "[framework][pid]") {
  const otp::pid none;
  CHECK_FALSE(none);
  CHECK(none.serial() == 0);
  CHECK(none.to_string() == "<undefined>");
  std::ostringstream os;
  os << none;
  CHECK(os.str() == "<undefined>");
  CHECK(none == otp::pid{});
  CHECK_FALSE(otp::alive(none));
}

TEST_CASE("a pid prints as <0.N.0> where N is its serial", "[framework][pid]") {
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  const otp::pid p = spawn_waiter(rt);

  REQUIRE(p);
  const std::string text = p.to_string();
  std::smatch m;
  REQUIRE(std::regex_match(text, m, std::regex(R"(<0\.(\d+)\.0>)")));
  CHECK(std::stoull(m[1].str()) == p.serial());
  CHECK(p.serial() > 0);
  std::ostringstream os;
  os << p;
  CHECK(os.str() == text);

  otp::send(p, release{});
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("copies of a pid are equal, hash equally and keep the process's "
          "name after it exits",
          "[framework][pid]") {
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  const otp::pid p = spawn_waiter(rt);
  const std::string text = p.to_string();

  otp::pid copy = p;
  otp::pid assigned;
  assigned = p;
  CHECK(copy == p);
  CHECK(assigned == p);
  CHECK((copy <=> p) == std::strong_ordering::equal);
  CHECK(std::hash<otp::pid>{}(copy) == std::hash<otp::pid>{}(p));

  otp::pid moved = std::move(copy);
  CHECK(moved == p);
  CHECK_FALSE(copy); // NOLINT(bugprone-use-after-move): moved-from is null

  otp::send(p, release{});
  REQUIRE(eventually([&] { return !otp::alive(p); }));
  CHECK(moved == p);
  CHECK(p.to_string() == text);
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("pids of different processes differ and order by spawn time",
          "[framework][pid]") {
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  const otp::pid a = spawn_waiter(rt);
  const otp::pid b = spawn_waiter(rt);

  CHECK(a != b);
  CHECK(a < b);
  CHECK(b > a);
  CHECK(a.to_string() != b.to_string());
  CHECK(otp::pid{} < a);

  otp::send(a, release{});
  otp::send(b, release{});
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("pids work as keys of an unordered_set", "[framework][pid]") {
  otp::runtime rt{otp::runtime_options{.threads = 1}};
  std::vector<otp::pid> pids;
  for (int i = 0; i < 100; ++i)
    pids.push_back(spawn_waiter(rt));

  std::unordered_set<otp::pid> set(pids.begin(), pids.end());
  CHECK(set.size() == pids.size());
  for (const otp::pid& p : pids) {
    const otp::pid copy = p;
    CHECK(set.count(copy) == 1);
  }
  CHECK(set.count(otp::pid{}) == 0);

  for (const otp::pid& p : pids)
    otp::send(p, release{});
  REQUIRE(otp_test::all_exited(rt));
}

TEST_CASE("pids are never reused: serials only grow, even after processes "
          "exit",
          "[framework][pid]") {
  // Each child exits at once, so a runtime that recycled process slots would
  // hand the same slot out again and again; the serials must still grow.
  otp::runtime rt{otp::runtime_options{.threads = 2}};
  constexpr int n = 10'000;
  std::vector<otp::pid> pids;
  pids.reserve(n);

  const auto reason = rt.run([&] {
    for (int i = 0; i < n; ++i)
      pids.push_back(otp::spawn([] {}));
  });

  REQUIRE(reason == otp::exit_reason::normal());
  REQUIRE(pids.size() == n);
  bool increasing = true;
  for (std::size_t i = 1; i < pids.size(); ++i)
    increasing = increasing && pids[i - 1].serial() < pids[i].serial();
  CHECK(increasing);
  std::unordered_set<otp::pid> distinct(pids.begin(), pids.end());
  CHECK(distinct.size() == pids.size());
  std::unordered_set<std::string> names;
  for (const otp::pid& p : pids)
    names.insert(p.to_string());
  CHECK(names.size() == pids.size());
  REQUIRE(otp_test::all_exited(rt));
}
