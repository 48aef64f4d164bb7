// HL7 v2 acknowledgements, original and enhanced mode.
//
// The mode follows the original message: enhanced when MSH-15 or MSH-16 is
// valued, original otherwise. In original mode the ACK carries AA/AE/AR; in
// enhanced mode the accept (commit) ACK carries CA/CE/CR and the application
// ACK AA/AE/AR. `should_send` applies MSH-15/MSH-16 (AL, NE, ER, SU; an empty
// condition in enhanced mode is taken as AL, because an answer the sender
// did not need is harmless and a missing one is not).
//
// The ACK uses the original's delimiters (so raw fields are copied as
// written), swaps MSH-3/4 with MSH-5/6, copies MSH-11, MSH-12 and MSH-18,
// gets the caller's new MSH-10 and timestamp, and echoes the original MSH-10
// in MSA-2 byte for byte. The original may have been rejected for one of
// those very fields: a field that would make the ACK itself unparseable (a
// bad escape, bytes invalid in the charset, an unknown MSH-18) is written as
// escaped text instead, with invalid bytes replaced by '?', and MSH-18 is
// copied only when it names a charset radbridge reads. The ACK always parses. ERR segments carry ERR-2 (location), ERR-3 (table
// 0357) and ERR-4 (severity); MSA-3 repeats the first error's text for
// receivers older than v2.5. An ACK is never built for an ACK.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/error.hpp"
#include "hl7/peek.hpp"

namespace radbridge::hl7 {

enum class ack_code { accept, error, reject };  // AA/CA, AE/CE, AR/CR
enum class ack_mode { original, enhanced };
enum class ack_kind { accept, application };    // enhanced mode: commit or application ACK

// HL7 table 0357 codes radbridge uses.
namespace err {
inline constexpr int segment_sequence = 100;
inline constexpr int required_field_missing = 101;
inline constexpr int data_type = 102;
inline constexpr int table_value_not_found = 103;
inline constexpr int value_too_long = 104;
inline constexpr int unsupported_message_type = 200;
inline constexpr int unsupported_event = 201;
inline constexpr int unsupported_processing_id = 202;
inline constexpr int unsupported_version = 203;
inline constexpr int unknown_key = 204;
inline constexpr int duplicate_key = 205;
inline constexpr int record_locked = 206;
inline constexpr int internal_error = 207;
}  // namespace err

// Table 0357 text for a code ("Data type error"); empty for unknown codes.
std::string_view error_code_text(int code) noexcept;

struct ack_error {
  int code = err::internal_error;  // table 0357
  location where;                  // ERR-2; may be empty
  char severity = 'E';             // ERR-4: E error, W warning, I information, F fatal
  std::string text;                // ERR-8 and MSA-3; plain text, escaped by the builder

  // From a parse error: its table 0357 code, locator and a readable text.
  static ack_error from(const error& e);
};

struct ack_request {
  ack_code code = ack_code::accept;
  ack_kind kind = ack_kind::accept;
  std::vector<ack_error> errors;
  std::string control_id;  // the ACK's own MSH-10
  std::string timestamp;   // MSH-7, e.g. 20261123125600+0000
  std::string fallback_application = "RADBRIDGE";  // MSH-3 when the original has no MSH-5
};

ack_mode mode_of(const msh_peek& original) noexcept;

// Whether the original's MSH-15 (accept) or MSH-16 (application) asks for
// this ACK. Original mode always answers with one ACK.
bool should_send(const msh_peek& original, ack_kind kind, ack_code code) noexcept;

// The ACK message (CR-terminated), or nullopt when the original is an ACK.
std::optional<std::string> build_ack(const msh_peek& original, const ack_request& request);

// "AA", "CE", ... for a mode, kind and code.
std::string_view ack_code_text(ack_mode mode, ack_kind kind, ack_code code) noexcept;

// MSA-1 of an ACK (the bytes between the MSA segment's first two field
// separators, the separator being MSH-1); empty without an MSA segment.
// A quick look for counting what was sent, not a parse.
std::string_view ack_code_of(std::string_view ack) noexcept;

}  // namespace radbridge::hl7
