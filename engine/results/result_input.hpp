// What every result builder (ORU^R01, ADT^A31, FHIR Observation, DICOM SR)
// starts from: the order that started the job, the route that matched it,
// what the models found, and the job's identity.
//
// The job's identity (`job_key`) is a string that names the result the same
// way every time it is built (route, study, models and versions, and the
// study version): outbound MSH-10 values and SR UIDs are derived from it
// (output_ids.hpp), so a resend of the same result is recognisable and
// harmless. FHIR identifiers and SR tracking UIDs come from `finding_key`
// (the same without the study version, so a correction updates the same
// Observation); empty means `job_key`. A correction carries the job key of
// the version it corrects (`predecessor_key`: the SR names that SR as its
// predecessor); a withdrawal rebuilds what was sent as withdrawn. `issued`
// is when the results were produced; the builders take it from here rather
// than from the clock, so the same input builds the same bytes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "fetch/series_headers.hpp"
#include "hl7/message.hpp"
#include "infer/inference_result.hpp"
#include "core/work_kinds.hpp"
#include "route/mapping.hpp"

namespace radbridge::results {

// The analysed series as its DICOM headers describe it (text in UTF-8):
// what the SR copies (patient and study modules) and references (the
// evidence). Read by engine/fetch while decoding.
using source_instance = fetch::instance_header;
using source_series = fetch::series_headers;

struct result_input {
  const hl7::message* order = nullptr;   // the ORM (or ORU/ADT) that started the job
  const route::route* route = nullptr;   // the route that matched it
  // The job's rollout mode when an operator switched the route's (admin
  // API); empty: the route's own.
  std::optional<work::rollout_mode> mode;
  std::vector<infer::inference_result> results;  // one per model of the route, in its order
  std::string job_key;                   // stable identity of this result (and study version)
  std::string finding_key;               // stable across study versions; empty: job_key
  work::revision revision = work::revision::original;
  std::string predecessor_key;           // correction: the job_key of the version it corrects
  std::string acuity;                    // level from the route's acuity rules (route/acuity.hpp)
  std::chrono::system_clock::time_point issued;
  std::optional<source_series> series;   // needed for the SR only
  std::string engine_version;            // e.g. "0.1.0"

  const std::string& stable_key() const noexcept { return finding_key.empty() ? job_key : finding_key; }
};

}  // namespace radbridge::results
