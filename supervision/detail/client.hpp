#pragma once
/// \file detail/client.hpp
/// The client side shared by every supervisor kind: one call per request
/// (`try_call`, so nothing throws), the reply unpacked into the result the
/// public function documents.

#include "framework/call.hpp"
#include "framework/result.hpp"
#include "framework/server_ref.hpp"
#include "framework/start.hpp"

#include <chrono>
#include <utility>

namespace otp::detail::sup {

/// Call `sup` with `req`, expecting a reply of type `R`.
template <class R, class Req>
result<R> sup_call(const server_ref& sup, Req&& req,
                   std::chrono::milliseconds timeout, const char* module,
                   const char* function) {
  return otp::try_call<R>(sup, std::forward<Req>(req), timeout,
                          call_site{module, function});
}

/// A call replying `start_result`: the reply, or the call failure.
inline start_result flat_start(result<start_result>&& r) {
  if (!r.ok())
    return start_result::error(r.error());
  return std::move(*r);
}

/// A call replying `result<void>`: the reply, or the call failure.
inline result<void> flat_void(result<result<void>>&& r) {
  if (!r.ok())
    return r.error();
  return *r;
}

} // namespace otp::detail::sup
