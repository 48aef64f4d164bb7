// `radbridge report`: a route's validation report against the radiologists'
// verdicts (engine/review/validation.hpp), what a department reads before
// switching a route from silent to active.
//
//   radbridge report --route NAME [--model ID] [--since YYYY-MM-DD]
//                    [--format text|json|csv] [--mapping PATH]...
//                    [--registry FILE] [--db CONNINFO | --db-file FILE]
//
// The mappings (default: the folder mappings) give the route and its
// acceptance rules; they are checked before the database is touched. Exit 1
// (one line) for bad mappings, an unknown route or an unreachable database;
// 2 on usage.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_report(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
