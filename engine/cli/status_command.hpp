// `radbridge status [--admin HOST:PORT]`: is a running engine ready? Asks
// its admin server (default 127.0.0.1:8410) for /readyz and prints the
// verdict, the database's schema, each model and each destination's
// backlog; exit 0 when ready, 1 when not ready or not answering.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_status(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
