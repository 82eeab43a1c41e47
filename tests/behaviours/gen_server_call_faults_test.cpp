// GenServer calls and timeouts at the edges: a request whose copy throws
// leaves nothing behind (call and send_request), a dropped request id is
// abandoned, timeouts of any duration saturate (call, idle timeout) and
// print as Erlang prints them [sem:29, 30, 45].

#include "behaviours/request_id.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace {

/// A request whose copy constructor throws when asked to (its move never
/// does): building the call message from an lvalue copies it.
struct fragile {
  bool fail_copy = false;

  fragile() = default;
  explicit fragile(bool fail) : fail_copy(fail) {}
  fragile(const fragile& o) : fail_copy(o.fail_copy) {
    if (o.fail_copy)
      throw std::runtime_error("fragile: copy failed");
  }
  fragile(fragile&&) noexcept = default;
  fragile& operator=(const fragile&) = default;
  fragile& operator=(fragile&&) noexcept = default;
};

struct get {};
struct slow {
  std::chrono::milliseconds d;
};
struct crash {};

class holder : public otp::gen_server<holder> {
public:
  otp::init_result init(int v) {
    v_ = v;
    return ok();
  }
  otp::call_result<int> handle_call(const get&) { return reply(v_); }
  otp::call_result<int> handle_call(const fragile&) { return reply(-v_); }
  otp::call_result<int> handle_call(const slow& s) {
    otp::sleep(s.d);
    return reply(v_);
  }
  otp::call_result<int> handle_call(const crash&) {
    return stop(otp::exit_reason::user("crashed"));
  }

private:
  int v_ = 0;
};

/// After `s` was stopped: nothing (no reply, no DOWN) arrives within a
/// bounded wait.
bool mailbox_stays_empty() {
  return !gst::eventually([] { return otp::message_queue_len() > 0; }, 100ms)
         && otp::message_queue_len() == 0;
}

template <class F>
void in_runtime(F fn) {
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  bool finished = false; // set only if `fn` ran to its end
  const otp::exit_reason r = rt.run([&] {
    fn();
    finished = true;
  });
  CHECK(r == otp::exit_reason::normal());
  CHECK(finished);
  CHECK(otp_test::all_exited(rt));
}

} // namespace

TEST_CASE("a GenServer call whose request copy throws leaves no alias, "
          "monitor or DOWN behind",
          "[gen_server][sem:30]") {
  in_runtime([] {
    auto s = otp::server<holder>::of(holder::start(7));
    const fragile bad(true);
    CHECK_THROWS_AS(otp::try_call(s, bad), std::runtime_error);
    CHECK_THROWS_AS(otp::call(s, bad, 1s), std::runtime_error);
    // The server never saw a half-built request and still serves.
    const fragile good(false);
    CHECK(otp::call(s, good) == -7);
    CHECK(otp::call(s, get{}) == 7);
    otp::stop(s);
    // A monitor left behind would bring the server's DOWN now.
    CHECK(mailbox_stays_empty());
  });
}

TEST_CASE("send_request whose request copy throws leaves no alias, monitor "
          "or DOWN behind",
          "[gen_server][sem:45]") {
  in_runtime([] {
    auto s = otp::server<holder>::of(holder::start(7));
    const fragile bad(true);
    CHECK_THROWS_AS(otp::send_request(s, bad), std::runtime_error);
    CHECK(otp::call(s, get{}) == 7);
    otp::stop(s);
    CHECK(mailbox_stays_empty());
  });
}

TEST_CASE("a GenServer call with an hours::max() or 1000-year timeout waits "
          "for a reply that comes after 50 ms",
          "[gen_server][sem:30]") {
  in_runtime([] {
    auto s = otp::server<holder>::of(holder::start(7));
    const auto t0 = std::chrono::steady_clock::now();
    const otp::result<int> forever =
        otp::try_call(s, slow{50ms}, std::chrono::hours::max());
    REQUIRE(forever.ok());
    CHECK(*forever == 7);
    CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);
    CHECK(otp::call(s, slow{50ms}, std::chrono::years(1000)) == 7);
    CHECK(otp::call(s, slow{50ms}, otp::infinity) == 7);
    // A floating-point duration is a timeout too.
    CHECK(otp::call(s, get{}, std::chrono::duration<double>(5.0)) == 7);
    otp::stop(s);
  });
}

TEST_CASE("a failed GenServer call prints an infinite timeout as infinity "
          "and a finite one in milliseconds",
          "[gen_server][sem:30]") {
  in_runtime([] {
    auto s = otp::server<holder>::of(holder::start(7));
    const otp::result<int> r =
        otp::try_call(s, crash{}, std::chrono::hours::max());
    REQUIRE_FALSE(r.ok());
    CHECK(gst::is_call_failure(r.error(), otp::exit_reason::user("crashed")));
    CHECK(r.error().where().find(",infinity]}") != std::string::npos);

    const otp::result<int> late =
        otp::try_call(otp::server<holder>(otp::pid{}), get{}, 1500us);
    REQUIRE_FALSE(late.ok());
    CHECK(late.error().where().find(",2]}") != std::string::npos);
  });
}

TEST_CASE("a dropped request id is abandoned: neither its reply nor a DOWN "
          "reaches the mailbox",
          "[gen_server][sem:45]") {
  in_runtime([] {
    auto s = otp::server<holder>::of(holder::start(7));
    {
      auto id = otp::send_request(s, get{});
      CHECK(id.pending());
    } // dropped unanswered
    // Overwriting a pending id abandons it too.
    auto id = otp::send_request(s, slow{1ms});
    id = otp::send_request(s, get{});
    const otp::result<int> r = otp::receive_response(id, 5s);
    REQUIRE(r.ok());
    CHECK(*r == 7);
    // The server answers this call after both abandoned requests: their
    // replies were sent by then, to aliases that were off.
    CHECK(otp::call(s, get{}) == 7);
    CHECK(otp::message_queue_len() == 0);
    otp::stop(s);
    CHECK(mailbox_stays_empty());
  });
}

TEST_CASE("receive_response takes any duration: hours::max() waits for a "
          "reply that comes after 50 ms",
          "[gen_server][sem:45]") {
  in_runtime([] {
    auto s = otp::server<holder>::of(holder::start(7));
    auto id = otp::send_request(s, slow{50ms});
    const otp::result<int> r =
        otp::receive_response(id, std::chrono::hours::max());
    REQUIRE(r.ok());
    CHECK(*r == 7);
    otp::stop(s);
  });
}

namespace {

/// Which idle timeout `init` and the casts arm.
enum class idle_kind { infinity, hours_max, years_1000, ten_s, fifty_ms };

struct rearm {
  idle_kind k;
};

/// Arms the idle timeout it is told to, from `init` and from a cast, and
/// tells its observer when one fires.
class idler : public otp::gen_server<idler> {
public:
  using info_types = otp::types<otp::server_timeout>;

  otp::init_result init(otp::pid observer, idle_kind k) {
    observer_ = observer;
    return ok(arm(k));
  }
  otp::cast_result handle_cast(const rearm& r) { return noreply(arm(r.k)); }
  otp::cast_result handle_info(const otp::server_timeout&) {
    otp::send(observer_, gst::reached{"timeout"});
    return noreply();
  }

private:
  static otp::server_action arm(idle_kind k) {
    switch (k) {
    case idle_kind::infinity:
      return timeout(otp::infinity);
    case idle_kind::hours_max:
      return timeout(std::chrono::hours::max());
    case idle_kind::years_1000:
      return timeout(std::chrono::years(1000));
    case idle_kind::ten_s:
      return timeout(10s);
    case idle_kind::fifty_ms:
      break;
    }
    return timeout(50ms);
  }

  otp::pid observer_;
};

} // namespace

TEST_CASE("a GenServer idle timeout of infinity or hours::max() never fires, "
          "while one of 50 ms does",
          "[gen_server][sem:29]") {
  const idle_kind k = GENERATE(idle_kind::infinity, idle_kind::hours_max,
                               idle_kind::years_1000);
  in_runtime([k] {
    // From init (`{ok, S, infinity}`).
    auto s = otp::server<idler>::of(idler::start(otp::self(), k));
    REQUIRE(s.whereis());
    CHECK_FALSE(gst::wait_reached("timeout", 100ms));
    // From a callback (`{noreply, S, infinity}`), replacing a finite one.
    otp::cast(s, rearm{idle_kind::ten_s});
    otp::cast(s, rearm{k});
    CHECK_FALSE(gst::wait_reached("timeout", 100ms));
    // The finite one still fires.
    otp::cast(s, rearm{idle_kind::fifty_ms});
    CHECK(gst::wait_reached("timeout", 5s));
    otp::stop(s);
  });
}
