// demo: a small supervised shop, and what OTP supervision does when parts of
// it crash (the README's first command; about a second).
//
//   shop_sup (one_for_one)
//   |- inventory   Agent: stock per item                   (permanent)
//   |- orders      GenServer: takes orders, asks inventory (permanent)
//   |- couriers    DynamicSupervisor: one courier per delivery (transient)
//   `- reports     Task.Supervisor: reports computed as tasks
//
// Expected output (pids vary; reports are printed as they happen):
//   == 1. the tree starts, children in order ==          (the tree as JSON)
//   == 2. normal work ==           order #1: 3 x apple -> ok, 7 left ...
//   == 3. a GenServer crashes ==   its crash report, the supervisor's
//        child_terminated report, orders restarted as a new pid; the
//        inventory (another process) kept its state
//   == 4. dynamic children ==      a courier crashes and is restarted
//        (transient); one that finishes normally is not
//   == 5. a task crashes alone ==  yield gives {exit,...}; the caller lives
//   == 6. too many crashes ==      a 4th restart within 5 s exceeds
//        max_restarts 3: shop_sup stops its children in reverse order and
//        exits shutdown (report reached_max_restart_intensity)
#include "behaviours/agent.hpp"
#include "behaviours/gen_server.hpp"
#include "framework/otp.hpp"
#include "supervision/supervision.hpp"

#include <iostream>
#include <map>
#include <sstream>
#include <string>

using namespace std::chrono_literals;
using stock = std::map<std::string, int>;

/// Print in one write: reports from other processes (the log sink below)
/// never land in the middle of a line.
template <class... A>
void say(const A&... a) {
  std::ostringstream os;
  (os << ... << a);
  std::cout << os.str() << std::flush;
}

// -- orders: a GenServer with a client API above its callbacks --------------
struct place {
  std::string item;
  int qty;
};

class orders : public otp::gen_server<orders> {
public:
  static otp::start_result start_link() {
    return gen_server::start_link(otp::server_options{.name = "orders"});
  }
  static std::string order(const std::string& item, int qty) {
    auto r = otp::try_call(otp::server<orders>("orders"), place{item, qty});
    return r.ok() ? *r : "failed: " + r.error().to_string();
  }

  otp::init_result init() { return ok(); }
  otp::call_result<std::string> handle_call(const place& p) {
    if (p.qty <= 0) // a bug we did not guard against: let it crash
      throw std::invalid_argument("quantity must be positive");
    const otp::agent<stock> inventory("inventory");
    const int left = inventory.get_and_update([p](stock& s) {
      return s[p.item] >= p.qty ? (s[p.item] -= p.qty) : -1;
    });
    ++taken_;
    return reply(left < 0 ? "out of stock"
                          : "ok, " + std::to_string(left) + " left");
  }
  std::string format_status() const {
    return "#{orders_taken => " + std::to_string(taken_) + "}";
  }

private:
  int taken_ = 0;
};

// -- couriers: transient GenServers under a DynamicSupervisor -----------------
struct deliver {
  bool flat_tyre;
};
class courier : public otp::gen_server<courier> {
public:
  otp::cast_result handle_cast(const deliver& d) {
    if (d.flat_tyre)
      throw std::runtime_error("flat tyre");
    return stop(otp::exit_reason::normal()); // delivered: done for good
  }
};

/// The process now registered as `name` once it is not `old` any more (the
/// supervisor restarts asynchronously); null if the supervisor ended.
otp::pid whereis_new(const std::string& name, const otp::pid& old) {
  for (;;) {
    otp::pid p = otp::whereis(name);
    if (p && p != old)
      return p;
    if (!otp::whereis("shop_sup"))
      return {};
    otp::sleep(1ms);
  }
}

/// The supervision tree as JSON, one node per line, indented by depth.
void print_node(const nlohmann::json& node, int depth) {
  nlohmann::json flat = node;
  flat.erase("children");
  say(std::string(2 * depth, ' '), flat.dump(), "\n");
  if (node.contains("children"))
    for (const auto& child : node["children"])
      print_node(child, depth + 1);
}

void show_tree(const char* title) {
  say("== ", title, " ==\n");
  print_node(otp::supervision_tree("shop_sup"), 0);
}

int main() {
  otp::set_log_sink([](const otp::log_event& e) {
    if (e.level == otp::log_level::error) // progress reports are info
      say(e.text, "\n");
  });
  otp::runtime rt;
  rt.run([] {
    otp::trap_exit(true); // so we watch shop_sup end in step 6
    otp::child_spec inventory = otp::worker<otp::agent<stock>>(
        "inventory",
        [] {
          return stock{{"apple", 10}, {"pear", 2}};
        },
        otp::server_options{.name = "inventory"});
    otp::child_spec couriers =
        otp::dynamic_supervisor::spec("couriers", {.name = "couriers"});
    auto sup = otp::supervisor::start_link(
        {inventory, otp::worker<orders>("orders"), couriers,
         otp::task_supervisor::spec("reports", {.name = "reports"})},
        {.strategy = otp::strategy::one_for_one, .name = "shop_sup"});
    show_tree("1. the tree starts, children in order");

    say("== 2. normal work ==\n", "order #1: 3 x apple -> ",
        orders::order("apple", 3), "\norder #2: 5 x pear -> ",
        orders::order("pear", 5), "\n");

    say("== 3. a GenServer crashes ==\n");
    const otp::pid before = otp::whereis("orders");
    const std::string third = orders::order("apple", -1); // reports first
    say("order #3: -1 x apple -> ", third, "\n");
    const otp::pid after = whereis_new("orders", before);
    say("orders restarted: ", before, " -> ", after,
        "\norder #4: 1 x apple -> ", orders::order("apple", 1),
        " (the inventory kept its state)\n");

    say("== 4. dynamic children ==\n");
    otp::child_spec c = otp::worker<courier>("courier");
    c.restart = otp::restart_type::transient;
    const otp::pid a =
        otp::dynamic_supervisor::start_child("couriers", c).pid();
    const otp::pid b =
        otp::dynamic_supervisor::start_child("couriers", c).pid();
    const otp::ref ma = otp::monitor(a);
    const otp::ref mb = otp::monitor(b);
    otp::cast(otp::server<courier>(a), deliver{true});
    otp::cast(otp::server<courier>(b), deliver{false});
    otp::receive([&](const otp::down_message&) {});
    otp::receive([&](const otp::down_message&) {});
    for (;;) { // wait for the supervisor to restart the crashed one
      auto n = otp::dynamic_supervisor::count_children("couriers");
      if (n.ok() && n->active == 1)
        break;
      otp::sleep(1ms);
    }
    say("courier ", a, " crashed (restarted), courier ", b,
        " delivered (not restarted): 1 courier running\n");

    say("== 5. a task crashes alone ==\n");
    auto good =
        otp::task_supervisor::async_nolink("reports", [] { return 6 * 7; });
    auto bad = otp::task_supervisor::async_nolink(
        "reports", []() -> int { throw std::runtime_error("report failed"); });
    const int answer = good.await();
    const otp::exit_reason why = bad.yield()->reason();
    say("good report: ", answer, "\nbad report: ", why,
        " (and we are still here)\n");
    show_tree("the tree recovered");

    say("== 6. too many crashes ==\n");
    // max_restarts 3 within 5 s: the crash of step 3 was the first restart.
    otp::pid victim = otp::whereis("orders");
    for (int i = 1; victim; ++i) {
      say("kill #", i, ": orders ", victim, "\n");
      otp::exit(victim, otp::exit_reason::kill());
      victim = whereis_new("orders", victim);
    }
    otp::receive(otp::guard(
        [&](const otp::exit_message& m) { return m.from == sup.pid(); },
        [](const otp::exit_message& m) {
          say("shop_sup exited: ", m.reason, "\n");
        }));
    (void)ma;
    (void)mb;
  });
}
