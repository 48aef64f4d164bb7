// Identifiers of outbound results, derived from the job so that building the
// same result twice gives the same identifiers (a resend is recognisable by
// the receiver: same MSH-10, same FHIR identifier, same SOP Instance UID).
//
// Each is a function of SHA-256(job_key + "\n" + what): `what` names the
// output ("oru", "adt", "sr-series", "sr-instance", or a finding label).
// - message_control_id: "RB" + 18 upper-case hex digits (20 characters, the
//   ST length of MSH-10 in HL7 v2.3 to v2.5).
// - fhir_identifier_value: 32 lower-case hex digits; the system is
//   fhir_identifier_system.
// - derived_uid: "2.25." + the decimal value of the first 128 bits (the
//   UUID-derived UID form of DICOM PS3.5 B.2), at most 44 characters.
#pragma once

#include <string>
#include <string_view>

#include "core/result_identity.hpp"

namespace radbridge::results {

using work::fhir_identifier_system;  // core/result_identity.hpp: deliver searches by it too

std::string message_control_id(std::string_view job_key, std::string_view what);
std::string fhir_identifier_value(std::string_view job_key, std::string_view what);
std::string derived_uid(std::string_view job_key, std::string_view what);

}  // namespace radbridge::results
