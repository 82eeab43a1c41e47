// Aliases: an address of a process that can be turned off; messages sent to
// an inactive alias are dropped, which is how a late reply is discarded
// [sem:21].

#include "framework/otp.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

struct reply {
  int value;
};

} // namespace

TEST_CASE("a message sent to an active alias arrives like any message",
          "[signals][aliases][sem:21]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::alias_ref a = otp::alias();
    CHECK(a.pid == otp::self());
    CHECK(a.id);
    otp::spawn([a] { otp::send(a, reply{7}); });
    const auto r = otp::receive([](reply m) { return m.value; },
                                otp::after(5s, [] { return -1; }));
    CHECK(r == 7);
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a message sent to a deactivated alias is silently dropped",
          "[signals][aliases][sem:21]") {
  otp::runtime rt{{.threads = 2}};
  const auto payload = std::make_shared<const int>(1);
  std::size_t replies_kept = 99;
  rt.run([&] {
    const otp::pid me = otp::self();
    const otp::alias_ref a = otp::alias();
    CHECK(otp::unalias(a));
    // A late reply through the alias, then a plain message as a barrier:
    // same sender, so once the barrier is here the reply has been handled.
    otp::spawn([a, me, payload] {
      otp::send(a, reply{1});
      otp::send(a, payload);
      otp::send(me, sig::go{});
    });
    REQUIRE(otp::receive_as<sig::go>(5s).has_value());
    replies_kept = sig::take_queued<reply>().size();
    CHECK(otp::message_queue_len() == 0);
  });
  CHECK(replies_kept == 0);
  REQUIRE(sig::settles(rt));
  CHECK(payload.use_count() == 1); // dropped means destroyed
}

TEST_CASE("messages that arrived while the alias was active stay after "
          "unalias",
          "[signals][aliases][sem:21]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::alias_ref a = otp::alias();
    const auto sender = otp::spawn_monitor([a] { otp::send(a, reply{5}); });
    REQUIRE(sig::down_reason(sender.monitor).has_value());
    CHECK(otp::unalias(a));
    CHECK(otp::receive_as<reply>(0ms).has_value());
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("unalias returns false for an alias that is not active or not "
          "the caller's, and aliases are independent",
          "[signals][aliases][sem:21]") {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::alias_ref a = otp::alias();
    const otp::alias_ref b = otp::alias();
    CHECK(a.id != b.id);
    CHECK(otp::unalias(a));
    CHECK_FALSE(otp::unalias(a));
    // b still works after a was turned off.
    otp::send(b, reply{2});
    CHECK(otp::receive_as<reply>(5s).has_value());

    const otp::pid me = otp::self();
    const otp::pid other = otp::spawn([me] {
      otp::send(me, otp::alias());
      otp::receive([](sig::go) {});
    });
    const auto foreign = otp::receive_as<otp::alias_ref>(5s);
    REQUIRE(foreign.has_value());
    CHECK(foreign->pid == other);
    CHECK_FALSE(otp::unalias(*foreign)); // not ours
    otp::send(other, sig::go{});
    CHECK(otp::unalias(b));
  });
  REQUIRE(sig::settles(rt));
}

TEST_CASE("a message sent to an alias of a dead process is dropped",
          "[signals][aliases][sem:21][sem:15]") {
  otp::runtime rt{{.threads = 2}};
  const auto payload = std::make_shared<const int>(1);
  const auto reason = rt.run([&] {
    const otp::pid me = otp::self();
    const auto owner =
        otp::spawn_monitor([me] { otp::send(me, otp::alias()); });
    const auto a = otp::receive_as<otp::alias_ref>(5s);
    REQUIRE(a.has_value());
    REQUIRE(sig::down_reason(owner.monitor).has_value());
    otp::send(*a, payload);
    otp::send(otp::alias_ref{}, payload); // the null alias
  });
  CHECK(reason == otp::exit_reason::normal());
  CHECK(payload.use_count() == 1);
  REQUIRE(sig::settles(rt));
}
