// What every result builder (ORU^R01, ADT^A31, FHIR Observation, DICOM SR)
// starts from: the order that started the job, the route that matched it,
// what the models found, and the job's identity.
//
// The job's identity (`job_key`) is a string that names the job the same
// way every time it is built (route, study, models and versions): outbound
// MSH-10 values, FHIR identifiers and SR UIDs are derived from it
// (output_ids.hpp), so a resend of the same result is recognisable and
// harmless. `issued` is when the results were produced; the builders take it
// from here rather than from the clock, so the same input builds the same
// bytes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "hl7/message.hpp"
#include "infer/inference_result.hpp"
#include "route/mapping.hpp"

namespace radbridge::results {

// One image of the analysed series, as the SR references it.
struct source_instance {
  std::string sop_class_uid;
  std::string sop_instance_uid;
};

// The analysed series as its DICOM headers describe it: what the SR copies
// (patient and study modules) and references (the evidence).
struct source_series {
  std::string study_uid;
  std::string series_uid;
  std::string modality;
  std::vector<source_instance> instances;
  std::string patient_id;
  std::string patient_name;        // DICOM PN, e.g. TESTPATIENT^ALPHA
  std::string patient_birth_date;  // YYYYMMDD or empty
  std::string patient_sex;         // M, F, O or empty
  std::string study_date;          // YYYYMMDD or empty
  std::string study_time;          // HHMMSS[.F] or empty
  std::string study_id;
  std::string accession;
  std::string referring_physician;  // DICOM PN or empty
};

struct result_input {
  const hl7::message* order = nullptr;   // the ORM (or ORU/ADT) that started the job
  const route::route* route = nullptr;   // the route that matched it
  std::vector<infer::inference_result> results;  // one per model of the route, in its order
  std::string job_key;                   // stable identity of the job
  std::string acuity;                    // level from the route's acuity rules (route/acuity.hpp)
  std::chrono::system_clock::time_point issued;
  std::optional<source_series> series;   // needed for the SR only
  std::string engine_version;            // e.g. "0.1.0"
};

}  // namespace radbridge::results
