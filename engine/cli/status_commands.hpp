// What an operator asks a running engine from a shell:
//
//   radbridge status [--admin HOST:PORT]
// asks the admin server (default 127.0.0.1:8410) for /readyz and prints the
// verdict, the database's schema, each model and each destination's
// backlog; exit 0 when ready, 1 when not ready or not answering.
//
//   radbridge dead-letters [--db CONNINFO | --db-file FILE] [--destination NAME] [--limit N]
// lists dead letters, oldest first (at most N, default 100): id,
// destination, output, identity, attempts, when queued, the last error.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_status(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int run_dead_letters(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
