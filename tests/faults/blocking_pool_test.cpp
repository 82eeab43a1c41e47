// The blocking pool (framework/detail/blocking_pool.hpp) on its own, without
// a runtime: it grows with demand so jobs that wait for each other never
// deadlock below its limit, idle threads exit after the keep-alive, queued
// jobs can be cancelled, running ones are asked to stop through their
// std::stop_token, and stop() neither waits for the backlog nor hangs on a
// job that never returns; that job's thread is detached and may end after
// the pool is gone without touching freed memory.

#include "framework/detail/blocking_pool.hpp"

#include "support/eventually.hpp"
#include "support/scale.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using otp::detail::blocking_job;
using otp::detail::blocking_job_state;
using otp::detail::blocking_threads_options;
using otp_test::eventually;
using pool_type = otp::detail::blocking_threads;
using submitted = pool_type::submit_result;
using cancelled = pool_type::cancel_result;

namespace {

/// A job whose run and done are std::functions; counts both. `dones` is
/// incremented after `done`'s function returned.
struct fn_job final : blocking_job {
  using body = std::function<void(fn_job&)>;
  explicit fn_job(body run, body done = {}, void* user = nullptr)
      : blocking_job(&run_it, &done_it, user),
        body_(std::move(run)),
        after_(std::move(done)) {}
  ~fn_job() override {
    if (on_destroy)
      on_destroy();
  }
  std::atomic<int> runs{0};
  std::atomic<int> returned{0};
  std::atomic<int> dones{0};
  std::function<void()> on_destroy;
  /// A job without a run function.
  static void make_null() {
    otp::detail::make_blocking_job<blocking_job>(nullptr, &done_it);
  }

private:
  static void run_it(blocking_job& j) noexcept {
    auto& f = static_cast<fn_job&>(j);
    f.runs.fetch_add(1);
    if (f.body_)
      f.body_(f);
    f.returned.fetch_add(1);
  }
  static void done_it(blocking_job& j) noexcept {
    auto& f = static_cast<fn_job&>(j);
    if (f.after_)
      f.after_(f);
    f.dones.fetch_add(1);
  }
  body body_;
  body after_;
};
using fn_job_ptr = boost::intrusive_ptr<fn_job>;

fn_job_ptr make_job(fn_job::body run = {}, fn_job::body done = {},
                    void* user = nullptr) {
  return otp::detail::make_blocking_job<fn_job>(std::move(run), std::move(done),
                                                user);
}

/// A pipe; `read_byte` blocks until someone calls `poke`.
struct pipe_pair {
  int fd[2] = {-1, -1};
  pipe_pair() {
    if (::pipe2(fd, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
  }
  pipe_pair(const pipe_pair&) = delete;
  pipe_pair& operator=(const pipe_pair&) = delete;
  ~pipe_pair() {
    for (int f : fd)
      if (f >= 0)
        ::close(f);
  }
  void poke(std::size_t n = 1) const {
    const std::string bytes(n, 'x');
    (void)!::write(fd[1], bytes.data(), bytes.size());
  }
  bool read_byte() const {
    char c;
    for (;;) {
      const auto r = ::read(fd[0], &c, 1);
      if (r == 1)
        return true;
      if (r < 0 && errno == EINTR)
        continue;
      return false;
    }
  }
};

/// Busy-wait `d`: a delay too short to sleep for.
void spin_for(clock_type::duration d) {
  const auto until = clock_type::now() + d;
  while (clock_type::now() < until) {
  }
}

/// Threads of this OS process (the "Threads:" line of /proc/self/status).
std::size_t os_threads() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Threads:", 0) == 0)
      return std::stoul(line.substr(8));
  return 0;
}

/// A job that reads one byte from `p` and ignores stop requests.
fn_job_ptr reader(const pipe_pair& p, void* user = nullptr) {
  return make_job([&p](fn_job&) { p.read_byte(); }, {}, user);
}

/// A job that reads one byte from `p`; a stop request pokes `p` itself.
fn_job_ptr stoppable_reader(const pipe_pair& p) {
  return make_job([&p](fn_job& self) {
    const std::stop_callback wake(self.stop_token(), [&p] { p.poke(); });
    p.read_byte();
  });
}

/// Submit `n` readers, each on its own pipe, then their `n` writers: every
/// reader blocks its thread until its writer, submitted after all readers,
/// runs. True if all 2n jobs finished.
bool readers_then_writers(pool_type& pool, std::size_t n,
                          clock_type::duration timeout) {
  std::vector<pipe_pair> pipes(n);
  std::atomic<std::size_t> finished{0};
  std::vector<fn_job_ptr> jobs;
  bool all_started = true;
  const auto count = [&finished](fn_job&) {
    finished.fetch_add(1);
  };
  for (auto& p : pipes) {
    jobs.push_back(make_job([&p](fn_job&) { p.read_byte(); }, count));
    all_started &= pool.submit(jobs.back()) == submitted::started;
  }
  for (auto& p : pipes) {
    jobs.push_back(make_job([&p](fn_job&) { p.poke(); }, count));
    all_started &= pool.submit(jobs.back()) == submitted::started;
  }
  const bool ok = eventually([&] { return finished == 2 * n; }, timeout);
  if (!ok) { // drop the writers left and unblock the readers
    pool.stop(1s);
    for (auto& p : pipes)
      p.poke();
  }
  REQUIRE(eventually([&] { return pool.stats().running == 0; }));
  return ok && all_started;
}

std::atomic<int> creations_to_fail{0};

/// pthread_create, except that it fails with EAGAIN while
/// `creations_to_fail` is positive.
int flaky_create(pthread_t* t, const pthread_attr_t* attr, void* (*fn)(void*),
                 void* arg) noexcept {
  if (creations_to_fail.fetch_sub(1) > 0)
    return EAGAIN;
  creations_to_fail.store(0);
  return pthread_create(t, attr, fn, arg);
}

} // namespace

TEST_CASE("a thousand readers submitted before their thousand writers all "
          "finish, because the pool grows",
          "[faults][blocking_pool]") {
  const std::size_t n = otp_test::scaled(1000);
  pool_type pool({.max_threads = static_cast<unsigned>(2 * n + 8)});
  REQUIRE(readers_then_writers(pool, n, 20s));
  const auto s = pool.stats();
  CHECK(s.peak_threads >= n + 1);
  CHECK(s.peak_threads <= 2 * n);
  CHECK(s.spawn_failures == 0);
}

TEST_CASE("with a limit of 8 threads, 4 readers submitted before their "
          "writers all finish",
          "[faults][blocking_pool]") {
  pool_type pool({.max_threads = 8});
  REQUIRE(readers_then_writers(pool, 4, 10s));
  CHECK(pool.stats().peak_threads <= 8);
}

TEST_CASE("at the limit a job waits in the queue and runs when a thread "
          "frees up",
          "[faults][blocking_pool]") {
  pool_type pool({.max_threads = 2});
  pipe_pair a, b;
  const auto ja = reader(a);
  const auto jb = reader(b);
  const auto third = make_job();
  REQUIRE(pool.submit(ja) == submitted::started);
  REQUIRE(pool.submit(jb) == submitted::started);
  REQUIRE(eventually([&] { return pool.stats().running == 2; }));
  REQUIRE(pool.submit(third) == submitted::queued);
  CHECK(pool.stats().queued == 1);
  CHECK(pool.stats().threads == 2);
  a.poke();
  REQUIRE(eventually([&] { return third->dones == 1; }));
  b.poke();
  REQUIRE(eventually([&] { return jb->dones == 1; }));
  CHECK(pool.stats().peak_threads == 2);
}

TEST_CASE("a thousand 100 ms sleeps finish in well under the 25 s that 4 "
          "threads took",
          "[faults][blocking_pool][timing]") {
  const std::size_t n = otp_test::scaled(1000);
  pool_type pool; // the default limit, 512
  std::atomic<std::size_t> finished{0};
  std::atomic<clock_type::rep> last{0};
  std::vector<fn_job_ptr> jobs;
  const auto start = clock_type::now();
  for (std::size_t i = 0; i < n; ++i) {
    jobs.push_back(make_job([](fn_job&) { std::this_thread::sleep_for(100ms); },
                            [&](fn_job&) {
                              last.store(
                                  clock_type::now().time_since_epoch().count());
                              finished.fetch_add(1);
                            }));
    REQUIRE(pool.submit(jobs.back()) != submitted::rejected);
  }
  REQUIRE(eventually([&] { return finished == n; }, 20s));
  const auto took =
      clock_type::time_point(clock_type::duration(last.load())) - start;
  INFO("took " << std::chrono::duration<double>(took).count() << " s");
  CHECK(took < 3s);
  CHECK(pool.stats().peak_threads <= 512);
}

TEST_CASE("an idle thread is reused, exits after the keep-alive, and the "
          "pool grows again on demand",
          "[faults][blocking_pool]") {
  SECTION("a job submitted while a thread is idle runs on it") {
    pool_type pool; // keep-alive 10 s
    for (int i = 0; i < 20; ++i) {
      const auto j = make_job();
      REQUIRE(pool.submit(j) == submitted::started);
      REQUIRE(eventually([&] { return j->dones == 1; }));
      REQUIRE(eventually([&] { return pool.stats().idle == 1; }));
    }
    CHECK(pool.stats().peak_threads == 1);
  }
  SECTION("idle threads exit after a short keep-alive") {
    pool_type pool({.keep_alive = 50ms});
    pipe_pair gate;
    std::vector<fn_job_ptr> jobs;
    for (int i = 0; i < 6; ++i) {
      jobs.push_back(reader(gate));
      REQUIRE(pool.submit(jobs.back()) == submitted::started);
    }
    REQUIRE(eventually([&] { return pool.stats().running == 6; }));
    CHECK(pool.stats().threads == 6);
    gate.poke(6);
    REQUIRE(eventually([&] { return pool.stats().threads == 0; }));
    for (const auto& j : jobs)
      CHECK(j->dones == 1);
    const auto again = make_job();
    REQUIRE(pool.submit(again) == submitted::started);
    REQUIRE(eventually([&] { return again->dones == 1; }));
    CHECK(pool.stats().peak_threads == 6);
  }
}

TEST_CASE("cancelling a queued job removes it and its done never runs",
          "[faults][blocking_pool]") {
  pool_type pool({.max_threads = 1});
  pipe_pair p;
  const auto blocker = reader(p);
  const auto victim = make_job();
  REQUIRE(pool.submit(blocker) == submitted::started);
  REQUIRE(eventually([&] { return blocker->runs == 1; }));
  REQUIRE(pool.submit(victim) == submitted::queued);
  CHECK(pool.stats().queued == 1);
  CHECK(pool.cancel(*victim) == cancelled::removed);
  CHECK(victim->state() == blocking_job_state::cancelled);
  CHECK(pool.stats().queued == 0);
  CHECK(pool.cancel(*victim) == cancelled::removed);
  CHECK(pool.submit(victim) == submitted::rejected);
  p.poke();
  REQUIRE(eventually([&] { return blocker->dones == 1; }));
  // The thread that would have taken it has since run a later job.
  const auto later = make_job();
  REQUIRE(pool.submit(later) == submitted::started);
  REQUIRE(eventually([&] { return later->dones == 1; }));
  CHECK(pool.cancel(*later) == cancelled::finished);
  CHECK(victim->runs == 0);
  CHECK(victim->dones == 0);
}

TEST_CASE("cancelling a running job requests stop on its token and a job "
          "that listens returns early",
          "[faults][blocking_pool]") {
  pool_type pool;
  pipe_pair p;
  std::atomic<bool> saw_stop{false};
  const auto j = make_job([&](fn_job& self) {
    const std::stop_callback wake(self.stop_token(), [&] { p.poke(); });
    p.read_byte(); // nothing else ever writes to p
    saw_stop = self.stop_token().stop_requested();
  });
  REQUIRE(pool.submit(j) == submitted::started);
  REQUIRE(eventually([&] { return j->runs == 1; }));
  CHECK(pool.cancel(*j) == cancelled::running);
  CHECK(j->stop_requested());
  REQUIRE(eventually([&] { return j->dones == 1; }));
  CHECK(saw_stop);
  CHECK(j->state() == blocking_job_state::finished);
}

TEST_CASE("an orphaned running job never runs its done, and its thread then "
          "serves the next job",
          "[faults][blocking_pool]") {
  pool_type pool({.max_threads = 1});
  pipe_pair p;
  const auto j = reader(p); // ignores stop
  REQUIRE(pool.submit(j) == submitted::started);
  REQUIRE(eventually([&] { return j->runs == 1; }));
  CHECK(pool.orphan(*j));
  CHECK(j->stop_requested());
  CHECK_FALSE(pool.orphan(*j));
  CHECK(pool.cancel(*j) == cancelled::running);
  const auto next = make_job();
  CHECK(pool.submit(next) == submitted::queued);
  p.poke();
  REQUIRE(eventually([&] { return next->dones == 1; }));
  CHECK(j->returned == 1);
  CHECK(j->dones == 0);
  CHECK(j->state() == blocking_job_state::orphaned);
  CHECK(pool.cancel(*j) == cancelled::finished);
  CHECK(pool.stats().peak_threads == 1);
}

TEST_CASE("stop returns within its grace and names the job that never "
          "returns, while a job that listens to stop finishes",
          "[faults][blocking_pool]") {
  pool_type pool;
  pipe_pair stuck_pipe, polite_pipe;
  int stuck_marker = 0;
  const auto stuck = reader(stuck_pipe, &stuck_marker); // ignores stop
  const auto polite = stoppable_reader(polite_pipe);
  REQUIRE(pool.submit(stuck) == submitted::started);
  REQUIRE(pool.submit(polite) == submitted::started);
  REQUIRE(eventually([&] { return stuck->runs == 1 && polite->runs == 1; }));
  const auto grace = 300ms;
  const auto start = clock_type::now();
  const auto report = pool.stop(grace);
  const auto took = clock_type::now() - start;
  CHECK(took >= grace);
  CHECK(took < grace + 2s);
  REQUIRE(report.orphaned.size() == 1);
  CHECK(report.orphaned[0].user == &stuck_marker);
  CHECK(report.orphaned[0].job == stuck);
  CHECK(report.orphaned[0].running_for >= grace);
  CHECK(report.dropped.empty());
  CHECK(polite->dones == 1);
  CHECK(stuck->state() == blocking_job_state::orphaned);
  CHECK(pool.stats().threads == 1); // the orphaned one, detached
  CHECK(pool.submit(make_job()) == submitted::rejected);
  // Its call returns at last: done still never runs, and the thread ends.
  stuck_pipe.poke();
  REQUIRE(eventually([&] { return pool.stats().threads == 0; }));
  CHECK(stuck->returned == 1);
  CHECK(stuck->dones == 0);
}

TEST_CASE("stop drops the queued jobs and hands them back without waiting "
          "for them",
          "[faults][blocking_pool]") {
  pool_type pool({.max_threads = 1});
  pipe_pair p;
  const auto running = stoppable_reader(p);
  REQUIRE(pool.submit(running) == submitted::started);
  REQUIRE(eventually([&] { return running->runs == 1; }));
  std::vector<fn_job_ptr> backlog;
  for (int i = 0; i < 100; ++i) {
    backlog.push_back(
        make_job([](fn_job&) { std::this_thread::sleep_for(100ms); }));
    REQUIRE(pool.submit(backlog.back()) == submitted::queued);
  }
  const auto start = clock_type::now();
  const auto report = pool.stop(5s);
  CHECK(clock_type::now() - start < 2s); // the backlog alone is 10 s
  CHECK(report.orphaned.empty());
  CHECK(running->dones == 1);
  REQUIRE(report.dropped.size() == backlog.size());
  for (std::size_t i = 0; i < backlog.size(); ++i) {
    CHECK(report.dropped[i] == backlog[i]);
    CHECK(backlog[i]->state() == blocking_job_state::dropped);
    CHECK(backlog[i]->runs == 0);
  }
  CHECK(pool.stats().threads == 0);
}

TEST_CASE("an orphaned job that returns after the pool was destroyed "
          "touches nothing freed and never runs its done",
          "[faults][blocking_pool]") {
  const std::size_t threads_before = os_threads();
  auto pipe = std::make_shared<pipe_pair>();
  auto destroyed = std::make_shared<std::atomic<bool>>(false);
  auto dones = std::make_shared<std::atomic<int>>(0);
  {
    // Everything the job touches is its own or shared with it.
    auto j = make_job([pipe](fn_job&) { pipe->read_byte(); },
                      [dones](fn_job&) { dones->fetch_add(1); });
    j->on_destroy = [destroyed] {
      destroyed->store(true);
    };
    auto pool = std::make_unique<pool_type>();
    REQUIRE(pool->submit(j) == submitted::started);
    REQUIRE(eventually([&] { return j->runs == 1; }));
    auto report = pool->stop(50ms);
    REQUIRE(report.orphaned.size() == 1);
    CHECK(pool->stats().threads == 1);
    pool.reset(); // while the job still runs
  }
  CHECK(!destroyed->load()); // the detached thread still holds it
  pipe->poke();
  REQUIRE(eventually([&] { return destroyed->load(); }));
  REQUIRE(eventually([&] { return os_threads() <= threads_before; }));
  CHECK(dones->load() == 0);
}

TEST_CASE("submit, cancel and orphan racing: every job ends exactly once, by "
          "its done or by its removal",
          "[faults][blocking_pool]") {
  const std::size_t n = otp_test::scaled(20000);
  pool_type pool({.max_threads = 4});
  std::vector<fn_job_ptr> jobs(n);
  std::vector<char> done_expected(n, 0);
  std::atomic<int> broken{0}; // guarantees seen violated at once
  for (std::size_t i = 0; i < n; ++i)
    jobs[i] = make_job(
        [i](fn_job&) { spin_for(std::chrono::microseconds(i % 11 * 2)); });
  const auto submitter = [&](std::size_t first) {
    for (std::size_t i = first; i < n; i += 2) {
      fn_job& j = *jobs[i];
      const auto sr = pool.submit(jobs[i]);
      if (sr != submitted::started && sr != submitted::queued)
        broken.fetch_add(1);
      // Give up on it at a different moment of its life each time.
      spin_for(std::chrono::microseconds(i * 7919 % 41));
      switch (i % 3) {
      case 0: {
        const auto r = pool.cancel(j);
        done_expected[i] = r != cancelled::removed;
        if (r == cancelled::removed && j.runs != 0)
          broken.fetch_add(1);
        break;
      }
      case 1:
        if (pool.orphan(j)) {
          done_expected[i] = 0;
        } else if (j.state() == blocking_job_state::finished) {
          done_expected[i] = 1;
          if (j.dones != 1) // orphan waits for a done in progress
            broken.fetch_add(1);
        } else if (j.state() != blocking_job_state::cancelled) {
          broken.fetch_add(1);
        }
        break;
      default:
        done_expected[i] = 1;
      }
    }
  };
  std::thread a(submitter, 0);
  std::thread b(submitter, 1);
  a.join();
  b.join();
  CHECK(broken == 0);
  REQUIRE(eventually([&] {
    const auto s = pool.stats();
    return s.running == 0 && s.queued == 0;
  }));
  std::size_t done_count = 0;
  std::size_t removed = 0;
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n; ++i) {
    wrong += jobs[i]->dones != (done_expected[i] ? 1 : 0);
    done_count += jobs[i]->dones;
    removed += jobs[i]->state() == blocking_job_state::cancelled;
  }
  CHECK(wrong == 0);
  CHECK(done_count + removed
            + std::count_if(jobs.begin(), jobs.end(),
                            [](const fn_job_ptr& j) {
                              return j->state() == blocking_job_state::orphaned;
                            })
        == n);
  CHECK(removed > 0); // the races happened both ways
  CHECK(done_count > 0);
}

TEST_CASE("a thread that cannot be created leaves the job queued until a "
          "thread frees up or a later submit creates one",
          "[faults][blocking_pool]") {
  creations_to_fail = 0;
  pool_type pool({.max_threads = 4, .create_thread = &flaky_create});
  SECTION("a running job's thread takes it when its job ends") {
    pipe_pair p;
    const auto blocker = reader(p);
    REQUIRE(pool.submit(blocker) == submitted::started);
    REQUIRE(eventually([&] { return pool.stats().running == 1; }));
    creations_to_fail = 1;
    const auto waiting = make_job();
    CHECK(pool.submit(waiting) == submitted::no_thread);
    CHECK(pool.stats().spawn_failures == 1);
    CHECK(pool.stats().queued == 1);
    CHECK(pool.stats().threads == 1);
    p.poke();
    REQUIRE(eventually([&] { return waiting->dones == 1; }));
  }
  SECTION("with no thread at all, the next submit makes up the shortfall") {
    creations_to_fail = 1;
    const auto first = make_job();
    CHECK(pool.submit(first) == submitted::no_thread);
    CHECK(pool.stats().threads == 0);
    const auto second = make_job();
    CHECK(pool.submit(second) == submitted::started);
    REQUIRE(
        eventually([&] { return first->dones == 1 && second->dones == 1; }));
  }
}

TEST_CASE("stop called from inside a job's own run or done does not wait "
          "for itself",
          "[faults][blocking_pool]") {
  auto pool = std::make_unique<pool_type>();
  std::atomic<bool> stop_returned{false};
  std::atomic<std::size_t> orphaned{0};
  const auto stop_here = [&](fn_job&) {
    orphaned = pool->stop(10s).orphaned.size();
    stop_returned = true;
  };
  const bool from_run = GENERATE(true, false);
  const auto j = from_run ? make_job(stop_here) : make_job({}, stop_here);
  REQUIRE(pool->submit(j) == submitted::started);
  REQUIRE(eventually([&] { return stop_returned.load(); }, 3s));
  CHECK(orphaned == (from_run ? 1u : 0u));
  REQUIRE(eventually([&] { return pool->stats().threads == 0; }));
  CHECK(j->dones == (from_run ? 0 : 1));
  pool.reset();
}

TEST_CASE("bad blocking pool options are rejected with an error that names "
          "the option",
          "[faults][blocking_pool]") {
  using Catch::Matchers::Contains;
  REQUIRE_THROWS_WITH(pool_type({.max_threads = 0}), Contains("max_threads"));
  REQUIRE_THROWS_WITH(pool_type({.max_threads = 70000}),
                      Contains("max_threads"));
  REQUIRE_THROWS_WITH(pool_type({.keep_alive = -1ms}), Contains("keep_alive"));
  REQUIRE_THROWS_WITH(pool_type({.stack_size = 4096}), Contains("stack_size"));
  REQUIRE_THROWS_WITH(pool_type({.name = "a-name-that-is-too-long"}),
                      Contains("name"));
  REQUIRE_THROWS_WITH(pool_type({.name = ""}), Contains("name"));
  REQUIRE_NOTHROW(pool_type({.stack_size = 0}));
  REQUIRE_THROWS_WITH(fn_job::make_null(), Contains("run must not be null"));
}
