// One outbound message on its way to one destination, and what a send
// attempt came to.
//
// An outbound_item is a row of the outbound queue (engine/store): the bytes
// of one built result (ORU^R01, ADT^A31, FHIR Observation JSON, DICOM SR
// Part 10) for one destination, with the identity derived from the job
// (MSH-10, FHIR identifier, SOP Instance UID) that makes a resend harmless.
// A sender (sender.hpp) makes one attempt and says what it came to:
// - sent: the receiver accepted it (AA/CA; FHIR 2xx; STOW-RS 200; file
//   written);
// - retry: it may accept it later (unreachable, timeout, AR/CR, HTTP 5xx,
//   408, 429): the lane waits with backoff and tries again;
// - rejected: it will not (AE/CE; HTTP 4xx other than 408/429; STOW-RS
//   failures for this instance): the message goes to the dead letter with
//   the receiver's answer kept, and the lane moves on.
// `detail` is one line for logs and operators (no message bodies, no patient
// data); `response` is the receiver's answer as received (the ACK, the
// OperationOutcome, the STOW-RS response), kept with the row.
#pragma once

#include <cstdint>
#include <string>

#include "core/work_kinds.hpp"

namespace radbridge::deliver {

struct outbound_item {
  std::int64_t id = 0;        // queue row
  work::output_kind type = work::output_kind::oru;
  std::string identity;       // MSH-10, FHIR identifier value, or SOP Instance UID
  std::string study_uid;      // for the SR (STOW-RS to /studies/{uid}); may be empty otherwise
  std::string payload;        // the bytes to send
  work::revision revision = work::revision::original;  // a correction or withdrawal replaces what was sent
};

enum class attempt_result { sent, retry, rejected };

struct attempt_outcome {
  attempt_result result = attempt_result::retry;
  std::string detail;
  std::string response;
};

}  // namespace radbridge::deliver
