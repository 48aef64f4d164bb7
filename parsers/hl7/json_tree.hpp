// A parsed message as a JSON tree, for `radbridge parse --json` and tools.
//
// Shape: {"charset": "ascii", "segments": [{"name": "PID", "fields": [F1, F2, ...]}]}
// where each field is an array of repetitions, each repetition an array of
// components, each component an array of subcomponents, and each
// subcomponent the unescaped UTF-8 string, or null for the HL7 null `""`.
// The shape is regular on purpose (no collapsing of single values), so a
// consumer never guesses. Header fields 1 and 2 (the delimiters) appear as a
// single string each. An absent field inside a segment is an empty string.
#pragma once

#include "hl7/error.hpp"
#include "hl7/message.hpp"
#include "json/json_writer.hpp"

namespace radbridge::hl7 {

// Writes one message object; fails only when a value cannot be unescaped.
std::optional<error> write_json(const message& m, json::writer& out);

}  // namespace radbridge::hl7
