#pragma once
/// \file request_id.hpp
/// Asynchronous calls to a GenServer (`gen_server:send_request/2`,
/// `receive_response/2`) and `multi_call` on this node.
///
/// ```cpp
/// auto id = otp::send_request(server, get{});   // returns at once
/// /* ... other work ... */
/// otp::result<int> r = otp::receive_response(id, 100ms);
/// ```
///
/// - `send_request` monitors the server, sends the request and returns; the
///   reply waits in the mailbox until `receive_response` takes it.
/// - `receive_response(id, timeout)` returns the reply, or the failure
///   `{Reason,{GenServer,receive_response,[Server,Request,Timeout]}}`
///   (`noproc`, the server's exit reason, `timeout`). On a timeout the
///   request is abandoned: its alias is turned off and its monitor removed,
///   so a late reply never shows up in the mailbox. A request id answers
///   once; afterwards it is spent (`std::logic_error`).
/// - `multi_call(nodes, name, request)`: this runtime is the one node,
///   `nonode@nohost` (Erlang's name for a node without distribution). It
///   calls the server registered as `name` here; other node names, and this
///   one if the name is not registered or the call fails, land in
///   `bad_nodes`.
///
/// Use a request id only in the process that made it.

#include "behaviours/gen_server.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace otp {

/// The name of this (non-distributed) node.
inline constexpr const char* this_node = "nonode@nohost";

/// An outstanding request whose reply is an `R`.
template <class R>
class request_id {
public:
  request_id() = default;
  request_id(request_id&&) noexcept = default;
  request_id& operator=(request_id&&) noexcept = default;

  /// Internal: made by `send_request`.
  request_id(detail::call_state st, server_ref to, const std::type_info* req,
             exit_reason early)
      : st_(std::move(st)),
        to_(std::move(to)),
        req_(req),
        early_(std::move(early)),
        live_(true) {}

  /// Whether the reply is still to be received.
  bool pending() const noexcept { return live_; }

  /// See `receive_response`.
  result<R> receive(std::chrono::milliseconds timeout) {
    if (!live_)
      throw std::logic_error("otp::receive_response: this request id was "
                             "already answered or abandoned");
    live_ = false;
    exit_reason err = early_;
    if (st_.target) {
      if (detail::envelope* e = detail::call_wait(st_, timeout, err))
        return detail::take_reply<R>(e);
    }
    return detail::call_failure(
        std::move(err), {"GenServer", "receive_response"}, to_, *req_, timeout);
  }

private:
  detail::call_state st_;
  server_ref to_;
  const std::type_info* req_ = nullptr;
  exit_reason early_;
  bool live_ = false;
};

/// `gen_server:send_request/2`: send `request` to `to` and return at once.
template <class S, class Req>
  requires handles_call<S, std::remove_cvref_t<Req>>
      request_id<call_reply_t<S, std::remove_cvref_t<Req>>>
      send_request(const server<S>& to, Req&& request) {
    using Q = std::remove_cvref_t<Req>;
    using P = detail::call_protocol<S, Q>;
    detail::call_state st;
    exit_reason err;
    if (detail::call_begin(to.ref(), st, err))
      detail::push(st.target.get(),
                   detail::make_protocol_envelope<P>(
                       from(st.alias), std::forward<Req>(request)));
    else
      st.target = {};
    return {std::move(st), to.ref(), &typeid(Q), std::move(err)};
  }

/// `gen_server:receive_response/2`: wait up to `timeout` for the reply of
/// `id` (see the file comment).
template <class R>
result<R> receive_response(
    request_id<R>& id,
    std::chrono::milliseconds timeout = std::chrono::milliseconds::max()) {
  return id.receive(timeout);
}

/// What `multi_call` gathered: `{Replies, BadNodes}`.
template <class R>
struct multi_call_result {
  std::vector<std::pair<std::string, R>> replies;
  std::vector<std::string> bad_nodes;
};

/// `gen_server:multi_call(Nodes, Name, Request, Timeout)` (see the file
/// comment). Never exits the caller.
template <class S, class Req>
  requires handles_call<S, std::remove_cvref_t<Req>>
      multi_call_result<call_reply_t<S, std::remove_cvref_t<Req>>>
      multi_call(const std::vector<std::string>& nodes, const std::string& name,
                 const Req& request,
                 std::chrono::milliseconds timeout =
                     std::chrono::milliseconds::max()) {
    multi_call_result<call_reply_t<S, std::remove_cvref_t<Req>>> out;
    for (const std::string& node : nodes) {
      if (node != this_node) {
        out.bad_nodes.push_back(node);
        continue;
      }
      auto r = try_call(server<S>(name), request, timeout);
      if (r.ok())
        out.replies.emplace_back(node, std::move(*r));
      else
        out.bad_nodes.push_back(node);
    }
    return out;
  }

/// `gen_server:multi_call(Name, Request)`: every known node, i.e. this one.
template <class S, class Req>
  requires handles_call<S, std::remove_cvref_t<Req>>
auto multi_call(
    const std::string& name, const Req& request,
    std::chrono::milliseconds timeout = std::chrono::milliseconds::max()) {
  return multi_call<S>(std::vector<std::string>{this_node}, name, request,
                       timeout);
}

} // namespace otp
