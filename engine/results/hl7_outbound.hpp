// What the HL7 v2 result messages (ORU^R01, ADT^A31) share: the header,
// copied patient segments, timestamps and coded values.
//
// Outbound messages use the order's delimiters and character set (MSH-18),
// so that segments copied from the order (PID, PV1) stay valid byte for
// byte. The header answers the order's sender: MSH-3/4 radbridge at the
// order's receiving facility, MSH-5/6 the order's sending application and
// facility, MSH-7 the result's issued time in UTC, MSH-10 derived from the
// job (output_ids.hpp), MSH-11 the order's processing id, MSH-12 2.5.1.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "hl7/builder.hpp"
#include "results/result_input.hpp"

namespace radbridge::results {

inline constexpr std::string_view sending_application = "RADBRIDGE";
inline constexpr std::string_view hl7_version = "2.5.1";

// MSH-10 of an outbound message: derived from the job key and `what`
// ("oru", "adt"); a withdrawal's differs from the message it withdraws.
std::string outbound_control_id(const result_input& in, std::string_view what);

// A builder holding the MSH for `type^trigger^structure`; `what` names the
// output for the derived MSH-10 ("oru", "adt"). Throws build_error without
// an order.
hl7::message_builder start_message(const result_input& in, std::string_view type, std::string_view trigger,
                                   std::string_view structure, std::string_view what);

// Appends a copy of `segment` (raw fields; same delimiters as the builder).
void copy_segment(hl7::message_builder& out, const hl7::segment_view& segment);

// YYYYMMDDHHMMSS+0000.
std::string hl7_timestamp(std::chrono::system_clock::time_point t);

// A CWE value code^display^coding system, escaped with the builder's delimiters.
void set_coded(hl7::segment_builder& segment, std::size_t field, const route::coded_concept& concept_);

}  // namespace radbridge::results
