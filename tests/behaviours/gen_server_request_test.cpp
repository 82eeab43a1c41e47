// send_request / receive_response and multi_call on this node [sem:45].

#include "behaviours/request_id.hpp"
#include "framework/otp.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct get {};
struct slow {
  std::chrono::milliseconds d;
};

class holder : public otp::gen_server<holder> {
public:
  otp::init_result init(int v) {
    v_ = v;
    return ok();
  }
  otp::call_result<int> handle_call(const get&) { return reply(v_); }
  otp::call_result<int> handle_call(const slow& s) {
    otp::sleep(s.d);
    return reply(v_);
  }

private:
  int v_ = 0;
};

template <class F>
void in_runtime(F fn) {
  otp::runtime rt;
  const otp::exit_reason r = rt.run(fn);
  REQUIRE(r == otp::exit_reason::normal());
}

} // namespace

TEST_CASE("send_request returns at once and receive_response takes the reply",
          "[gen_server][sem:45]") {
  in_runtime([] {
    auto s = otp::server<holder>::of(holder::start_link(7));
    auto id = otp::send_request(s, slow{20ms});
    CHECK(id.pending());
    const otp::result<int> r = otp::receive_response(id, 5s);
    REQUIRE(r.ok());
    CHECK(*r == 7);
    CHECK_FALSE(id.pending());
    CHECK_THROWS_AS(otp::receive_response(id, 0ms), std::logic_error);
    otp::stop(s);
  });
}

TEST_CASE("receive_response abandons a request on timeout and no stray reply "
          "arrives later",
          "[gen_server][sem:45]") {
  in_runtime([] {
    auto s = otp::server<holder>::of(holder::start_link(7));
    auto id = otp::send_request(s, slow{50ms});
    const otp::result<int> r = otp::receive_response(id, 5ms);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().inner().what_kind() == otp::exit_reason::kind::timeout);
    CHECK(r.error().where().find("receive_response") != std::string::npos);
    // The server answers the next call only after the abandoned one: its
    // reply was sent by then, and must have been dropped.
    CHECK(otp::call(s, get{}) == 7);
    CHECK(otp::message_queue_len() == 0);
    otp::stop(s);
  });
}

TEST_CASE("receive_response reports noproc for a request to a dead server",
          "[gen_server][sem:45]") {
  in_runtime([] {
    auto id = otp::send_request(otp::server<holder>("nobody"), get{});
    const otp::result<int> r = otp::receive_response(id, 1s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().inner().what_kind() == otp::exit_reason::kind::noproc);
  });
}

TEST_CASE("multi_call puts nodes without the name or unknown nodes in "
          "bad_nodes",
          "[gen_server][sem:45]") {
  in_runtime([] {
    auto none = otp::multi_call<holder>("holder", get{});
    CHECK(none.replies.empty());
    CHECK(none.bad_nodes == std::vector<std::string>{otp::this_node});

    auto s = otp::server<holder>::of(
        holder::start_link(otp::server_options{.name = "holder"}, 3));
    auto some = otp::multi_call<holder>(
        std::vector<std::string>{otp::this_node, "other@host"}, "holder", get{},
        1s);
    REQUIRE(some.replies.size() == 1);
    CHECK(some.replies[0].first == otp::this_node);
    CHECK(some.replies[0].second == 3);
    CHECK(some.bad_nodes == std::vector<std::string>{"other@host"});
    otp::stop(s);
  });
}
