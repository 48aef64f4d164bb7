#include "route/change.hpp"

#include <cmath>

namespace radbridge::route {

value_change compare_values(const prior_rules& rules, std::string label, double prior, double current) {
  value_change c;
  c.label = std::move(label);
  c.prior = prior;
  c.current = current;
  c.difference = current - prior;
  if (prior != 0) c.percent = 100 * c.difference / prior;
  const bool was = prior >= rules.present_at_least;
  const bool is = current >= rules.present_at_least;
  if (!was) {
    c.kind = is ? change_kind::new_finding : change_kind::absent;
  } else if (!is) {
    c.kind = change_kind::resolved;
  } else {
    const bool changed = std::abs(c.difference) >= rules.change_at_least ||
                         (c.percent && std::abs(*c.percent) >= rules.change_percent_at_least);
    c.kind = !changed ? change_kind::stable : c.difference > 0 ? change_kind::growing : change_kind::shrinking;
  }
  return c;
}

}  // namespace radbridge::route
