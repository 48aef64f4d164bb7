// How a value finding changed since the prior study, and acuity from it.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "route/acuity.hpp"
#include "route/change.hpp"

namespace route = radbridge::route;

TEST_CASE("change: the kinds, by the hematoma-expansion definition (33 % or 6 mL)") {
  const route::prior_rules rules;  // present from 0.5 mL; 6 mL or 33 %
  struct example {
    double prior, current;
    const char* kind;
  };
  const example examples[] = {
      {10, 13.4, "growing"},   // +34 %
      {10, 13.2, "stable"},    // +32 %, +3.2 mL
      {20, 26, "growing"},     // +6 mL (+30 %)
      {20, 25.9, "stable"},    // +5.9 mL, +29.5 %
      {30, 15, "shrinking"},   // -50 %
      {0, 3, "new"},
      {0.4, 3, "new"},         // below 0.5 mL counts as none
      {3, 0.2, "resolved"},
      {0, 0, "absent"},
      {0.3, 0.4, "absent"},
  };
  for (const example& e : examples) {
    const route::value_change c = route::compare_values(rules, "hemorrhage_volume", e.prior, e.current);
    CHECK_MESSAGE(route::to_string(c.kind) == std::string(e.kind), e.prior << " -> " << e.current);
  }
  const route::value_change grown = route::compare_values(rules, "hemorrhage_volume", 10, 13.4);
  CHECK(grown.label == "hemorrhage_volume");
  CHECK(grown.difference == doctest::Approx(3.4));
  REQUIRE(grown.percent.has_value());
  CHECK(*grown.percent == doctest::Approx(34.0));
  CHECK(!route::compare_values(rules, "v", 0, 5).percent.has_value());
  route::prior_rules strict = rules;
  strict.change_at_least = 2;
  strict.change_percent_at_least = 10;
  CHECK(route::compare_values(strict, "v", 20, 22).kind == route::change_kind::growing);
  CHECK(route::parse_change_kind("new") == route::change_kind::new_finding);
  CHECK(!route::parse_change_kind("bigger").has_value());
}

TEST_CASE("change: an acuity trigger on the change holds only with a comparison of one of its kinds") {
  route::acuity_rules rules;
  route::acuity_trigger growing{"hemorrhage_volume", 0, {route::change_kind::growing, route::change_kind::new_finding}};
  route::acuity_trigger large{"hemorrhage_volume", 30, {}};
  rules.levels = {{"critical", {growing, large}}};
  const route::prior_rules priors;
  std::vector<radbridge::infer::inference_result> results(1);
  results[0].findings.push_back({"hemorrhage_volume", "Hemorrhage volume", std::nullopt, std::nullopt, 14.0, "mL"});
  CHECK(route::acuity_of(rules, results) == "routine");  // no prior compared: no change trigger holds
  CHECK(route::acuity_of(rules, results, {route::compare_values(priors, "hemorrhage_volume", 10, 14)}) == "critical");
  CHECK(route::acuity_of(rules, results, {route::compare_values(priors, "hemorrhage_volume", 0, 14)}) == "critical");
  CHECK(route::acuity_of(rules, results, {route::compare_values(priors, "hemorrhage_volume", 13, 14)}) == "routine");
  CHECK(route::acuity_of(rules, results, {route::compare_values(priors, "other_volume", 1, 14)}) == "routine");
}
