// One segment of a message written out in another message's delimiters and
// character set, so that a segment can move between messages: the PID of an
// ADT merge into the order whose patient it updates.
//
// Every leaf (subcomponent) is unescaped from the source and escaped again
// for the target; empty fields, repetitions and components keep their
// places, and the HL7 null `""` stays a null. A character the target's
// character set cannot hold (beyond Latin-1 for 8859/1, beyond ASCII for
// ASCII) is `invalid_text`, located in the source message; nothing is
// dropped or guessed. Header segments (MSH, FHS, BHS) are not accepted: their
// first fields are the delimiters themselves (`bad_segment_name`).
#pragma once

#include <string>

#include "hl7/charset.hpp"
#include "hl7/delimiters.hpp"
#include "hl7/error.hpp"
#include "hl7/message.hpp"

namespace radbridge::hl7 {

// The segment's text (name and fields, without the terminating CR).
result<std::string> reencode_segment(const message& from, const segment_view& segment, const delimiters& to,
                                     charset to_charset);

}  // namespace radbridge::hl7
