// A route's validation report: how its models' findings compare with the
// radiologists' verdicts (store/feedback_store.hpp gives the rows), per
// model version and rollout mode, and whether the route meets the
// acceptance rules its mapping sets. Pure arithmetic, no I/O.
//
// For each present/absent finding: the confusion table (AI present/absent
// against the radiologist's positive/negative; uncertain verdicts are
// counted apart and left out), sensitivity, specificity, PPV and NPV with
// 95% Wilson score intervals, the ROC points of every threshold the stored
// probabilities allow with the area under them, and agreement per week of
// the jobs' creation. For each value finding: Bland-Altman figures (mean
// difference AI minus radiologist, its SD, limits of agreement mean +-
// 1.96 SD) over the studies where both gave a value. Times from the order's
// arrival to the result and to the first delivery: p50, p90 and the
// largest (nearest rank).
//
// The verdict of a group, per acceptance rule: "not enough data" while fewer
// than min_studies studies have a positive or negative verdict (or a
// measure is undefined: no positives for sensitivity, ...), otherwise each
// measure (its lower bound, or its estimate, as the rules say) against its
// threshold.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/work_kinds.hpp"
#include "route/mapping.hpp"
#include "store/feedback_store.hpp"

namespace radbridge::review {

struct proportion {
  std::size_t hits = 0;
  std::size_t total = 0;
  double estimate = 0;
  double lower = 0;  // 95% Wilson score interval
  double upper = 0;
};
// nullopt when total is 0.
std::optional<proportion> wilson(std::size_t hits, std::size_t total);

struct confusion {
  std::size_t true_positive = 0;
  std::size_t false_positive = 0;
  std::size_t false_negative = 0;
  std::size_t true_negative = 0;
  std::size_t uncertain = 0;    // the radiologist was uncertain
  std::size_t no_verdict = 0;   // no feedback on this finding
  std::size_t decided() const noexcept { return true_positive + false_positive + false_negative + true_negative; }
};

struct roc_point {
  double threshold = 0;  // AI positive when its probability is at least this
  double sensitivity = 0;
  double false_positive_rate = 0;
};

struct week_agreement {
  std::string week;  // the Monday, YYYY-MM-DD
  std::size_t agree = 0;
  std::size_t total = 0;
};

struct finding_report {
  std::string label;
  confusion table;
  std::optional<proportion> sensitivity, specificity, ppv, npv;
  std::vector<roc_point> roc;  // thresholds descending, from (0, 0) to (1, 1)
  std::optional<double> auc;
  std::vector<week_agreement> weeks;
};

struct value_agreement {
  std::string label;
  std::size_t pairs = 0;
  double mean_difference = 0;  // AI minus radiologist
  double sd = 0;
  double lower_limit = 0;
  double upper_limit = 0;
};

struct percentiles {
  std::size_t count = 0;
  double p50 = 0, p90 = 0, max = 0;
};

enum class acceptance { accepted, not_accepted, not_enough_data, no_rules };
std::string_view to_string(acceptance a) noexcept;

struct group_report {
  std::string model;
  std::string version;
  std::string mode;
  std::size_t studies = 0;
  std::size_t with_feedback = 0;  // studies with a verdict or value on any of the group's findings
  std::vector<finding_report> findings;
  std::vector<value_agreement> values;
  percentiles to_result_ms;
  percentiles to_notification_ms;
  acceptance verdict = acceptance::no_rules;
  std::vector<std::string> reasons;  // one line per rule: why it passed or not
};

// Groups in the order (model, version, mode) first appear in `rows`.
std::vector<group_report> validate(const std::vector<store::scored_finding>& rows, const route::acceptance_rules& rules);

}  // namespace radbridge::review
