// Matching messages to routes, study keys, acuity levels and overlap analysis.
#include <doctest/doctest.h>

#include "hl7/message.hpp"
#include "infer/model_registry.hpp"
#include "route/acuity.hpp"
#include "route/mapping_loader.hpp"
#include "route/match.hpp"
#include "route/overlaps.hpp"
#include "support.hpp"

namespace route = radbridge::route;
namespace hl7 = radbridge::hl7;
namespace infer = radbridge::infer;
using radbridge::test::read_file;
using radbridge::test::source_dir;

namespace {

const route::mapping_set& shipped() {
  static const route::mapping_set m = route::load_mappings(
      {(source_dir() / "mappings").string()},
      infer::load_registry((source_dir() / "models" / "registry.json").string()));
  return m;
}

hl7::message sample(const std::string& name) {
  auto m = hl7::message::parse(read_file(source_dir() / "samples" / "hl7" / name));
  REQUIRE(m.has_value());
  return std::move(*m);
}

std::vector<std::string> names_matching(const std::string& file) {
  std::vector<std::string> out;
  for (const route::route* r : route::matching_routes(shipped(), sample(file))) out.push_back(r->name);
  return out;
}

route::condition test_on(const std::string& path, route::condition::test_op op, std::vector<std::string> values,
                         bool ignore_case = false) {
  route::condition c;
  c.what = route::condition::kind::test;
  c.path_text = path;
  c.path = *hl7::parse_path(path);
  c.op = op;
  c.values = std::move(values);
  c.ignore_case = ignore_case;
  return c;
}

route::condition combine(route::condition::kind k, std::vector<route::condition> children) {
  route::condition c;
  c.what = k;
  c.children = std::move(children);
  return c;
}

infer::inference_result probability(double p) {
  infer::inference_result r;
  r.findings.push_back({"intracranial_hemorrhage", "Intracranial hemorrhage", p >= 0.5, p, std::nullopt, ""});
  return r;
}

infer::inference_result volume(double ml) {
  infer::inference_result r;
  r.findings.push_back({"hemorrhage_volume", "Hemorrhage volume", std::nullopt, std::nullopt, ml, "mL"});
  return r;
}

}  // namespace

TEST_CASE("study-complete orders start their route; new orders and other procedures do not") {
  CHECK(names_matching("orm_o01_ct_head_sc_complete.hl7") == std::vector<std::string>{"stroke_ct_head_ich"});
  CHECK(names_matching("orm_o01_ct_whole_body_trauma_sc_complete.hl7") ==
        std::vector<std::string>{"trauma_whole_body_ct_head"});
  CHECK(names_matching("orm_o01_ct_head_noncontrast_stroke.hl7").empty());  // NW: not acquired yet
  CHECK(names_matching("orm_o01_mr_brain_sc_complete.hl7").empty());
  CHECK(names_matching("adt_a01_admit_stroke_unit.hl7").empty());
}

TEST_CASE("the study key comes from the route's path") {
  const hl7::message order = sample("orm_o01_ct_head_sc_complete.hl7");
  CHECK(route::study_key_value(shipped().routes[0], order) == "ACC2024031200101");
  route::route by_uid = shipped().routes[0];
  by_uid.study = {route::study_key_rule::kind::study_uid, "ZDS-1.1", *hl7::parse_path("ZDS-1.1")};
  CHECK(route::study_key_value(by_uid, order) == "1.2.840.113619.2.55.3.2024031214280001");
  by_uid.study.path = *hl7::parse_path("ZDS-9");
  CHECK_FALSE(route::study_key_value(by_uid, order).has_value());
}

TEST_CASE("conditions: equals, in, prefix, exists, ignore_case, all, any, not") {
  using op = route::condition::test_op;
  using kind = route::condition::kind;
  const hl7::message m = sample("orm_o01_ct_head_sc_complete.hl7");
  CHECK(route::matches(test_on("OBR-4.1", op::equals, {"CTHEADWO"}), m));
  CHECK_FALSE(route::matches(test_on("OBR-4.1", op::equals, {"ctheadwo"}), m));
  CHECK(route::matches(test_on("OBR-4.1", op::equals, {"ctheadwo"}, true), m));
  CHECK(route::matches(test_on("OBR-4.1", op::in, {"XR", "CTHEADWO"}), m));
  CHECK(route::matches(test_on("OBR-4.1", op::prefix, {"CTHEAD"}), m));
  CHECK_FALSE(route::matches(test_on("OBR-4.1", op::prefix, {"MR"}), m));
  CHECK(route::matches(test_on("ZDS-1.1", op::exists, {}), m));
  CHECK_FALSE(route::matches(test_on("OBR-30", op::exists, {}), m));
  CHECK(route::matches(test_on("OBR-30", op::equals, {""}), m));  // absent reads as empty
  CHECK(route::matches(test_on("OBR-4", op::equals, {"CTHEADWO^CT HEAD WITHOUT CONTRAST^L"}), m));  // raw
  const auto yes = test_on("PV1-2", op::equals, {"E"});
  const auto no = test_on("PV1-2", op::equals, {"O"});
  CHECK(route::matches(combine(kind::all, {yes, yes}), m));
  CHECK_FALSE(route::matches(combine(kind::all, {yes, no}), m));
  CHECK(route::matches(combine(kind::any, {no, yes}), m));
  CHECK_FALSE(route::matches(combine(kind::any, {no, no}), m));
  CHECK(route::matches(combine(kind::negate, {no}), m));
  CHECK_FALSE(route::matches(combine(kind::negate, {yes}), m));
}

TEST_CASE("acuity: the first level whose trigger holds, else otherwise") {
  const route::acuity_rules& rules = shipped().routes[0].acuity;  // critical >= 0.5 or >= 30 mL; urgent >= 0.3
  CHECK(route::acuity_of(rules, {probability(0.97)}) == "critical");
  CHECK(route::acuity_of(rules, {probability(0.5)}) == "critical");
  CHECK(route::acuity_of(rules, {probability(0.4)}) == "urgent");
  CHECK(route::acuity_of(rules, {probability(0.1)}) == "routine");
  CHECK(route::acuity_of(rules, {probability(0.1), volume(31)}) == "critical");
  CHECK(route::acuity_of(rules, {}) == "routine");
  CHECK(route::at_or_above(rules, "critical", "critical"));
  CHECK(route::at_or_above(rules, "critical", "urgent"));
  CHECK_FALSE(route::at_or_above(rules, "urgent", "critical"));
  CHECK(route::at_or_above(rules, "routine", "routine"));
  CHECK_FALSE(route::at_or_above(rules, "routine", "urgent"));
}

TEST_CASE("overlap analysis: disjoint values and prefixes are exclusive, anything else may overlap") {
  using op = route::condition::test_op;
  using kind = route::condition::kind;
  const auto ct = test_on("OBR-4.1", op::in, {"CTHEADWO", "CTHEAD"});
  CHECK(route::exclusive(ct, test_on("OBR-4.1", op::equals, {"CTWBTRAUMA"})));
  CHECK_FALSE(route::exclusive(ct, test_on("OBR-4.1", op::equals, {"CTHEAD"})));
  CHECK_FALSE(route::exclusive(ct, test_on("OBR-4.1", op::equals, {"ctHead"}, true)));
  CHECK(route::exclusive(ct, test_on("OBR-4.1", op::prefix, {"MR"})));
  CHECK_FALSE(route::exclusive(ct, test_on("OBR-4.1", op::prefix, {"CT"})));
  CHECK(route::exclusive(test_on("OBR-4.1", op::prefix, {"CT"}), test_on("OBR-4.1", op::prefix, {"MR"})));
  CHECK_FALSE(route::exclusive(test_on("OBR-4.1", op::prefix, {"CT"}), test_on("OBR-4.1", op::prefix, {"CTH"})));
  CHECK_FALSE(route::exclusive(ct, test_on("OBR-24", op::equals, {"MR"})));  // different paths
  CHECK(route::exclusive(combine(kind::all, {test_on("MSH-9.1", op::equals, {"ORM"}), ct}),
                         combine(kind::all, {test_on("OBR-4.1", op::equals, {"XR"})})));
  // Deeper structure is not analysed: reported as possibly overlapping.
  CHECK_FALSE(route::exclusive(combine(kind::any, {ct}), test_on("OBR-4.1", op::equals, {"XR"})));
}
