// Chaos: random kills across a three-level supervision tree of more than
// 1,000 processes, with every strategy, every restart type, a dynamic
// supervisor at both levels and registered names; at the end the tree must
// be whole and its restart counters must match a model of what each kill
// should have restarted [sem:66, 67, 74, 78].
//
// The tree ("chaos", one_for_one) has four middle supervisors: m0
// one_for_one, m1 one_for_all, m2 rest_for_one, m3 a dynamic supervisor.
// Each has four leaf supervisors, one of each kind (one_for_one,
// one_for_all, rest_for_one, dynamic), and each leaf has 64 workers: 5 in 8
// permanent, 2 in 8 transient, 1 in 8 temporary; every third worker and
// every supervisor is registered. 1 + 4 + 16 + 1024 = 1045 processes.
//
// Four killers run at once, killer i inside subtree m<i> only (it may also
// kill m<i> itself through the root). A killer picks a random running child
// (m<i> 0.5%, a leaf 2.5%, a worker 97%), kills it (supervisors: `kill`;
// workers: `kill` 70%, `shutdown` 20%, `{chaos}` 10%), sees its DOWN, waits
// until the parent supervisor has handled the EXIT (which_children shows a
// new pid or none for it), then compares the parent's `supervision_tree`
// with the model. Kills are serialised per subtree, so the outcome of each
// one is exactly predictable; the subtrees and the root see concurrent kills.
//
// The model of a restart (what `"restarts"` counts), per supervisor
// instance:
// - a child's counter counts the times its supervisor started it again
//   after the first start: one per restart of the child itself and one per
//   restart of it as a sibling (one_for_all: every other child;
//   rest_for_one: the children after it). Such a sibling restart also brings
//   back a transient child that had ended with `shutdown` (it has no
//   process, so the supervisor starts it with the others), and drops every
//   temporary sibling it terminated;
// - a kill restarts its victim iff it is permanent, or transient and the
//   reason is not `shutdown`; a temporary victim leaves the list; a
//   transient one that is not restarted stays with no process (a dynamic
//   supervisor forgets it);
// - a supervisor that is restarted is a new instance: its children start
//   afresh with counters at 0.
// Intensity is 1,000,000 restarts per second everywhere, so nothing
// escalates; the log must show no intensity report, no start or shutdown
// error, and exactly one child_terminated report per kill that OTP reports
// (permanent victims, and any victim whose reason is not `shutdown`).
//
// A killed supervisor's descendants end asynchronously (they get `killed`
// or their parent's EXIT and unwind at their next suspension point), so the
// restarted twin could find a registered name still held by its dying
// predecessor, as in OTP. Every named child's start therefore waits (inside
// its supervisor) until its name is free, which keeps the accounting exact.
//
// The seed fixes each killer's choices (printed); pids and interleavings
// still vary between runs. 10 s of chaos, scaled by OTP_TEST_SCALE (1 s at
// 0.1 under sanitizers); the tree keeps its size at every scale.

#include "support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

using json = nlohmann::json;

namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t chaos_seed = 20261122;
constexpr int mids = 4;
constexpr int leaves_per_mid = 4;
constexpr int workers_per_leaf = 64;
constexpr int intensity = 1'000'000;

// -- the configuration --------------------------------------------------------

enum class node_kind { worker, sup, dyn };

/// One node of the tree as configured (shared, read-only, by the start
/// callables and the killers; it outlives the runtime's processes).
struct cfg {
  std::string id;
  std::string name; ///< registered name, "" for none
  otp::restart_type restart = otp::restart_type::permanent;
  node_kind kind = node_kind::worker;
  otp::strategy strategy = otp::strategy::one_for_one;
  std::vector<cfg> children;
  bool is_sup() const { return kind != node_kind::worker; }
};

cfg make_sup(std::string id, std::string name, node_kind k, otp::strategy s) {
  cfg c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.kind = k;
  c.strategy = s;
  return c;
}

cfg make_tree() {
  const std::pair<node_kind, otp::strategy> kinds[] = {
      {node_kind::sup, otp::strategy::one_for_one},
      {node_kind::sup, otp::strategy::one_for_all},
      {node_kind::sup, otp::strategy::rest_for_one},
      {node_kind::dyn, otp::strategy::one_for_one}};
  cfg root =
      make_sup("chaos", "chaos", node_kind::sup, otp::strategy::one_for_one);
  for (int i = 0; i < mids; ++i) {
    const std::string mid_name = "chaos.m" + std::to_string(i);
    cfg mid = make_sup("m" + std::to_string(i), mid_name, kinds[i].first,
                       kinds[i].second);
    for (int j = 0; j < leaves_per_mid; ++j) {
      const auto& [k, s] = kinds[(i + j) % 4];
      const std::string leaf_name = mid_name + ".l" + std::to_string(j);
      cfg leaf = make_sup("l" + std::to_string(j), leaf_name, k, s);
      for (int w = 0; w < workers_per_leaf; ++w) {
        cfg wk;
        wk.id = "w" + std::to_string(w);
        if (w % 3 == 0)
          wk.name = leaf_name + ".w" + std::to_string(w);
        wk.restart = w % 8 < 5   ? otp::restart_type::permanent
                     : w % 8 < 7 ? otp::restart_type::transient
                                 : otp::restart_type::temporary;
        leaf.children.push_back(std::move(wk));
      }
      mid.children.push_back(std::move(leaf));
    }
    root.children.push_back(std::move(mid));
  }
  return root;
}

void all_names(const cfg& c, std::vector<std::string>& out) {
  if (!c.name.empty())
    out.push_back(c.name);
  for (const cfg& k : c.children)
    all_names(k, out);
}

// -- starting the real tree ---------------------------------------------------

struct never_sent {};

/// How many starts found their name still held by a dying predecessor.
std::atomic<std::uint64_t> name_waits{0};

otp::child_spec spec_of(const cfg* c);

otp::start_result start_node(const cfg* c) {
  if (!c->name.empty() && otp::whereis(c->name)) {
    ++name_waits;
    if (!otp_test::eventually([&] { return !otp::whereis(c->name); }, 10s))
      return otp::start_result::error(otp::exit_reason::user("name_held"));
  }
  if (c->kind == node_kind::worker) {
    otp::start_options o;
    o.name = c->name;
    return otp::start_link(o, [](otp::starter& s) {
      s.ack();
      for (;;)
        otp::receive([](never_sent&&) {});
    });
  }
  if (c->kind == node_kind::dyn) {
    otp::start_result r = otp::dynamic_supervisor::start_link(
        {.max_restarts = intensity, .max_seconds = 1s, .name = c->name});
    if (!r.ok())
      return r;
    for (const cfg& k : c->children) {
      otp::start_result kr =
          otp::dynamic_supervisor::start_child(r.pid(), spec_of(&k));
      if (!kr.ok()) {
        (void)otp::supervisor::try_stop(r.pid());
        return otp::start_result::error(
            otp::exit_reason::user("populate_failed"));
      }
    }
    return r;
  }
  std::vector<otp::child_spec> specs;
  for (const cfg& k : c->children)
    specs.push_back(spec_of(&k));
  return otp::supervisor::start_link(std::move(specs),
                                     {.strategy = c->strategy,
                                      .max_restarts = intensity,
                                      .max_seconds = 1s,
                                      .name = c->name});
}

otp::child_spec spec_of(const cfg* c) {
  otp::child_spec s;
  s.id = c->id;
  s.restart = c->restart;
  s.type = c->is_sup() ? otp::child_type::supervisor : otp::child_type::worker;
  s.start = [c] {
    return start_node(c);
  };
  return s;
}

// -- the model ----------------------------------------------------------------

/// What a child should look like now.
struct node {
  const cfg* c = nullptr;
  bool running = true;
  std::uint64_t restarts = 0;
  std::string pid;      ///< last seen, "" before the first look
  bool changed = false; ///< restarted since last seen: its pid must differ
  std::vector<node> children; ///< a supervisor's expected children
};

node fresh(const cfg& c) {
  node n;
  n.c = &c;
  for (const cfg& k : c.children)
    n.children.push_back(fresh(k));
  return n;
}

void restart_node(node& n) {
  ++n.restarts;
  n.running = true;
  n.changed = true;
  if (n.c->is_sup())
    n.children = fresh(*n.c).children; // a new instance
}

/// Apply the kill of `sup.children[v]` with a reason that is `shutdown`
/// (`silent`) or not; returns how many children are restarted (0: not even
/// the victim).
std::size_t apply_kill(node& sup, std::size_t v, bool silent) {
  node& victim = sup.children[v];
  const otp::restart_type rt = victim.c->restart;
  const bool restartable = rt == otp::restart_type::permanent
                           || (rt == otp::restart_type::transient && !silent);
  if (!restartable) {
    if (rt == otp::restart_type::temporary || sup.c->kind == node_kind::dyn) {
      sup.children.erase(sup.children.begin() + static_cast<std::ptrdiff_t>(v));
    } else {
      victim.running = false;
      victim.pid.clear();
    }
    return 0;
  }
  if (sup.c->kind == node_kind::dyn
      || sup.c->strategy == otp::strategy::one_for_one) {
    restart_node(victim);
    return 1;
  }
  const std::size_t from =
      sup.c->strategy == otp::strategy::one_for_all ? 0 : v;
  std::vector<node> kept(sup.children.begin(),
                         sup.children.begin()
                             + static_cast<std::ptrdiff_t>(from));
  for (std::size_t k = from; k < sup.children.size(); ++k) {
    if (sup.children[k].c->restart == otp::restart_type::temporary)
      continue; // terminated and dropped
    kept.push_back(std::move(sup.children[k]));
    restart_node(kept.back());
  }
  const std::size_t restarted = kept.size() - from;
  sup.children = std::move(kept);
  return restarted;
}

std::uint64_t total_restarts(const node& n) {
  std::uint64_t t = 0;
  for (const node& k : n.children)
    t += k.restarts + total_restarts(k);
  return t;
}

std::size_t model_processes(const node& n) {
  std::size_t t = 0;
  for (const node& k : n.children)
    if (k.running)
      t += 1 + model_processes(k);
  return t;
}

// -- comparing the model with supervision_tree ------------------------------

std::string check_sup(node& m, const json& j, const std::string& path,
                      int only = -1);

std::string mismatch(const std::string& path, const std::string& what,
                     const json& got, const json& want) {
  return path + ": " + what + " is " + got.dump() + ", expected " + want.dump();
}

/// Compare child `m` with its entry `jc`; learn its pid.
std::string check_child(node& m, const json& jc, const std::string& path,
                        bool track_pid) {
  const std::string here = path + "/" + m.c->id;
  if (track_pid && jc.value("id", json()) != json(m.c->id))
    return mismatch(here, "id", jc.value("id", json()), m.c->id);
  if (jc.at("restart") != otp::to_string(m.c->restart))
    return mismatch(here, "restart", jc.at("restart"),
                    otp::to_string(m.c->restart));
  if (jc.at("restarts") != m.restarts)
    return mismatch(here, "restarts", jc.at("restarts"), m.restarts);
  const char* status = m.running ? "running" : "undefined";
  if (jc.at("status") != status)
    return mismatch(here, "status", jc.at("status"), status);
  const std::string name = m.running ? m.c->name : std::string();
  if (jc.at("registered_name") != name)
    return mismatch(here, "registered_name", jc.at("registered_name"), name);
  if (!m.running) {
    if (!jc.at("pid").is_null())
      return mismatch(here, "pid", jc.at("pid"), nullptr);
    return {};
  }
  if (!jc.at("pid").is_string())
    return mismatch(here, "pid", jc.at("pid"), "a pid");
  const std::string pid = jc.at("pid").get<std::string>();
  if (track_pid && !m.pid.empty()) {
    if (m.changed && pid == m.pid)
      return here + ": pid " + pid + " should have changed (restarted)";
    if (!m.changed && pid != m.pid)
      return here + ": pid changed from " + m.pid + " to " + pid
             + " without a restart";
  }
  m.pid = pid;
  m.changed = false;
  if (m.c->is_sup())
    return check_sup(m, jc, here);
  return {};
}

std::tuple<std::string, std::string, std::uint64_t> dyn_key(const node& n) {
  return {n.c->name, otp::to_string(n.c->restart), n.restarts};
}
std::tuple<std::string, std::string, std::uint64_t> dyn_key(const json& j) {
  return {j.at("registered_name").get<std::string>(),
          j.at("restart").get<std::string>(),
          j.at("restarts").get<std::uint64_t>()};
}

/// Compare supervisor `m` with its JSON `j` (children in start order, or
/// for a dynamic supervisor matched by name, restart type and counter:
/// children equal on those are interchangeable). `only`: compare only that
/// child (the root, whose other children other killers own).
std::string check_sup(node& m, const json& j, const std::string& path,
                      int only) {
  if (j.contains("error"))
    return path + ": supervision_tree error " + j.at("error").dump();
  const bool dyn = m.c->kind == node_kind::dyn;
  const char* kind = dyn ? "dynamic_supervisor" : "supervisor";
  if (j.value("kind", json()) != kind)
    return mismatch(path, "kind", j.value("kind", json()), kind);
  if (!dyn && j.at("strategy") != otp::to_string(m.c->strategy))
    return mismatch(path, "strategy", j.at("strategy"),
                    otp::to_string(m.c->strategy));
  const json& kids = j.at("children");
  if (kids.size() != m.children.size())
    return mismatch(path, "the number of children", kids.size(),
                    m.children.size());
  if (!dyn) {
    for (std::size_t k = 0; k < kids.size(); ++k) {
      if (only >= 0 && static_cast<int>(k) != only)
        continue;
      if (auto e = check_child(m.children[k], kids[k], path, true); !e.empty())
        return e;
    }
    return {};
  }
  std::vector<std::size_t> mi(m.children.size()), ji(kids.size());
  for (std::size_t k = 0; k < mi.size(); ++k)
    mi[k] = ji[k] = k;
  std::sort(mi.begin(), mi.end(), [&](std::size_t a, std::size_t b) {
    return dyn_key(m.children[a]) < dyn_key(m.children[b]);
  });
  std::sort(ji.begin(), ji.end(), [&](std::size_t a, std::size_t b) {
    return dyn_key(kids[a]) < dyn_key(kids[b]);
  });
  for (std::size_t k = 0; k < mi.size(); ++k)
    if (auto e = check_child(m.children[mi[k]], kids[ji[k]], path, false);
        !e.empty())
      return e;
  return {};
}

// -- the killers --------------------------------------------------------------

struct killer_done {
  int index = 0;
  std::uint64_t kills = 0;
  std::uint64_t sup_kills = 0;
  std::uint64_t restarted = 0;  ///< kills whose victim was restarted
  std::uint64_t reported = 0;   ///< kills that give a child_terminated report
  std::uint64_t increments = 0; ///< restart counter increments (all kills)
  std::string error;            ///< the first problem, "" if none
};

/// The pid of the child of `sup` whose pid prints as `text`.
otp::pid find_pid(const std::string& sup, const std::string& text) {
  auto wc = otp::supervisor::which_children(sup);
  if (wc)
    for (const otp::child_info& ci : *wc)
      if (ci.pid && ci.pid.to_string() == text)
        return ci.pid;
  return {};
}

/// One kill in `parent` (registered as `parent_name`), of a random running
/// child (or of child `only` if >= 0). Returns a problem, or "".
std::string kill_one(node& parent, const std::string& parent_name, int only,
                     const std::string& path, std::mt19937& rng,
                     killer_done& st) {
  const json before = otp::supervision_tree(parent_name);
  if (auto e = check_sup(parent, before, path, only); !e.empty())
    return "before a kill: " + e;
  std::vector<std::size_t> live;
  for (std::size_t k = 0; k < parent.children.size(); ++k)
    if (parent.children[k].running && (only < 0 || static_cast<int>(k) == only))
      live.push_back(k);
  if (live.empty())
    return {};
  const std::size_t v =
      live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(rng)];
  node& victim = parent.children[v];
  const std::string victim_id = victim.c->id;
  const otp::pid p = find_pid(parent_name, victim.pid);
  if (!p)
    return path + "/" + victim_id + ": " + victim.pid
           + " is not among the children";
  otp::exit_reason reason = otp::exit_reason::kill();
  otp::exit_reason expected = otp::exit_reason::killed();
  if (!victim.c->is_sup()) {
    const int r = std::uniform_int_distribution<int>(0, 9)(rng);
    if (r >= 7 && r < 9)
      expected = reason = otp::exit_reason::shutdown();
    else if (r == 9)
      expected = reason = otp::exit_reason::user("chaos");
  } else {
    ++st.sup_kills;
  }
  const bool silent = reason.what_kind() == otp::exit_reason::kind::shutdown;
  const otp::ref mon = otp::monitor(p);
  otp::exit(p, reason);
  auto down = sup_test::down_reason(mon);
  if (!down)
    return path + "/" + victim_id + ": no DOWN";
  if (*down != expected)
    return path + "/" + victim_id + ": DOWN " + down->to_string()
           + ", expected " + expected.to_string();
  ++st.kills;
  if (victim.c->restart == otp::restart_type::permanent || !silent)
    ++st.reported;
  const bool dyn = parent.c->kind == node_kind::dyn;
  if (const std::size_t n = apply_kill(parent, v, silent); n > 0) {
    ++st.restarted;
    st.increments += n;
  }
  // The EXIT is handled (and any restart done: a supervisor restarts inside
  // its EXIT handler) once which_children no longer shows the victim.
  const bool settled = otp_test::eventually(
      [&] {
        auto wc = otp::supervisor::which_children(parent_name);
        if (!wc)
          return false;
        for (const otp::child_info& ci : *wc)
          if ((dyn || ci.id == victim_id) && ci.pid == p)
            return false;
        return true;
      },
      10s, 200us);
  if (!settled)
    return path + "/" + victim_id + ": the EXIT was not handled in 10 s";
  const json after = otp::supervision_tree(parent_name);
  if (auto e = check_sup(parent, after, path, only); !e.empty())
    return "after killing " + path + "/" + victim_id + " with "
           + reason.to_string() + ": " + e;
  return {};
}

killer_done run_killer(int i, node* root,
                       std::chrono::steady_clock::time_point until) {
  killer_done st;
  st.index = i;
  std::mt19937 rng(chaos_seed + static_cast<std::uint32_t>(i));
  std::uniform_real_distribution<double> dice(0.0, 1.0);
  node& mid = root->children[static_cast<std::size_t>(i)];
  const std::string mid_path = "chaos/" + mid.c->id;
  while (std::chrono::steady_clock::now() < until && st.error.empty()) {
    const double r = dice(rng);
    if (r < 0.005) {
      st.error = kill_one(*root, "chaos", i, "chaos", rng, st);
    } else if (r < 0.03) {
      st.error = kill_one(mid, mid.c->name, -1, mid_path, rng, st);
    } else {
      node& leaf = mid.children[std::uniform_int_distribution<std::size_t>(
          0, mid.children.size() - 1)(rng)];
      st.error = kill_one(leaf, leaf.c->name, -1, mid_path + "/" + leaf.c->id,
                          rng, st);
    }
  }
  return st;
}

// -- the log ------------------------------------------------------------------

struct log_counts {
  std::atomic<std::uint64_t> errors{0}, child_terminated{0}, start_error{0},
      shutdown_error{0}, intensity{0};
};

class counting_sink {
public:
  explicit counting_sink(log_counts& n) {
    previous_ = otp::set_log_sink([&n](const otp::log_event& e) {
      if (e.level != otp::log_level::error)
        return;
      ++n.errors;
      const auto has = [&](const char* s) {
        return e.text.find(s) != std::string::npos;
      };
      if (has("child_terminated"))
        ++n.child_terminated;
      if (has("start_error"))
        ++n.start_error;
      if (has("shutdown_error"))
        ++n.shutdown_error;
      if (has("reached_max_restart_intensity"))
        ++n.intensity;
    });
  }
  counting_sink(const counting_sink&) = delete;
  counting_sink& operator=(const counting_sink&) = delete;
  ~counting_sink() { otp::set_log_sink(std::move(previous_)); }

private:
  otp::log_sink previous_;
};

// -- the final walk -----------------------------------------------------------

/// Every permanent child under `sup` runs with a live pid; `live` collects
/// the registered names of running children with their pids.
std::string check_alive(const otp::server_ref& sup, const json& j,
                        const std::string& path,
                        std::map<std::string, std::string>& live) {
  auto wc = otp::supervisor::which_children(sup);
  if (!wc)
    return path + ": which_children failed";
  std::map<std::string, otp::pid> pids;
  for (const otp::child_info& ci : *wc)
    if (ci.pid)
      pids[ci.pid.to_string()] = ci.pid;
  for (const json& k : j.at("children")) {
    const std::string here = path + "/" + k.at("id").dump();
    const bool running = k.at("status") == "running";
    if (k.at("restart") == "permanent" && !running)
      return here + ": a permanent child is not running";
    if (!running)
      continue;
    const std::string text = k.at("pid").get<std::string>();
    auto it = pids.find(text);
    if (it == pids.end() || !otp::alive(it->second))
      return here + ": " + text + " is not alive";
    if (const std::string name = k.at("registered_name"); !name.empty())
      live[name] = text;
    if (k.at("type") == "supervisor")
      if (auto e = check_alive(it->second, k, here, live); !e.empty())
        return e;
  }
  return {};
}

} // namespace

TEST_CASE("random kills across a three-level tree leave it whole with exact "
          "restart counts",
          "[supervision][chaos][sem:66][sem:67][sem:74][sem:78][timing]") {
  const cfg tree = make_tree();
  std::vector<std::string> names;
  all_names(tree, names);
  const auto chaos_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      10s * otp_test::test_scale());
  otp::runtime rt{{.threads = 2}};
  log_counts logged;
  counting_sink sink(logged);
  name_waits = 0;
  std::vector<killer_done> done;
  std::size_t baseline = 0, tree_processes = 0;
  node model = fresh(tree);
  json final_tree;
  std::string final_error, alive_error;
  std::map<std::string, std::string> live_names;
  std::vector<std::string> name_errors;
  std::uint64_t observed_restarts = 0;
  std::size_t tree_now = 0;
  auto started_at = std::chrono::steady_clock::now();

  rt.run([&] {
    baseline = rt.process_count();
    const otp::start_result root = start_node(&tree);
    REQUIRE(root.ok());
    tree_processes = rt.process_count() - baseline;
    // Check the fresh tree and learn every pid.
    final_error = check_sup(model, otp::supervision_tree("chaos"), "chaos");
    REQUIRE(final_error.empty());

    started_at = std::chrono::steady_clock::now();
    const auto until = started_at + chaos_time;
    const otp::pid me = otp::self();
    for (int i = 0; i < mids; ++i)
      otp::spawn([i, me, until, m = &model] {
        killer_done d;
        try {
          d = run_killer(i, m, until);
        } catch (const std::exception& e) {
          d.index = i;
          d.error = std::string("exception: ") + e.what();
        }
        otp::send(me, std::move(d));
      });
    for (int i = 0; i < mids; ++i) {
      auto d = otp::receive_as<killer_done>(chaos_time + 60s);
      REQUIRE(d);
      done.push_back(std::move(*d));
    }
    std::sort(done.begin(), done.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    for (const killer_done& d : done)
      if (!d.error.empty())
        return; // reported below, outside the process

    // The kills are all handled (each killer waited for its last one); the
    // whole tree must now equal the model.
    final_tree = otp::supervision_tree("chaos");
    final_error = check_sup(model, final_tree, "chaos");
    live_names["chaos"] = root.pid().to_string();
    alive_error = check_alive("chaos", final_tree, "chaos", live_names);
    for (const std::string& name : names) {
      const otp::pid holder = otp::whereis(name);
      auto it = live_names.find(name);
      if (it == live_names.end()) {
        if (holder)
          name_errors.push_back(name + " is held by " + holder.to_string()
                                + " but no running child has it");
      } else if (!holder || !otp::alive(holder)
                 || holder.to_string() != it->second) {
        name_errors.push_back(name + " points at "
                              + (holder ? holder.to_string() : "nothing")
                              + ", the child is " + it->second);
      }
    }
    for (const std::string& name : otp::registered())
      if (const otp::pid holder = otp::whereis(name);
          holder && !otp::alive(holder))
        name_errors.push_back(name + " is registered to a dead process");
    std::function<void(const json&)> sum = [&](const json& j) {
      for (const json& k : j.value("children", json::array())) {
        observed_restarts += k.at("restarts").get<std::uint64_t>();
        sum(k);
      }
    };
    sum(final_tree);
    // No process of the tree is missing or left over: the root, the running
    // children of the model, and this process.
    tree_now = model_processes(model) + 1;
    CHECK(otp_test::eventually(
        [&] { return rt.process_count() == baseline + tree_now; }, 10s));
    CHECK(rt.process_count() == baseline + tree_now);

    REQUIRE(otp::supervisor::try_stop("chaos").ok());
    CHECK(otp_test::eventually([&] { return rt.process_count() == baseline; },
                               10s));
    CHECK(rt.process_count() == baseline);
  });
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - started_at)
                             .count();

  std::uint64_t kills = 0, sup_kills = 0, restarted = 0, reported = 0,
                increments = 0;
  for (const killer_done& d : done) {
    INFO("killer " << d.index << ": " << d.error);
    CHECK(d.error.empty());
    kills += d.kills;
    sup_kills += d.sup_kills;
    restarted += d.restarted;
    reported += d.reported;
    increments += d.increments;
  }
  std::cout << "chaos: seed " << chaos_seed << ", " << tree_processes
            << " processes, " << kills << " kills (" << sup_kills
            << " of supervisors, " << restarted << " restarted, " << increments
            << " restart counter increments checked) in " << seconds << " s, "
            << observed_restarts << " restarts counted, " << tree_now
            << " processes at the end, " << name_waits.load()
            << " starts waited for their name\n";
  REQUIRE(done.size() == static_cast<std::size_t>(mids));
  CHECK(tree_processes >= 1000);
  CHECK(kills > 0);
  INFO(final_error);
  CHECK(final_error.empty());
  INFO(alive_error);
  CHECK(alive_error.empty());
  CHECK(name_errors == std::vector<std::string>{});
  // The counters in the tree are the model's (checked child by child above).
  CHECK(observed_restarts == total_restarts(model));
  CHECK(logged.intensity == 0);
  CHECK(logged.start_error == 0);
  CHECK(logged.shutdown_error == 0);
  CHECK(logged.child_terminated == reported);
  CHECK(logged.errors == reported);
  REQUIRE(otp_test::all_exited(rt));
}
