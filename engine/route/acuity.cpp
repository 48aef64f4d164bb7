#include "route/acuity.hpp"

#include <algorithm>

namespace radbridge::route {

const infer::finding* find_finding(const std::vector<infer::inference_result>& results, std::string_view label) {
  for (const infer::inference_result& r : results) {
    for (const infer::finding& f : r.findings) {
      if (f.label == label) return &f;
    }
  }
  return nullptr;
}

std::string acuity_of(const acuity_rules& rules, const std::vector<infer::inference_result>& results,
                      const std::vector<value_change>& changes) {
  for (const acuity_level& level : rules.levels) {
    for (const acuity_trigger& t : level.when) {
      if (!t.changes.empty()) {
        for (const value_change& c : changes) {
          if (c.label == t.label && std::find(t.changes.begin(), t.changes.end(), c.kind) != t.changes.end()) {
            return level.name;
          }
        }
        continue;
      }
      const infer::finding* f = find_finding(results, t.label);
      if (f == nullptr) continue;
      const std::optional<double> number = f->probability ? f->probability : f->value;
      if (number && *number >= t.at_least) return level.name;
    }
  }
  return rules.otherwise;
}

std::size_t acuity_rank(const acuity_rules& rules, std::string_view level) noexcept {
  for (std::size_t i = 0; i < rules.levels.size(); ++i) {
    if (rules.levels[i].name == level) return i;
  }
  return rules.levels.size();
}

bool at_or_above(const acuity_rules& rules, std::string_view level, std::string_view threshold) noexcept {
  return acuity_rank(rules, level) <= acuity_rank(rules, threshold);
}

}  // namespace radbridge::route
