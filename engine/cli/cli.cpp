#include "cli/cli.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <ostream>

#include "cli/check_mappings_command.hpp"
#include "cli/operate_commands.hpp"
#include "cli/parse_command.hpp"
#include "cli/replay_command.hpp"
#include "cli/serve_command.hpp"

namespace radbridge::cli {

namespace {

constexpr std::string_view usage_text =
    "usage: radbridge COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  parse [--json | --path EXPR] FILE|- [FILE...]\n"
    "                     parse HL7 v2 messages (and batch files); print a summary,\n"
    "                     the JSON tree, or one value per message\n"
    "  serve --config FILE [--db CONNINFO] [--listen HOST:PORT]\n"
    "                     run the MLLP listeners; every AA means the message is in PostgreSQL\n"
    "  migrate --db CONNINFO\n"
    "                     apply the embedded SQL migrations\n"
    "  replay --to HOST:PORT [--tls --ca F --cert F --key F] [--connections N]\n"
    "         [--rate R] [--repeat K] [--timeout-ms MS] [--ack-log FILE] PATH...\n"
    "                     send messages over MLLP, wait for each ACK, report counts and latency\n"
    "  infer --model ID (--dir DIR | --dicomweb URL (--study UID | --accession ACC)) [--json]\n"
    "                     fetch one study, run one model of models/registry.json, print its findings\n"
    "  check-mappings [--registry FILE] PATH...\n"
    "                     check mapping files; every problem as file:line:col: reason\n"
    "  preview --mapping PATH --order ORDER.hl7 (--findings F.json | --dir DIR) --out DIR\n"
    "                     build every output the matching routes define into DIR; send nothing\n"
    "  requeue [--db CONNINFO] [--destination NAME] [--id N]...\n"
    "                     put dead letters back on their delivery lanes\n"
    "  audit [--db CONNINFO] STUDY_KEY\n"
    "                     what happened to a study: jobs, inferences, outbound messages\n"
    "\n"
    "run 'radbridge COMMAND --help' for a command's options.\n";

}  // namespace

bool runs_in_worker(std::string_view command) noexcept { return command == "infer" || command == "preview"; }

std::string sibling_executable(std::string_view name) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ((ec ? std::filesystem::path(".") : self.parent_path()) / name).string();
}

int exec_worker(char** argv, std::ostream& err) {
  const std::string worker = sibling_executable("radbridge-worker");
  argv[0] = const_cast<char*>(worker.c_str());
  execv(worker.c_str(), argv);
  err << "radbridge: cannot run " << worker << ": " << std::strerror(errno) << '\n';
  return exit_failure;
}

std::string database_conninfo(std::optional<std::string_view> flag, const std::string& fallback) {
  if (flag) return std::string(*flag);
  if (const char* env = std::getenv("RADBRIDGE_DB"); env != nullptr && *env != '\0') return env;
  return fallback;
}

int run(std::span<const std::string_view> args, std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? err : out) << usage_text;
    return args.empty() ? exit_usage : exit_ok;
  }
  const std::string_view command = args[0];
  const auto rest = args.subspan(1);
  if (command == "parse") return run_parse(rest, in, out, err);
  if (command == "serve") return run_serve(rest, out, err);
  if (command == "migrate") return run_migrate(rest, out, err);
  if (command == "replay") return run_replay(rest, out, err);
  if (command == "check-mappings") return run_check_mappings(rest, out, err);
  if (command == "requeue") return run_requeue(rest, out, err);
  if (command == "audit") return run_audit(rest, out, err);
  err << "radbridge: unknown command '" << command << "'\n\n" << usage_text;
  return exit_usage;
}

}  // namespace radbridge::cli
