// The FHIR identifier system of every result radbridge sends. A result's
// identity (the outbound row's `identity`, derived from the job by
// results/output_ids.hpp) is the identifier value under this system: results
// writes both into the Observation, and deliver searches by both
// (If-None-Exist, conditional update), so they must be the one constant, held
// here where both stages may read it. Changing it makes every result sent
// before look like another result to the receivers.
#pragma once

#include <string_view>

namespace radbridge::work {

inline constexpr std::string_view fhir_identifier_system = "urn:radbridge:result";

}  // namespace radbridge::work
