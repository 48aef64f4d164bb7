// `radbridge serve --config FILE [--db CONNINFO] [--listen HOST:PORT]` and
// `radbridge migrate --db CONNINFO`.
//
// serve: loads and checks the configuration (every problem reported as
// file:line:col), applies pending migrations, starts the group committer and
// one listener per interface (`--listen` overrides the first interface's
// address; port 0 picks a free one, and the chosen address is logged), and
// runs until SIGTERM or SIGINT: then it stops accepting, lets connections
// finish the frame in hand, drains the commit queue and exits 0.
// The database comes from --db, else RADBRIDGE_DB, else the config file.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_serve(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int run_migrate(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
