#include "cli/worker_cli.hpp"

#include <ostream>

#include "cli/cli.hpp"
#include "cli/infer_command.hpp"
#include "cli/preview_command.hpp"
#include "cli/worker_command.hpp"

namespace radbridge::cli {

int run_worker(std::span<const std::string_view> args, std::istream&, std::ostream& out, std::ostream& err) {
  constexpr std::string_view usage =
      "usage: radbridge-worker (jobs --config FILE [--db CONNINFO] [--supervised] | infer ... | preview ...)\n"
      "  started by `radbridge serve` (jobs) and by `radbridge infer` / `radbridge preview`\n";
  if (args.empty()) {
    err << usage;
    return exit_usage;
  }
  const auto rest = args.subspan(1);
  if (args[0] == "jobs") return run_jobs(rest, out, err);
  if (args[0] == "infer") return run_infer(rest, out, err);
  if (args[0] == "preview") return run_preview(rest, out, err);
  err << "radbridge-worker: unknown command '" << args[0] << "'\n" << usage;
  return exit_usage;
}

}  // namespace radbridge::cli
