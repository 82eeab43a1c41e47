// mass_revival: 200,000 hibernated processes under an 8 GB address-space
// limit get a message each, all at once, and are then shut down. Each needs
// a stack to handle its message: the runtime must never need them all at
// once (nor abort when a stack cannot be had), and processes killed while
// hibernated need none.
#include "framework/otp.hpp"

#include "scenario.hpp"

#include <sys/resource.h>

#include <chrono>

using namespace std::chrono_literals;
using faults_child::say;

namespace {

struct hello {
  otp::pid from;
};

void idle() {
  otp::hibernate([] {
    otp::receive([](const hello& h) { otp::send(h.from, 1); });
    idle();
  });
}

int mass_revival(const std::vector<std::string>& args) {
  const std::size_t n = args.empty() ? 200'000 : std::stoul(args[0]);
#if defined(__SANITIZE_ADDRESS__)
  // ASan's shadow memory alone exceeds any such limit.
  say("setrlimit", "skipped under AddressSanitizer");
#else
  rlimit lim{8'000'000'000ULL, 8'000'000'000ULL};
  if (::setrlimit(RLIMIT_AS, &lim) != 0) {
    say("setrlimit", "failed");
    return 1;
  }
#endif
  {
    otp::runtime rt{{.threads = 2}};
    rt.run([&] {
      std::vector<otp::pid> ps;
      ps.reserve(n);
      for (std::size_t i = 0; i < n; ++i)
        ps.push_back(otp::spawn(idle));
      say("spawned", std::to_string(ps.size()));
      for (const auto& p : ps)
        otp::send(p, hello{otp::self()});
      std::size_t answers = 0;
      while (answers < n && otp::receive_as<int>(30s))
        ++answers;
      say("answers", std::to_string(answers));
    });
    say("alive_before_shutdown", std::to_string(rt.process_count()));
  }
  say("shutdown", "done");
  return 0;
}

const faults_child::registrar r{"mass_revival", mass_revival};

} // namespace
