// Who the order is about, and whether a study is about the same patient
// (USE-CASES.md, "Right patient"): the route's `patient` block names the
// order's identifier (PID-3 by assigning authority) and how it corresponds
// to the study's DICOM PatientID (patient_identifier_rule).
//
// `order_patient_id` is the identifier the results carry (nullopt: the
// order has none from that authority). `check_study_patient` compares it
// with the study's PatientID and IssuerOfPatientID and returns why they
// disagree, or nullopt when they agree. The reason names no identifier: it
// goes into logs and the jobs table; callers add hashes if they need them.
#pragma once

#include <optional>
#include <string>

#include "hl7/message.hpp"
#include "route/mapping.hpp"

namespace radbridge::route {

std::optional<std::string> order_patient_id(const hl7::message& order, const patient_identifier_rule& rule);

std::optional<std::string> check_study_patient(const patient_identifier_rule& rule, const std::string& order_patient,
                                               const std::string& study_patient_id,
                                               const std::string& study_patient_issuer);

}  // namespace radbridge::route
