// ADT^A31 (HL7 v2.5.1, structure ADT_A05) raising a patient's acuity in the
// EHR or stroke pager, for a job whose findings reached the route's
// threshold.
//
// `adt_refusal` says why no ADT^A31 goes out for this job (nullopt: it
// does): the route is not in active mode, it sends no ADT output, or the
// job's acuity is below the route's `adt.min_level`. `build_adt` builds it
// regardless: MSH (hl7_outbound.hpp, MSH-10 derived with "adt"), EVN (EVN-1
// A31, EVN-2 issued, EVN-4 "AI"), PID copied from the order, PV1 copied (or
// the pseudo `PV1|1|N` when the order has none), then the acuity code the
// route maps for the job's level written at the route's `adt.field` (a PV2
// field appends PV2 after PV1). Throws build_error for a missing order,
// route or PID, or a level without a code.
#pragma once

#include <optional>
#include <string>

#include "results/result_input.hpp"

namespace radbridge::results {

std::optional<std::string> adt_refusal(const result_input& in);

std::string build_adt(const result_input& in);

}  // namespace radbridge::results
