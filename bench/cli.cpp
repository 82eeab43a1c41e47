// Command-line parsing for otp_bench.

#include "bench/cli.hpp"

#include "bench/workload.hpp"

#include <charconv>
#include <sstream>
#include <string_view>

namespace otp_bench {

namespace {

std::uint64_t parse_positive(std::string_view option, std::string_view text,
                             std::uint64_t max) {
  std::uint64_t v = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [end, ec] = std::from_chars(first, last, v);
  if (text.empty() || ec != std::errc() || end != last || v == 0 || v > max)
    throw usage_error(std::string(option) + " expects an integer from 1 to "
                      + std::to_string(max) + ", got '" + std::string(text)
                      + "'");
  return v;
}

} // namespace

command_line parse_command_line(int argc, char** argv) {
  command_line cmd;
  if (argc < 2)
    throw usage_error("missing WORKLOAD (or 'all')");
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      cmd.help = true;
      return cmd;
    }
    std::string_view value;
    bool has_value = false;
    if (const auto eq = arg.find('=');
        arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto take_value = [&]() -> std::string_view {
      if (has_value)
        return value;
      if (i + 1 >= argc)
        throw usage_error(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--threads") {
      cmd.threads = static_cast<unsigned>(
          parse_positive("--threads", take_value(), 1024));
    } else if (arg == "--n") {
      cmd.n = parse_positive("--n", take_value(), 1'000'000'000);
    } else if (arg == "--quick" && !has_value) {
      cmd.quick = true;
    } else if (arg.starts_with("-")) {
      throw usage_error("unknown option '" + std::string(argv[i]) + "'");
    } else if (cmd.workload.empty()) {
      cmd.workload = arg;
    } else {
      throw usage_error("unexpected argument '" + std::string(arg)
                        + "' (one WORKLOAD only)");
    }
  }
  if (cmd.workload.empty())
    throw usage_error("missing WORKLOAD (or 'all')");
  if (cmd.workload == "all") {
    if (cmd.n)
      throw usage_error("--n cannot be used with 'all': each workload has "
                        "its own size");
    return cmd;
  }
  const workload* w = find_workload(cmd.workload);
  if (w == nullptr) {
    std::string known;
    for (const auto& k : workloads())
      known += (known.empty() ? "" : ", ") + std::string(k.name);
    throw usage_error("unknown workload '" + cmd.workload + "' (known: " + known
                      + ", all)");
  }
  if (cmd.n && w->check_n != nullptr) {
    if (std::string why = w->check_n(*cmd.n); !why.empty())
      throw usage_error(std::string(w->name) + ": --n " + std::to_string(*cmd.n)
                        + ": " + why);
  }
  return cmd;
}

std::string usage() {
  std::ostringstream os;
  os << "usage: otp_bench WORKLOAD [--threads T] [--n N] [--quick]\n"
        "       otp_bench all [--quick] [--threads T]\n"
        "\n"
        "Runs one workload and prints one JSON line; 'all' runs every\n"
        "workload in its own child process. --threads: scheduler threads\n"
        "(default 1). --quick: the small CI size.\n"
        "\n"
        "workloads (default N, quick N: what N counts; what one op is):\n";
  for (const auto& w : workloads())
    os << "  " << w.name << " (" << w.default_n << ", " << w.quick_n << ": "
       << w.n_means << "; op = " << w.op_means << ")\n";
  return os.str();
}

} // namespace otp_bench
