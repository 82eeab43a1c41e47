#pragma once
/// \file registry.hpp
/// Named processes (docs/semantics.md items 15, 19): one name per process, one
/// process per name, released when the process ends. The registry belongs to
/// the runtime; these functions use the calling process's runtime (`runtime`
/// has the same operations for other threads).

#include "framework/message.hpp"
#include "framework/pid.hpp"

#include <string>
#include <vector>

namespace otp {

/// Register `p` as `name`. Throws `std::invalid_argument` naming the problem
/// if the name is taken, `p` already has a name, `p` is dead or null, or the
/// name is empty.
void register_name(const std::string& name, const pid& p);

/// Remove the name; throws `std::invalid_argument` if it is not registered.
void unregister_name(const std::string& name);

/// The process registered as `name`, or the null pid.
pid whereis(const std::string& name);

/// All registered names.
std::vector<std::string> registered();

namespace detail {
pid whereis_or_throw(const std::string& name);
}

/// Send to the process registered as `name`. Throws `std::invalid_argument`
/// ("no process registered as ...") if there is none, like Erlang's badarg;
/// sending to a registered process that then dies is silent.
template <class M>
void send(const std::string& name, M&& msg);

} // namespace otp

#include "framework/this_process.hpp"

template <class M>
void otp::send(const std::string& name, M&& msg) {
  otp::send(detail::whereis_or_throw(name), std::forward<M>(msg));
}
