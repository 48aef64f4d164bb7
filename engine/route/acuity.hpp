// Acuity from findings: the first of a route's levels (most urgent first)
// one of whose triggers holds, else the route's `otherwise` level. A trigger
// holds when the finding with its label has a probability (or, for a value
// finding, a value) at or above `at_least`, or, for a change trigger, when
// the comparison with the prior study (route/change.hpp) is of one of its
// kinds; a finding the models did not produce, or a change not compared (no
// prior), holds no trigger.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "infer/inference_result.hpp"
#include "route/change.hpp"
#include "route/mapping.hpp"

namespace radbridge::route {

std::string acuity_of(const acuity_rules& rules, const std::vector<infer::inference_result>& results,
                      const std::vector<value_change>& changes = {});

// 0 for the most urgent level, levels.size() for `otherwise` and for a name
// that is no level.
std::size_t acuity_rank(const acuity_rules& rules, std::string_view level) noexcept;

// Whether `level` is as urgent as `threshold` or more.
bool at_or_above(const acuity_rules& rules, std::string_view level, std::string_view threshold) noexcept;

// The finding with `label` among all results, or nullptr.
const infer::finding* find_finding(const std::vector<infer::inference_result>& results, std::string_view label);

}  // namespace radbridge::route
