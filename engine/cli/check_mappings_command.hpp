// `radbridge check-mappings [--registry FILE] PATH...`
//
// Checks mapping files (a PATH is a file, or a folder whose *.json files are
// read) against the schema and the model registry (default
// `models/registry.json` under the current folder) — see
// route/mapping_loader.hpp. Prints every problem as `file:line:col: reason`
// on `err` and exits 1; when there is none, prints one line per route
// (name, mode, models, outputs) and a count on `out`, exit 0. A registry that
// cannot be read is exit 1 with its own problems; usage errors exit 2.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_check_mappings(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
