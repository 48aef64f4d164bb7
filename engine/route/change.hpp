// How a value finding changed between the patient's prior study and this
// one, by a route's prior rules (route/mapping.hpp): the difference in the
// finding's unit, the percentage of the prior value (none when the prior
// value is 0), and the kind of change:
//   absent       below present_at_least both times
//   new          absent before, present now
//   resolved     present before, absent now
//   growing      present both times, up by change_at_least or more, or by
//                change_percent_at_least percent of the prior value or more
//   shrinking    the same, down
//   stable       present both times, otherwise
// Pure; the job runner finds the prior and its value.
#pragma once

#include <optional>
#include <string>

#include "route/mapping.hpp"

namespace radbridge::route {

struct value_change {
  std::string label;
  double prior = 0;
  double current = 0;
  double difference = 0;           // current - prior
  std::optional<double> percent;   // 100 * difference / prior
  change_kind kind = change_kind::absent;
};

value_change compare_values(const prior_rules& rules, std::string label, double prior, double current);

}  // namespace radbridge::route
