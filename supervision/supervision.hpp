#pragma once
/// \file supervision.hpp
/// Everything in `supervision/`: supervisors (static, dynamic, task), child
/// specs, the restart-intensity counter and the tree introspection. Depends
/// on `framework/` only.

#include "supervision/child_info.hpp"
#include "supervision/child_spec.hpp"
#include "supervision/dynamic_supervisor.hpp"
#include "supervision/restart_intensity.hpp"
#include "supervision/strategy.hpp"
#include "supervision/supervision_tree.hpp"
#include "supervision/supervisor.hpp"
#include "supervision/supervisor_error.hpp"
#include "supervision/supervisor_state.hpp"
#include "supervision/task_supervisor.hpp"
