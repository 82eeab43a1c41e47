#pragma once
/// \file detail/supervisor_server.hpp
/// The body of a static supervisor process (supervisor.hpp describes what it
/// does). Runs inside the process that `supervisor::start_link` starts.

#include "framework/start.hpp"
#include "supervision/child_spec.hpp"
#include "supervision/supervisor.hpp"

#include <vector>

namespace otp::detail::sup {

/// Check the children and options, start the children, acknowledge, serve.
/// Never returns normally: the supervisor ends by `otp::exit`.
void run_static(starter& s, std::vector<child_spec>& specs,
                const supervisor::options& opts, bool linked);

/// `{supervisor_data,...}` for bad options, or nothing.
std::optional<exit_reason> check_options(int max_restarts,
                                         std::chrono::seconds max_seconds);

} // namespace otp::detail::sup
