// Stack overflow scenarios: a process runs past the end of its stack while
// neighbours hold state; the overflowing process must end with
// stack_overflow and nothing else may notice.
#include "framework/detail/stack_pool.hpp"
#include "framework/otp.hpp"
#include "supervision/supervision.hpp"

#include "scenario.hpp"

#include <atomic>
#include <chrono>
#include <regex>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using faults_child::say;

namespace {

struct ping {
  otp::pid from;
};
struct state_reply {
  int index;
  long sum;
};

/// A neighbour: keeps a running sum on its stack and in its heap, and
/// answers with both, so a corrupted stack or heap shows.
void neighbour(int index) {
  long on_stack = 0;
  std::vector<long> on_heap(16, index);
  for (;;) {
    otp::receive([&](const ping& p) {
      on_stack += index;
      long heap_sum = 0;
      for (long v : on_heap)
        heap_sum += v;
      otp::send(p.from, state_reply{index, on_stack + heap_sum});
    });
  }
}

/// Every neighbour answers `rounds` more pings with exactly the expected
/// sums; `done` counts the pings each has had so far.
bool neighbours_intact(const std::vector<otp::pid>& ns, int rounds, int& done) {
  for (int r = 0; r < rounds; ++r) {
    ++done;
    for (std::size_t i = 0; i < ns.size(); ++i) {
      otp::send(ns[i], ping{otp::self()});
      const auto a = otp::receive_as<state_reply>(2s);
      const long idx = static_cast<long>(i);
      const long want = idx * done + idx * 16;
      if (!a || a->index != static_cast<int>(i) || a->sum != want)
        return false;
    }
  }
  return true;
}

int recurse(int n);
/// Called through a volatile pointer: the compiler can neither turn the
/// recursion into a loop nor warn that it never ends (it is meant not to).
int (*volatile recurse_again)(int) = recurse;

[[gnu::noinline]] int recurse(int n) {
  volatile char buf[200];
  buf[0] = static_cast<char>(n);
  return recurse_again(n + 1) + buf[0];
}

[[gnu::noinline]] int big_frame(std::size_t) {
  volatile char big[1 << 20];
  big[0] = 1;
  big[sizeof(big) - 1] = 2;
  return big[0] + big[sizeof(big) - 1];
}

/// Recurse until the stack pointer is within `margin` bytes of the end of
/// the usable stack, then return: one fault in the reserve, no more.
[[gnu::noinline]] int near_the_end(const char* usable_lo) {
  volatile char buf[512];
  buf[0] = 1;
  const char* sp = static_cast<const char*>(__builtin_frame_address(0));
  if (sp < usable_lo - 1024) // one reserve page in
    return buf[0];
  return near_the_end(usable_lo) + buf[0];
}

/// Sends `cleaned` when destroyed (RAII ran).
struct guard {
  otp::pid to;
  ~guard() { otp::send(to, std::string("cleaned")); }
};

std::string overflow_with(const std::string& how, int arg) {
  if (how == "recursion")
    return std::to_string(recurse(0));
  if (how == "big_frame")
    return std::to_string(big_frame(0));
  if (how == "regex") {
    const bool m = std::regex_match(
        std::string(static_cast<std::size_t>(arg), 'a'), std::regex("(a|b)*"));
    return m ? "matched" : "no match";
  }
  return "unknown";
}

/// overflow HOW [ARG]: 20 neighbours, one process overflows (HOW =
/// recursion | big_frame | regex N), then the neighbours are checked.
int overflow(const std::vector<std::string>& args) {
  const std::string how = args.empty() ? "recursion" : args[0];
  const int arg = args.size() > 1 ? std::stoi(args[1]) : 0;
  otp::runtime rt{{.threads = 2}};
  const auto r = rt.run([&] {
    std::vector<otp::pid> ns;
    for (int i = 0; i < 20; ++i)
      ns.push_back(otp::spawn(neighbour, i));
    int done = 0;
    say("neighbours_before", neighbours_intact(ns, 1, done) ? "ok" : "broken");
    const auto victim = otp::spawn_monitor(
        [how, arg] { say("result", overflow_with(how, arg)); });
    say("victim", victim.pid.to_string());
    const auto d = otp::receive_as<otp::down_message>(10s);
    say("down", d ? d->reason.to_string() : "none");
    say("alive_after", otp::alive(victim.pid) ? "true" : "false");
    say("neighbours_after", neighbours_intact(ns, 3, done) ? "ok" : "broken");
  });
  say("run", r.to_string());
  return 0;
}

/// overflow_unwinds: a process that ran one page into its reserve and came
/// back ends with stack_overflow at its next suspension point, unwinding
/// (its destructors run).
int overflow_unwinds(const std::vector<std::string>&) {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    const otp::pid me = otp::self();
    const auto victim = otp::spawn_monitor([me] {
      guard g{me};
      otp::detail::stack_slot slot;
      otp::detail::find_slot(__builtin_frame_address(0), slot);
      say("came_back", std::to_string(near_the_end(slot.usable_lo)));
      otp::receive([](int) {}); // the next suspension point
      say("went_on", "yes");
    });
    const auto d = otp::receive_as<otp::down_message>(10s);
    say("down", d ? d->reason.to_string() : "none");
    say("cleaned", otp::receive_as<std::string>(0ms).value_or("no"));
  });
  return 0;
}

/// overflow_supervised: a permanent worker overflows on request; its
/// supervisor restarts it, and the new one answers.
int overflow_supervised(const std::vector<std::string>&) {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    otp::child_spec spec;
    spec.id = "deep";
    spec.start = [] {
      return otp::start_link({}, [](otp::starter& s) {
        otp::register_name("deep", otp::self());
        s.ack();
        for (;;) {
          otp::receive(
              [](const ping& p) {
                otp::send(p.from, state_reply{0, 42});
              },
              [](const std::string& cmd) {
                if (cmd == "overflow")
                  recurse(0);
              });
        }
      });
    };
    const auto sup = otp::supervisor::start_link({spec}, {});
    say("supervisor", sup.ok() ? "started" : "failed");
    const otp::pid first = otp::whereis("deep");
    const otp::ref mon = otp::monitor(first);
    otp::send(first, std::string("overflow"));
    const auto d = otp::receive_as<otp::down_message>(10s);
    say("down", d && d->monitor == mon ? d->reason.to_string() : "none");
    // The restart registers the new worker under the same name.
    otp::pid second;
    const auto until = std::chrono::steady_clock::now() + 5s;
    while ((!second || second == first)
           && std::chrono::steady_clock::now() < until) {
      second = otp::whereis("deep");
      otp::yield();
    }
    say("restarted", second && second != first ? "yes" : "no");
    otp::send(second, ping{otp::self()});
    const auto a = otp::receive_as<state_reply>(2s);
    say("answers", a && a->sum == 42 ? "yes" : "no");
  });
  return 0;
}

/// overflow_many: 200 processes overflow at once on two threads while 200
/// others keep answering.
int overflow_many(const std::vector<std::string>&) {
  otp::runtime rt{{.threads = 2}};
  rt.run([&] {
    std::vector<otp::pid> ns;
    for (int i = 0; i < 200; ++i)
      ns.push_back(otp::spawn(neighbour, i));
    std::vector<otp::ref> mons;
    for (int i = 0; i < 200; ++i)
      mons.push_back(otp::spawn_monitor([i] {
                       i % 2 ? recurse(0) : big_frame(0);
                     }).monitor);
    int overflowed = 0;
    for (std::size_t i = 0; i < mons.size(); ++i) {
      const auto d = otp::receive_as<otp::down_message>(10s);
      if (d && d->reason == otp::exit_reason::stack_overflow())
        ++overflowed;
    }
    say("overflowed", std::to_string(overflowed));
    int done = 0;
    say("neighbours_after", neighbours_intact(ns, 2, done) ? "ok" : "broken");
  });
  return 0;
}

/// regex_limit: the longest "(a|b)*" input std::regex_match survives in a
/// process with the default stack (for the README).
int regex_limit(const std::vector<std::string>&) {
  otp::runtime rt{{.threads = 1}};
  rt.run([&] {
    int lo = 1;
    int hi = 4096;
    while (lo + 1 < hi) {
      const int mid = (lo + hi) / 2;
      const auto p = otp::spawn_monitor([mid] {
        (void)std::regex_match(std::string(static_cast<std::size_t>(mid), 'a'),
                               std::regex("(a|b)*"));
      });
      const auto d = otp::receive_as<otp::down_message>(10s);
      (d && d->reason.is_normal() ? lo : hi) = mid;
    }
    say("regex_limit", std::to_string(lo));
  });
  return 0;
}

const faults_child::registrar r1{"overflow", overflow};
const faults_child::registrar r2{"overflow_unwinds", overflow_unwinds};
const faults_child::registrar r3{"overflow_supervised", overflow_supervised};
const faults_child::registrar r4{"overflow_many", overflow_many};
const faults_child::registrar r5{"regex_limit", regex_limit};

} // namespace
