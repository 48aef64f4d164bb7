// Who the order is about, whether a study is about the same patient, and how
// an ADT moves a patient's identity (USE-CASES.md, "Right patient"). The
// route's `patient` block names the order's identifier (PID-3 by assigning
// authority) and how it corresponds to the study's DICOM PatientID
// (patient_identifier_rule).
//
// `order_patient_id` is the identifier the results carry (nullopt: the
// order has none from that authority). `check_study_patient` compares it
// with the study's PatientID and IssuerOfPatientID and returns why they
// disagree, or nullopt when they agree. The reason names no identifier: it
// goes into logs and the jobs table; callers add hashes if they need them.
//
// Identity moves. The job queue knows a patient by identifier keys, one per
// PID-3 repetition that has an identifier: its assigning authority (CX-4.1,
// may be empty), U+001F, the identifier (CX-1), both unescaped. An ADT moves
// a patient (`patient_moves`) in two ways: a PID followed by an MRG (A40
// merge, A47 identifier change and the other MRG events) retires the MRG-1
// identifiers in favour of that PID's; an A08 or A31 restates the patient's
// identifiers and is linked to a job by an identifier the two share, one
// with an assigning authority (a bare number could be another facility's
// patient; an update that shares none cannot be linked, and moves nothing). The
// outputs of a job whose patient moved take the whole PID of the message
// that moved it (`with_patient`), re-encoded in the order's delimiters and
// character set.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hl7/message.hpp"
#include "route/mapping.hpp"

namespace radbridge::route {

std::optional<std::string> order_patient_id(const hl7::message& order, const patient_identifier_rule& rule);

std::optional<std::string> check_study_patient(const patient_identifier_rule& rule, const std::string& order_patient,
                                               const std::string& study_patient_id,
                                               const std::string& study_patient_issuer);

// The identifier keys of the field at `field` ("PID-3", "PID[2]-3", "MRG-1").
std::vector<std::string> identifier_keys(const hl7::message& m, std::string_view field);

// The identifiers among `keys` that the rule's assigning authority issued (all when it names none).
std::vector<std::string> identifiers_by(const std::vector<std::string>& keys, const patient_identifier_rule& rule);

struct patient_move {
  std::vector<std::string> links;    // who moves: MRG-1's keys, or an update's keys that name an authority
  std::vector<std::string> current;  // the PID's keys after the event
  int pid_occurrence = 1;            // which PID of the message holds the patient now
};

// The moves an ADT announces (none for other messages, or a PID without identifiers).
std::vector<patient_move> patient_moves(const hl7::message& m);

// `order` with its PID replaced by PID number `pid_occurrence` of `update`.
// Errors: the order or the update lacks that PID (`missing_required_field`), or a
// character of the update's PID has no byte in the order's character set (`invalid_text`).
hl7::result<hl7::message> with_patient(const hl7::message& order, const hl7::message& update, int pid_occurrence);

}  // namespace radbridge::route
