// Validation statistics: Wilson intervals, confusion tables, ROC points,
// Bland-Altman, time percentiles and acceptance verdicts, on rows built here.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "review/validation.hpp"

namespace review = radbridge::review;
namespace route = radbridge::route;
namespace store = radbridge::store;
namespace work = radbridge::work;

namespace {

std::int64_t next_job = 0;

// One study: the classifier's finding and the segmentation's volume, with the radiologist's side.
void study(std::vector<store::scored_finding>& rows, double probability, std::optional<work::verdict> verdict,
           std::optional<double> volume = std::nullopt, std::optional<double> radiologist_volume = std::nullopt,
           std::string week = "2026-11-30", double result_ms = 1000, std::optional<double> notification_ms = {}) {
  store::scored_finding f;
  f.job_id = ++next_job;
  f.study_key = "ACC" + std::to_string(f.job_id);
  f.model = "ich_classifier";
  f.version = "1.0.0";
  f.mode = "silent";
  f.week = std::move(week);
  f.result_ms = result_ms;
  f.notification_ms = notification_ms;
  f.label = "intracranial_hemorrhage";
  f.present = probability >= 0.5;
  f.probability = probability;
  f.verdict = verdict;
  rows.push_back(f);
  if (volume) {
    store::scored_finding v = f;
    v.model = "ich_segmentation";
    v.label = "hemorrhage_volume";
    v.present.reset();
    v.probability.reset();
    v.verdict.reset();
    v.value = volume;
    v.radiologist_value = radiologist_volume;
    rows.push_back(v);
  }
}

constexpr auto pos = work::verdict::positive;
constexpr auto neg = work::verdict::negative;

route::acceptance_rules rules(std::size_t min_studies, double sensitivity, double specificity,
                              route::acceptance_rules::compare on = route::acceptance_rules::compare::lower_bound) {
  route::acceptance_rules r;
  r.on = on;
  route::acceptance_rule a;
  a.label = "intracranial_hemorrhage";
  a.min_studies = min_studies;
  a.sensitivity = sensitivity;
  a.specificity = specificity;
  r.findings.push_back(a);
  return r;
}

}  // namespace

TEST_CASE("validation: Wilson score intervals") {
  // Reference values: Wilson (1927) / Newcombe (1998) method 3, z = 1.96.
  const auto p = review::wilson(8, 10);
  REQUIRE(p.has_value());
  CHECK(p->estimate == doctest::Approx(0.8));
  CHECK(p->lower == doctest::Approx(0.4902).epsilon(0.0005));
  CHECK(p->upper == doctest::Approx(0.9433).epsilon(0.0005));
  const auto all = review::wilson(20, 20);
  REQUIRE(all.has_value());
  CHECK(all->lower == doctest::Approx(0.8389).epsilon(0.0005));
  CHECK(all->upper == doctest::Approx(1.0));
  const auto none = review::wilson(0, 5);
  REQUIRE(none.has_value());
  CHECK(none->lower == doctest::Approx(0.0));
  CHECK(none->upper == doctest::Approx(0.4345).epsilon(0.0005));
  CHECK(!review::wilson(0, 0).has_value());
}

TEST_CASE("validation: confusion table, measures, ROC and weekly agreement") {
  std::vector<store::scored_finding> rows;
  study(rows, 0.95, pos, 20.0, 18.0, "2026-11-23");  // TP
  study(rows, 0.80, pos, 10.0, 12.0, "2026-11-23");  // TP
  study(rows, 0.30, pos, 2.0, 4.0, "2026-11-30");    // FN
  study(rows, 0.70, neg, 1.0, std::nullopt, "2026-11-30");  // FP
  study(rows, 0.10, neg, std::nullopt, std::nullopt, "2026-11-30");  // TN
  study(rows, 0.05, neg, std::nullopt, std::nullopt, "2026-11-30");  // TN
  study(rows, 0.60, work::verdict::uncertain);
  study(rows, 0.20, std::nullopt);
  const auto groups = review::validate(rows, {});
  REQUIRE(groups.size() == 2);
  const review::group_report& g = groups[0];
  CHECK(g.model == "ich_classifier");
  CHECK(g.studies == 8);
  CHECK(g.with_feedback == 7);
  REQUIRE(g.findings.size() == 1);
  const review::finding_report& f = g.findings[0];
  CHECK(f.table.true_positive == 2);
  CHECK(f.table.false_negative == 1);
  CHECK(f.table.false_positive == 1);
  CHECK(f.table.true_negative == 2);
  CHECK(f.table.uncertain == 1);
  CHECK(f.table.no_verdict == 1);
  REQUIRE(f.sensitivity.has_value());
  CHECK(f.sensitivity->hits == 2);
  CHECK(f.sensitivity->total == 3);
  CHECK(f.specificity->estimate == doctest::Approx(2.0 / 3));
  CHECK(f.ppv->estimate == doctest::Approx(2.0 / 3));
  CHECK(f.npv->estimate == doctest::Approx(2.0 / 3));
  // Thresholds at every decided probability: 0.95, 0.80, 0.70, 0.30, 0.10, 0.05.
  REQUIRE(f.roc.size() == 7);
  CHECK(f.roc[1].threshold == 0.95);
  CHECK(f.roc[1].sensitivity == doctest::Approx(1.0 / 3));
  CHECK(f.roc[1].false_positive_rate == 0.0);
  CHECK(f.roc[3].threshold == 0.70);
  CHECK(f.roc[3].sensitivity == doctest::Approx(2.0 / 3));
  CHECK(f.roc[3].false_positive_rate == doctest::Approx(1.0 / 3));
  CHECK(f.roc.back().sensitivity == 1.0);
  CHECK(f.roc.back().false_positive_rate == 1.0);
  // Of the 9 (positive, negative) pairs, the positive ranks higher in 8.
  REQUIRE(f.auc.has_value());
  CHECK(*f.auc == doctest::Approx(8.0 / 9));
  REQUIRE(f.weeks.size() == 2);
  CHECK(f.weeks[0].week == "2026-11-23");
  CHECK(f.weeks[0].agree == 2);
  CHECK(f.weeks[0].total == 2);
  CHECK(f.weeks[1].agree == 2);
  CHECK(f.weeks[1].total == 4);
  // Volumes: differences +2, -2, -2 where both gave one.
  const review::group_report& s = groups[1];
  CHECK(s.model == "ich_segmentation");
  REQUIRE(s.values.size() == 1);
  CHECK(s.values[0].pairs == 3);
  CHECK(s.values[0].mean_difference == doctest::Approx(-2.0 / 3));
  CHECK(s.values[0].sd == doctest::Approx(2.3094).epsilon(0.0005));
  CHECK(s.values[0].lower_limit == doctest::Approx(-2.0 / 3 - 1.96 * 2.3094).epsilon(0.001));
  CHECK(s.values[0].upper_limit == doctest::Approx(-2.0 / 3 + 1.96 * 2.3094).epsilon(0.001));
}

TEST_CASE("validation: time to result and to notification, nearest rank") {
  std::vector<store::scored_finding> rows;
  for (int i = 1; i <= 10; ++i) study(rows, 0.9, pos, {}, {}, "2026-11-30", i * 100.0, i <= 4 ? std::optional(i * 1000.0) : std::nullopt);
  const auto groups = review::validate(rows, {});
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].to_result_ms.count == 10);
  CHECK(groups[0].to_result_ms.p50 == 500.0);
  CHECK(groups[0].to_result_ms.p90 == 900.0);
  CHECK(groups[0].to_result_ms.max == 1000.0);
  CHECK(groups[0].to_notification_ms.count == 4);
  CHECK(groups[0].to_notification_ms.p50 == 2000.0);
  CHECK(groups[0].to_notification_ms.max == 4000.0);
}

TEST_CASE("validation: acceptance verdicts") {
  std::vector<store::scored_finding> rows;
  for (int i = 0; i < 30; ++i) study(rows, 0.9, pos);
  for (int i = 0; i < 30; ++i) study(rows, 0.1, neg);
  study(rows, 0.2, pos);  // one miss: sensitivity 30/31

  SUBCASE("met on the lower bound") {
    const auto g = review::validate(rows, rules(50, 0.80, 0.85)).front();
    CHECK(g.verdict == review::acceptance::accepted);
    REQUIRE(g.reasons.size() == 2);
    CHECK(g.reasons[0] ==
          "intracranial_hemorrhage: sensitivity 0.97 (95% CI 0.84-0.99) reaches 0.80 (lower bound compared)");
    CHECK(g.reasons[1] ==
          "intracranial_hemorrhage: specificity 1.00 (95% CI 0.89-1.00) reaches 0.85 (lower bound compared)");
  }
  SUBCASE("the lower bound misses where the estimate would pass") {
    CHECK(review::validate(rows, rules(50, 0.90, 0.85)).front().verdict == review::acceptance::not_accepted);
    const auto g = review::validate(rows, rules(50, 0.90, 0.85, route::acceptance_rules::compare::estimate)).front();
    CHECK(g.verdict == review::acceptance::accepted);
  }
  SUBCASE("too few studies") {
    const auto g = review::validate(rows, rules(100, 0.85, 0.85)).front();
    CHECK(g.verdict == review::acceptance::not_enough_data);
    REQUIRE(g.reasons.size() == 1);
    CHECK(g.reasons[0] == "intracranial_hemorrhage: 61 of 100 studies with a positive or negative verdict");
  }
  SUBCASE("no rules, or rules on another model's finding") {
    CHECK(review::validate(rows, {}).front().verdict == review::acceptance::no_rules);
    route::acceptance_rules other = rules(1, 0.5, 0.5);
    other.findings[0].label = "hemorrhage_volume";
    CHECK(review::validate(rows, other).front().verdict == review::acceptance::no_rules);
  }
  SUBCASE("an undefined measure is not enough data") {
    std::vector<store::scored_finding> negatives;
    for (int i = 0; i < 60; ++i) study(negatives, 0.1, neg);
    const auto g = review::validate(negatives, rules(50, 0.85, 0.85)).front();
    CHECK(g.verdict == review::acceptance::not_enough_data);
    CHECK(g.reasons[0] == "intracranial_hemorrhage: sensitivity undefined (no studies in its denominator)");
  }
}
