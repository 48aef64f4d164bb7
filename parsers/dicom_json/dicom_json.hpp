// Reading DICOM JSON data sets (PS3.18 F.2), as QIDO-RS and STOW-RS answer
// them: an object keyed by tag ("0020000D", upper- or lower-case hex), each
// attribute an object with "vr" and an optional "Value" array. Pure: works
// on a parsed json::value, no I/O.
//
// Guarantees: an absent attribute, a null attribute and an absent or null
// "Value" all read as "no values"; strings are trimmed of DICOM padding
// (leading spaces and tabs, trailing spaces, tabs and NULs); numbers that
// come as JSON numbers (IS, DS, US...) read as text too, and numbers that
// come as text read as numbers. A data set whose shape DICOM JSON does not
// allow (an attribute that is not an object, a "Value" that is not an array,
// a text value that is an object, a sequence item that is not an object)
// throws shape_error, whose message names the tag and the problem
// ("attribute 00080050 is not an object") but not the request: callers turn
// it into their own error with their context. Not provided: PN component
// groups, InlineBinary and BulkDataURI, VR checks.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "json/json_document.hpp"

namespace radbridge::dicom_json {

// A data set shaped otherwise than DICOM JSON allows.
class shape_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The attribute, looked up as given and then with lower-case hex; nullptr when absent.
const json::value* find_attribute(const json::value& dataset, std::string_view tag);

// The values of an attribute: empty when the attribute or its "Value" is absent or null.
std::span<const json::value> values_of(const json::value& dataset, std::string_view tag);

// One value as text: strings trimmed, numbers written out (integers without
// a fraction); nullopt for null.
std::optional<std::string> text_of(const json::value& value, std::string_view tag);

// The first value as text; empty when there is none.
std::string first_text(const json::value& dataset, std::string_view tag);

// Every non-null value as text, in order.
std::vector<std::string> all_texts(const json::value& dataset, std::string_view tag);

// The first value as a number, from a JSON number or a numeric string;
// nullopt when absent or not a number (optional attributes read as absent).
std::optional<double> first_number(const json::value& dataset, std::string_view tag);

// The first value as an unsigned 16-bit number (US, e.g. a STOW-RS
// FailureReason); nullopt when absent or not a number; shape_error ("TAG is
// not an unsigned 16-bit number") when it is a number out of range or with a
// fraction.
std::optional<std::uint16_t> first_uint16(const json::value& dataset, std::string_view tag);

// The items of a sequence attribute, each an object.
std::vector<json::value> items_of(const json::value& dataset, std::string_view tag);

// Digits and dots, 1 to 64 characters: safe to put in a URL path.
bool is_uid(std::string_view text) noexcept;

// DICOM padding removed: leading spaces and tabs; trailing spaces, tabs and NULs.
std::string_view trim(std::string_view text) noexcept;

}  // namespace radbridge::dicom_json
