// One mapping file's JSON tree into routes and destinations (the per-file
// pass of mapping_loader.hpp): kinds, ranges, required keys, HL7 paths,
// regular expressions and codes, each problem recorded in the checker at the
// value's position. Cross-file checks (models, destinations, overlaps) are
// not made here.
#pragma once

#include <string>

#include "core/json_checker.hpp"
#include "json/json_document.hpp"
#include "route/mapping.hpp"

namespace radbridge::route {

void read_mapping_document(const json::value& root, const std::string& file, json_checker& checker,
                           mapping_set& into);

}  // namespace radbridge::route
