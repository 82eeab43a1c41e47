// faults_child SCENARIO [ARGS...]: runs one fault scenario (scenario.hpp).
#include "scenario.hpp"

#include <cstdio>

namespace faults_child {

std::map<std::string, scenario>& scenarios() {
  static std::map<std::string, scenario> all;
  return all;
}

void say(const std::string& key, const std::string& value) {
  std::printf("%s: %s\n", key.c_str(), value.c_str());
  std::fflush(stdout);
}

} // namespace faults_child

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: faults_child SCENARIO [ARGS...]\n");
    return 2;
  }
  auto& all = faults_child::scenarios();
  auto it = all.find(argv[1]);
  if (it == all.end()) {
    std::fprintf(stderr, "faults_child: unknown scenario \"%s\"\n", argv[1]);
    return 2;
  }
  return it->second(std::vector<std::string>(argv + 2, argv + argc));
}
