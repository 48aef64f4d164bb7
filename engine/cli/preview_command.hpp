// `radbridge preview --mapping PATH... --order ORDER.hl7
//                    (--findings FINDINGS.json | --dir STUDY_DIR | both) --out DIR`
//
// Builds, without sending anything, every output the routes matching ORDER
// define — ORU^R01, ADT^A31, FHIR Observations, DICOM SR — into DIR, one file
// each, named `<route>.oru.hl7`, `<route>.adt.hl7`,
// `<route>.observation.<finding>.json` and `<route>.sr.dcm`, and prints
// what it built, for whom (the route's destinations) and why something was
// not built (ADT^A31 outside active mode or below the route's minimum
// acuity; the SR without the study's images). FINDINGS.json has the shape
// `radbridge infer --json` prints (one object, or an array of them); with
// --dir the route's models run on the study (found by the route's study key
// in the folder, series chosen by the route's rule) and the SR references
// its images; with both, the findings come from the file and the images
// from the folder. `--mapping` may repeat (files or folders, as for
// check-mappings); `--registry FILE` (default models/registry.json),
// `--threads N` for libtorch. Errors are one line each on `err`, exit 1
// (invalid mappings, no matching route, unreadable order or findings,
// findings of a model the route does not run, study not in the folder);
// usage errors exit 2.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_preview(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
