// ORU^R01 (HL7 v2.5.1) with a job's findings, for the RIS or reporting system.
//
// Segments: MSH (hl7_outbound.hpp), SFT for the engine and one per model
// (SFT-2 version, SFT-3 name, SFT-4 the model's sha256 prefix), PID and PV1
// copied from the order (PV1 only when the order has one), ORC (RE, placer
// and filler numbers), OBR (placer, filler, procedure, observation time and
// accession copied; OBR-22 issued; OBR-25 P), then per finding the route
// maps, in the models' order:
// - a coded finding: OBX CWE, OBX-3 its observation code, OBX-5 the present
//   or absent code, OBX-8 A (present), AA (present and the job's acuity is
//   the route's critical level) or N (absent); and, when the route codes the
//   probability, OBX NM with OBX-6 `1^^UCUM` and 3 decimals;
// - a value finding: OBX NM, OBX-6 `unit^^UCUM` and 1 decimal;
// - OBX-4 groups a finding's OBX, OBX-11 is P (preliminary), OBX-14 the
//   order's observation time, OBX-18 `model-version^RADBRIDGE`, OBX-19 the
//   issued time;
// then an impression OBX (ST, when the route codes one) saying these are
// preliminary AI findings, and an RP OBX (126000^Imaging Measurement
// Report^DCM, OBX-5 pointer^PACS^AP^DICOM) when `sr_pointer` is given.
// Throws build_error for a missing order, route, PID or OBR, or a finding the
// route does not map. The same input builds the same bytes.
#pragma once

#include <string>

#include "results/result_input.hpp"

namespace radbridge::results {

struct oru_options {
  std::string sr_pointer;  // where the SR can be read (e.g. its WADO-RS URL); empty: no RP OBX
};

std::string build_oru(const result_input& in, const oru_options& options = {});

// The impression sentence: what was found, by which models, preliminary.
std::string impression_text(const result_input& in);

}  // namespace radbridge::results
