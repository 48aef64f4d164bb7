// Which routes an inbound message starts, and the study it names.
//
// A test reads the value at its HL7 path, unescaped (a path without a
// component reads the whole repetition, raw); an absent value is the empty
// string, so `equals ""` holds for an absent field, and `exists` holds when
// the value is not empty. `ignore_case` compares ASCII letters without case.
// A value that cannot be read (a hex escape naming bytes invalid in the
// message's character set) makes the test false.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hl7/message.hpp"
#include "route/mapping.hpp"

namespace radbridge::route {

bool matches(const condition& c, const hl7::message& m);

// The routes whose conditions hold for `m`, in the order they were read.
std::vector<const route*> matching_routes(const mapping_set& mappings, const hl7::message& m);

// The study key the route reads from `m` (accession number or Study
// Instance UID), or nullopt when that value is empty.
std::optional<std::string> study_key_value(const route& r, const hl7::message& m);
std::optional<std::string> study_key_value(const study_key_rule& rule, const hl7::message& m);

// The unescaped value at `p`; empty when it is absent, the HL7 null ("") or
// cannot be read.
std::string value_at(const hl7::message& m, const hl7::path& p);

}  // namespace radbridge::route
