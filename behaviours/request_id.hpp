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
///   once; afterwards it is spent (`std::logic_error`). Dropping a request
///   id without receiving abandons it the same way (RAII for what OTP does
///   on a timeout): neither the reply nor a DOWN ever arrives.
/// - Timeouts are any `std::chrono::duration`, saturated as in
///   framework/call.hpp (`otp::infinity`, `hours::max()`: never).
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

/// An outstanding request whose reply is an `R`. Move-only; dropping (or
/// overwriting) one whose reply was not received abandons it, as a
/// `receive_response` timeout does: the alias is turned off, so the reply is
/// dropped, and the monitor is removed with its DOWN, so nothing about the
/// request ever reaches the mailbox afterwards.
template <class R>
class request_id {
public:
  request_id() = default;
  request_id(request_id&& o) noexcept
      : st_(std::move(o.st_)),
        to_(std::move(o.to_)),
        req_(o.req_),
        early_(std::move(o.early_)),
        live_(std::exchange(o.live_, false)) {}
  request_id& operator=(request_id&& o) noexcept {
    if (this != &o) {
      abandon();
      st_ = std::move(o.st_);
      to_ = std::move(o.to_);
      req_ = o.req_;
      early_ = std::move(o.early_);
      live_ = std::exchange(o.live_, false);
    }
    return *this;
  }
  ~request_id() { abandon(); }

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
  template <class Rep, class Period>
  result<R> receive(std::chrono::duration<Rep, Period> timeout) {
    if (!live_)
      throw std::logic_error("otp::receive_response: this request id was "
                             "already answered or abandoned");
    const std::chrono::milliseconds ms =
        detail::timeout_ms(timeout, "otp::receive_response: timeout");
    live_ = false;
    exit_reason err = early_;
    if (st_.target) {
      if (detail::envelope* e = detail::call_wait(st_, ms, err))
        return detail::take_reply<R>(e);
    }
    return detail::call_failure(
        std::move(err), {"GenServer", "receive_response"}, to_, *req_, ms);
  }

private:
  /// Turn off the alias and remove the monitor of an open request.
  void abandon() noexcept {
    live_ = false;
    if (!st_.open)
      return;
    try {
      detail::call_abandon(st_);
    } catch (...) {
      // Only outside the process that made the request (a misuse): there
      // is nothing left to clean up from here.
    }
  }

  detail::call_state st_;
  server_ref to_;
  const std::type_info* req_ = nullptr;
  exit_reason early_;
  bool live_ = false;
};

/// `gen_server:send_request/2`: send `request` to `to` and return at once.
/// If building the request throws (its copy or move constructor), the
/// exception propagates and leaves no alias, monitor or DOWN behind.
template <class S, class Req>
  requires handles_call<S, std::remove_cvref_t<Req>>
      request_id<call_reply_t<S, std::remove_cvref_t<Req>>>
      send_request(const server<S>& to, Req&& request) {
    using Q = std::remove_cvref_t<Req>;
    using R = call_reply_t<S, Q>;
    using P = detail::call_protocol<S, Q>;
    server_ref ref = to.ref(); // copied before anything is set up
    detail::call_state st;
    exit_reason err;
    if (detail::call_begin(ref, st, err)) {
      detail::call_guard guard(st);
      detail::push(st.target.get(),
                   detail::make_protocol_envelope<P>(
                       from(st.alias), std::forward<Req>(request)));
      // Moving `st` into the id closes it here: the guard has nothing left.
      return request_id<R>(std::move(st), std::move(ref), &typeid(Q), {});
    }
    st.target = {};
    return request_id<R>(std::move(st), std::move(ref), &typeid(Q),
                         std::move(err));
  }

/// `gen_server:receive_response/2`: wait up to `timeout` (any duration,
/// saturated; infinite by default) for the reply of `id` (see the file
/// comment).
template <class R, class Rep = detail::ms_rep, class Period = detail::ms_period>
result<R> receive_response(request_id<R>& id,
                           std::chrono::duration<Rep, Period> timeout =
                               std::chrono::milliseconds::max()) {
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
template <class S, class Req, class Rep = detail::ms_rep,
          class Period = detail::ms_period>
  requires handles_call<S, std::remove_cvref_t<Req>>
      multi_call_result<call_reply_t<S, std::remove_cvref_t<Req>>>
      multi_call(const std::vector<std::string>& nodes, const std::string& name,
                 const Req& request,
                 std::chrono::duration<Rep, Period> timeout =
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
template <class S, class Req, class Rep = detail::ms_rep,
          class Period = detail::ms_period>
  requires handles_call<S, std::remove_cvref_t<Req>>
auto multi_call(const std::string& name, const Req& request,
                std::chrono::duration<Rep, Period> timeout =
                    std::chrono::milliseconds::max()) {
  return multi_call<S>(std::vector<std::string>{this_node}, name, request,
                       timeout);
}

} // namespace otp
