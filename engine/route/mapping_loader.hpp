// Reading mapping files (mappings/*.json) into a mapping_set, and checking
// them, every problem reported as `file:line:col: reason`.
//
// A file holds "routes", "destinations" or both (and may name its schema
// with "$schema"). Each file is checked in three passes: JSON syntax, the
// JSON Schema in mappings/schema/mapping.schema.json (embedded in the
// binary; RapidJSON's validator), then our reading of every value (kinds,
// ranges, HL7 paths, regular expressions, codes with a system). When every
// file reads cleanly, the set is checked as a whole against the model
// registry: unknown model, a finding label no model of the route produces,
// acuity triggers on unmapped findings, unknown destination, a destination
// of the wrong kind for an output, duplicate route or destination names, and
// overlapping routes (two routes running the same model whose conditions
// can both hold for one message; see overlaps.hpp).
//
// A PATH is a file or a folder; a folder contributes its *.json files (not
// its subfolders), in name order. `load_mappings` throws mapping_error whose
// what() lists every problem, one per line; `check_mappings` returns them.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "infer/model_registry.hpp"
#include "route/mapping.hpp"

namespace radbridge::route {

class mapping_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct check_report {
  mapping_set mappings;               // what was read (complete only when problems is empty)
  std::vector<std::string> files;     // the files read, in order
  std::vector<std::string> problems;  // file:line:col: reason
};

check_report check_mappings(const std::vector<std::string>& paths, const infer::model_registry& registry);
mapping_set load_mappings(const std::vector<std::string>& paths, const infer::model_registry& registry);

}  // namespace radbridge::route
