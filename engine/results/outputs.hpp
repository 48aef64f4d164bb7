// Every output a route defines for one job, built: what the job runner
// queues (one outbound row per destination) and what `radbridge preview`
// writes to files.
//
// For each output kind the route sends somewhere: ORU^R01 (with the RP OBX
// pointing at the SR's WADO-RS URL when the route also sends the SR to a
// DICOMweb destination), ADT^A31 (unless adt_refusal says why not), one FHIR
// Observation per finding (and probability), and the DICOM SR (unless the
// input has no source series). A withdrawal builds only the ORU and the
// Observations. Whatever is not built comes back in `skipped` with the
// reason. The rollout mode is the caller's business beyond what adt_refusal
// checks: a silent route's outputs are built (for preview) but not queued.
// Throws build_error like the builders.
#pragma once

#include <string>
#include <vector>

#include "results/result_input.hpp"

namespace radbridge::results {

struct built_output {
  route::output_kind kind = route::output_kind::oru;
  std::string name;       // "oru", "adt", "observation.<finding>", "sr": unique within the job
  std::string identity;   // MSH-10, FHIR identifier value, or SOP Instance UID
  std::string study_uid;  // the SR's study (STOW-RS); empty for the others
  std::string payload;
  std::vector<std::string> destinations;
};

struct skipped_output {
  route::output_kind kind = route::output_kind::oru;
  std::string reason;
};

struct job_outputs {
  std::vector<built_output> built;
  std::vector<skipped_output> skipped;
};

job_outputs build_outputs(const result_input& in, const route::mapping_set& mappings);

// The stable identity of a job (result_input::job_key): route, study key,
// and each model with its version.
std::string job_key_for(std::string_view route, std::string_view study_key,
                        const std::vector<infer::inference_result>& results);

}  // namespace radbridge::results
