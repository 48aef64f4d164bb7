// Times in FHIR R4's forms: an HL7 v2 timestamp as a FHIR dateTime, and a
// clock reading as a FHIR instant.
//
// fhir_date_time reads an HL7 v2 TS/DTM value,
// YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ], and writes the FHIR
// dateTime it means. FHIR requires a time zone whenever a time of day is
// given; an HL7 timestamp without an offset is in the sender's local time,
// which we do not know. So:
// - with an offset and a time: YYYY-MM-DDThh:mm:ss[.S...]+hh:mm, seconds
//   added as ":00" (and minutes too for hour precision) because FHIR has no
//   coarser time precision; the fraction is kept as written;
// - otherwise the date part only (YYYY, YYYY-MM or YYYY-MM-DD): the sender's
//   own calendar date, right whatever its zone, rather than a guessed time.
// nullopt when the text is not such a timestamp (other characters, month 13,
// 30 February, hour 24, an offset beyond FHIR's -13:59..+14:00, ...).
//
// fhir_instant writes a time point as YYYY-MM-DDThh:mm:ss.sssZ (UTC,
// milliseconds, truncated), the same text for the same time point.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace radbridge::results {

std::optional<std::string> fhir_date_time(std::string_view hl7_timestamp);

std::string fhir_instant(std::chrono::system_clock::time_point t);

}  // namespace radbridge::results
