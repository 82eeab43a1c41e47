#pragma once
/// \file otp.hpp
/// Everything in `framework/`: include this one header to write processes.

#include "framework/blocking.hpp"
#include "framework/call.hpp"
#include "framework/exit_reason.hpp"
#include "framework/log.hpp"
#include "framework/message.hpp"
#include "framework/pid.hpp"
#include "framework/process_info.hpp"
#include "framework/receive.hpp"
#include "framework/ref.hpp"
#include "framework/registry.hpp"
#include "framework/result.hpp"
#include "framework/runtime.hpp"
#include "framework/server_ref.hpp"
#include "framework/signals.hpp"
#include "framework/spawn.hpp"
#include "framework/start.hpp"
#include "framework/sys.hpp"
#include "framework/task.hpp"
#include "framework/this_process.hpp"
#include "framework/timer.hpp"
