// The GenServer failure matrix: each callback (init, handle_call,
// handle_cast, handle_info, handle_continue, terminate) raising, returning
// stop, or returning an empty (bad) result. For each: the exit reason, the
// caller's error, whether terminate ran, what a linked trapping parent and a
// monitor see, and whether a crash report was logged [sem:23, 32, 37, 41].

#include "support.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

enum class where { init, call, cast, info, cont, terminate };
enum class how { raise, stop, bad };

const char* to_string(where w) {
  switch (w) {
  case where::init:
    return "init";
  case where::call:
    return "handle_call";
  case where::cast:
    return "handle_cast";
  case where::info:
    return "handle_info";
  case where::cont:
    return "handle_continue";
  case where::terminate:
    return "terminate";
  }
  return "?";
}

/// One row of the matrix.
struct row {
  where w;
  how h;
  otp::exit_reason reason; // for how::stop
  std::string name() const {
    std::ostringstream os;
    os << to_string(w) << ' '
       << (h == how::raise  ? "raises"
           : h == how::stop ? "returns stop " + reason.to_string()
                            : "returns an empty result");
    return os.str();
  }
};

struct go {};
struct trigger {};
struct start_continue {};
struct cont {};
/// What the parent saw: the start outcome, then the EXIT.
struct start_outcome {
  bool ok;
  otp::exit_reason reason;
};
struct parent_saw {
  otp::exit_reason reason;
};

/// Fails where and how it is told. init says hello to the observer and
/// waits for `go`, so that the test can monitor it first.
class faulty : public otp::gen_server<faulty> {
public:
  using info_types = otp::types<trigger>;

  otp::init_result init(otp::pid observer, where w, how h,
                        otp::exit_reason reason) {
    observer_ = observer;
    where_ = w;
    how_ = h;
    reason_ = std::move(reason);
    otp::send(observer_, gst::hello{otp::self()});
    otp::receive([](go) {});
    if (where_ == where::init) {
      if (how_ == how::raise)
        throw std::runtime_error("init failed");
      if (how_ == how::stop)
        return stop(reason_);
      return {};
    }
    return ok();
  }
  otp::call_result<int> handle_call(const trigger&) {
    if (how_ == how::raise)
      throw std::runtime_error("handle_call failed");
    if (how_ == how::stop)
      return stop(reason_);
    return {};
  }
  otp::cast_result handle_cast(const trigger&) { return fail("handle_cast"); }
  otp::cast_result handle_info(const trigger&) { return fail("handle_info"); }
  otp::cast_result handle_cast(const start_continue&) {
    return noreply(continue_with(cont{}));
  }
  otp::cast_result handle_continue(const cont&) {
    return fail("handle_continue");
  }
  void terminate(const otp::exit_reason& r) {
    otp::send(observer_, gst::terminated{otp::self(), r});
    if (where_ == where::terminate)
      throw std::runtime_error("terminate failed");
  }

private:
  otp::cast_result fail(const char* what) {
    if (where_ == where::terminate) // stop normally, terminate raises
      return stop(otp::exit_reason::normal());
    if (how_ == how::raise)
      throw std::runtime_error(std::string(what) + " failed");
    if (how_ == how::stop)
      return stop(reason_);
    return {};
  }

  otp::pid observer_;
  where where_ = where::init;
  how how_ = how::raise;
  otp::exit_reason reason_;
};

std::vector<row> matrix() {
  std::vector<row> rows;
  const std::vector<otp::exit_reason> stops{
      otp::exit_reason::normal(), otp::exit_reason::shutdown(),
      otp::exit_reason::shutdown("detail"), otp::exit_reason::user("boom")};
  for (where w :
       {where::init, where::call, where::cast, where::info, where::cont}) {
    rows.push_back({w, how::raise, {}});
    for (const auto& r : stops)
      rows.push_back({w, how::stop, r});
    rows.push_back({w, how::bad, {}});
  }
  rows.push_back({where::terminate, how::raise, {}});
  return rows;
}

/// The reason the server must end with.
bool expected_reason(const row& r, const otp::exit_reason& got) {
  switch (r.h) {
  case how::raise:
    return got.what_kind() == otp::exit_reason::kind::exception
           && got.detail() == std::string(to_string(r.w)) + " failed";
  case how::stop:
    return got == r.reason;
  case how::bad:
    return got.what_kind() == otp::exit_reason::kind::bad_return_value;
  }
  return false;
}

/// Spawn a trapping parent that start_links a `faulty` server, reports the
/// start outcome, then the EXIT it gets from the server.
otp::pid spawn_parent(otp::pid test, const row& r) {
  return otp::spawn([test, r] {
    otp::trap_exit(true);
    auto s = faulty::start_link(test, r.w, r.h, r.reason);
    otp::send(test, start_outcome{s.ok(), s.error()});
    otp::receive(
        [&](otp::exit_message&& m) { otp::send(test, parent_saw{m.reason}); });
  });
}

} // namespace

TEST_CASE("the failure matrix of GenServer callbacks",
          "[gen_server][failures][sem:23][sem:32][sem:37][sem:41]") {
  const row r = GENERATE(from_range(matrix()));
  otp::runtime rt{{.threads = 2}};
  otp_test::log_capture logs;
  otp::pid server;
  rt.run([&] {
    INFO(r.name());
    const otp::pid test = otp::self();
    spawn_parent(test, r);
    auto hello = gst::next<gst::hello>();
    REQUIRE(hello);
    server = hello->who;
    const otp::ref m = otp::monitor(server);
    otp::send(server, go{});
    auto started = gst::next<start_outcome>();
    REQUIRE(started);

    std::optional<otp::result<int>> called;
    if (r.w == where::init) {
      CHECK_FALSE(started->ok);
      CHECK(expected_reason(r, started->reason));
    } else {
      REQUIRE(started->ok);
      const otp::server<faulty> s(server);
      switch (r.w) {
      case where::call:
        called = otp::try_call(s, trigger{});
        break;
      case where::info:
        otp::send(server, trigger{});
        break;
      case where::cont:
        otp::cast(s, start_continue{});
        break;
      default:
        otp::cast(s, trigger{});
        break;
      }
    }

    auto down = gst::down_reason(m);
    REQUIRE(down);
    CHECK(expected_reason(r, *down));
    auto saw = gst::next<parent_saw>();
    REQUIRE(saw);
    CHECK(saw->reason == *down);
    if (called) {
      REQUIRE_FALSE(called->ok());
      CHECK(gst::is_call_failure(called->error(), *down));
    }
    // terminate: never after a failed init; otherwise once, with the reason
    // (before the one it raised itself).
    auto ran = gst::take_queued<gst::terminated>();
    if (r.w == where::init) {
      CHECK(ran.empty());
    } else {
      REQUIRE(ran.size() == 1);
      if (r.w == where::terminate)
        CHECK(ran[0].reason == otp::exit_reason::normal());
      else
        CHECK(ran[0].reason == *down);
    }
    // A crash report exactly for the reasons that are not silent.
    const auto reports = logs.events(otp::log_level::error);
    std::size_t about_server = 0;
    for (const auto& e : reports)
      if (e.who == server)
        ++about_server;
    CHECK(about_server == (down->is_silent() ? 0u : 1u));
  });
  REQUIRE(otp_test::all_exited(rt));
}
