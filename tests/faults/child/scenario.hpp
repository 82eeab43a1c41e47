#pragma once
/// \file scenario.hpp
/// The fault scenarios that `faults_child` runs, one per OS process. Each
/// prints `key: value` lines on stdout that tests/faults/*_test.cpp check;
/// reports of the runtime go to stderr (the default sink).

#include <map>
#include <string>
#include <vector>

namespace faults_child {

using scenario = int (*)(const std::vector<std::string>& args);

/// Registered by the scenario files (static initialisers).
std::map<std::string, scenario>& scenarios();

struct registrar {
  registrar(const char* name, scenario s) { scenarios()[name] = s; }
};

/// Print `key: value` and flush (the process may die right after).
void say(const std::string& key, const std::string& value);

} // namespace faults_child
