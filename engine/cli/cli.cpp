#include "cli/cli.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <regex>
#include <stdexcept>

#include "cli/admin_token_command.hpp"
#include "cli/check_mappings_command.hpp"
#include "cli/operate_commands.hpp"
#include "cli/parse_command.hpp"
#include "cli/replay_command.hpp"
#include "cli/report_command.hpp"
#include "cli/serve_command.hpp"
#include "cli/status_command.hpp"
#include "core/log.hpp"
#include "core/secret_file.hpp"

namespace radbridge::cli {

namespace {

constexpr std::string_view usage_text =
    "usage: radbridge COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  parse [--json | --path EXPR] FILE|- [FILE...]\n"
    "                     parse HL7 v2 messages (and batch files); print a summary,\n"
    "                     the JSON tree, or one value per message\n"
    "  serve --config FILE [--db CONNINFO | --db-file FILE] [--listen HOST:PORT] [--admin-listen HOST:PORT]\n"
    "                     run the MLLP listeners (every AA means the message is in PostgreSQL),\n"
    "                     the pipeline and the admin server (health, metrics, API)\n"
    "  migrate (--db CONNINFO | --db-file FILE)\n"
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
    "  requeue [--db CONNINFO | --db-file FILE] [--destination NAME] [--id N]...\n"
    "                     put dead letters back on their delivery lanes\n"
    "  audit [--db CONNINFO | --db-file FILE] STUDY_KEY\n"
    "                     what happened to a study: jobs, inferences, outbound messages\n"
    "  status [--admin HOST:PORT]\n"
    "                     is the engine ready: database, models, destinations (its /readyz)\n"
    "  dead-letters [--db CONNINFO | --db-file FILE] [--destination NAME] [--limit N]\n"
    "                     list dead letters, oldest first\n"
    "  report --route NAME [--model ID] [--since YYYY-MM-DD] [--format text|json|csv]\n"
    "                     a route's validation against the radiologists' verdicts, and its acceptance verdict\n"
    "  admin-token NAME (viewer|reviewer|operator|phi)\n"
    "                     make an admin API token and the entry for admin.tokens_file\n"
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

namespace {

// A libpq conninfo with a password in it: the keyword (password=...) or a
// URI's user information (postgresql://user:secret@host/db).
bool holds_password(std::string_view conninfo) {
  static const std::regex keyword(R"((^|\s)password\s*=)", std::regex::icase);
  static const std::regex uri(R"(^postgres(ql)?://[^/@]*:[^/@]*@)", std::regex::icase);
  const std::string text(conninfo);
  return std::regex_search(text, keyword) || std::regex_search(text, uri);
}

}  // namespace

std::string database_conninfo(const database_options& options, const std::string& fallback) {
  if (options.conninfo && options.file) throw std::invalid_argument("give --db or --db-file, not both");
  if (options.conninfo) {
    if (holds_password(*options.conninfo)) {
      log::warn("database_password_on_command_line", {{"hint", "use --db-file or RADBRIDGE_DB: ps shows --db"}});
    }
    return std::string(*options.conninfo);
  }
  if (options.file) {
    const std::string path(*options.file);
    std::string conninfo;
    try {
      conninfo = secrets::read_secret_file(path);
    } catch (const secrets::secret_file_error& e) {
      throw secrets::secret_file_error(std::string("--db-file: ") + e.what());
    }
    secrets::warn_if_readable_by_others("--db-file", path);
    return conninfo;
  }
  if (const char* env = std::getenv("RADBRIDGE_DB"); env != nullptr && *env != '\0') return env;
  return fallback;
}

std::optional<std::string> database_conninfo_or_say(std::string_view command, const database_options& options,
                                                    const std::string& fallback, std::ostream& err, int& code) {
  try {
    return database_conninfo(options, fallback);
  } catch (const std::invalid_argument& e) {
    err << "radbridge " << command << ": " << e.what() << '\n';
    code = exit_usage;
  } catch (const secrets::secret_file_error& e) {
    err << "radbridge " << command << ": " << e.what() << '\n';
    code = exit_failure;
  }
  return std::nullopt;
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
  if (command == "admin-token") return run_admin_token(rest, out, err);
  if (command == "status") return run_status(rest, out, err);
  if (command == "dead-letters") return run_dead_letters(rest, out, err);
  if (command == "report") return run_report(rest, out, err);
  err << "radbridge: unknown command '" << command << "'\n\n" << usage_text;
  return exit_usage;
}

}  // namespace radbridge::cli
