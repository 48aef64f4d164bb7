// What a radiology report's free text says about one finding, named by its
// terms ("hemorrhage", "hematoma"): positive, negative, uncertain, or
// nothing when no term is mentioned.
//
// The text is read in English, clause by clause (a clause ends at . ; : ! ?
// or a line break, and at but / however / although / though / except /
// whereas). Each mention of a term (whole words, ASCII case ignored, the last
// word also in its plural with s or es) is uncertain when an uncertainty
// phrase lies within the six words before it ("possible", "suspicious for",
// "cannot rule out", "r/o", ...) or starts within the four after it ("not
// excluded", "cannot be excluded", ...), or its clause ends with "?";
// otherwise negative when a negation lies within the six words before it
// ("no", "without", "negative for", ...) or starts within the four after it
// ("absent", "not seen", "ruled out", "resolved", ...); otherwise positive. Over the whole text
// one positive mention makes the verdict positive, else one uncertain makes
// it uncertain, else negative.
//
// It does not understand lists that carry a negation across commas in every
// case, double negations or section headings: a route restricts the text to
// the impression (feedback "text") or uses a coded OBX where the RIS sends
// one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/work_kinds.hpp"

namespace radbridge::review {

std::optional<work::verdict> text_verdict(std::string_view text, const std::vector<std::string>& terms);

}  // namespace radbridge::review
