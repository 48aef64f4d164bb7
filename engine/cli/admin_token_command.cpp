#include "cli/admin_token_command.hpp"

#include <ostream>
#include <string>

#include "admin/tokens.hpp"
#include "cli/cli.hpp"
#include "core/sha256.hpp"
#include "json/json_writer.hpp"

namespace radbridge::cli {

int run_admin_token(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  constexpr std::string_view usage = "usage: radbridge admin-token NAME (viewer|reviewer|operator|phi)\n";
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    out << usage;
    return exit_ok;
  }
  if (args.size() != 2 || args[0].empty() || args[0].starts_with("-")) {
    err << usage;
    return exit_usage;
  }
  if (args[1] != "viewer" && args[1] != "reviewer" && args[1] != "operator" && args[1] != "phi") {
    err << "radbridge admin-token: the role is viewer, reviewer, operator or phi, not '" << args[1] << "'\n";
    return exit_usage;
  }
  const std::string token = admin::new_token();
  json::writer entry;
  entry.begin_object().key("name").string(args[0]).key("role").string(args[1]).key("sha256").string(sha256_hex(token));
  entry.end_object();
  out << "token: " << token << "\n"
      << "add to the \"tokens\" of admin.tokens_file (the token itself is not kept anywhere):\n"
      << entry.str() << '\n';
  return exit_ok;
}

}  // namespace radbridge::cli
