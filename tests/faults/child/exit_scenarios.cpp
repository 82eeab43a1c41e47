// Scenarios about program exit: runtimes and processes met by static
// destructors, after main has returned and Boost.Fiber's thread-local state
// of the main thread is gone.
#include "framework/otp.hpp"

#include "scenario.hpp"

#include <cstdio>
#include <stdexcept>

using faults_child::say;

namespace {

otp::runtime& static_runtime() {
  static otp::runtime r{{.threads = 2}};
  return r;
}

/// static_runtime: a runtime with static storage duration, used once; it
/// shuts down after main returns.
int static_runtime(const std::vector<std::string>&) {
  const auto r = static_runtime().run([] {
    otp::spawn([] { otp::receive([](int) {}); }); // still alive at exit
  });
  say("run", r.to_string());
  return 0;
}

struct asks_self {
  ~asks_self() {
    try {
      (void)otp::self();
      std::printf("self: returned\n");
    } catch (const std::logic_error& e) {
      std::printf("self: logic_error: %s\n", e.what());
    }
    std::fflush(stdout);
  }
};

/// self_in_static_destructor: otp::self() from a static destructor throws
/// std::logic_error (it is not a process).
int self_in_static_destructor(const std::vector<std::string>&) {
  static asks_self a;
  (void)a;
  otp::runtime rt{{.threads = 1}};
  rt.run([] {});
  return 0;
}

const faults_child::registrar r1{"static_runtime", static_runtime};
const faults_child::registrar r2{"self_in_static_destructor",
                                 self_in_static_destructor};

} // namespace
