// The right patient: the order's identifier by the route's rule, and whether
// a study's PatientID (and IssuerOfPatientID) names the same patient.
#include <doctest/doctest.h>

#include <string>

#include "hl7/message.hpp"
#include "route/patient_identity.hpp"

namespace route = radbridge::route;
namespace hl7 = radbridge::hl7;

namespace {

hl7::message order_with_pid3(const std::string& pid3) {
  auto m = hl7::message::parse("MSH|^~\\&|RIS|GENHOSP|||20240312144712||ORM^O01|C1|P|2.3.1\rPID|1||" + pid3 + "||X^Y\r");
  REQUIRE(m.has_value());
  return std::move(*m);
}

route::patient_identifier_rule rule_for(const std::string& assigner) {
  route::patient_identifier_rule r;
  r.assigner = assigner;
  r.system = "urn:oid:1.2.3";
  return r;
}

}  // namespace

TEST_CASE("the order's patient: the first PID-3 repetition from the route's assigning authority") {
  const auto order = order_with_pid3("999-00-1001^^^SSA^SS~MRN100001^^^GENHOSP^MR");
  CHECK(route::order_patient_id(order, rule_for("GENHOSP")) == std::optional<std::string>("MRN100001"));
  CHECK(route::order_patient_id(order, rule_for("")) == std::optional<std::string>("999-00-1001"));
  CHECK(route::order_patient_id(order, rule_for("OTHERHOSP")) == std::nullopt);
  CHECK(route::order_patient_id(order_with_pid3(""), rule_for("")) == std::nullopt);
}

TEST_CASE("study patient rules: same value, a prefix, a table; the issuer when the study names one") {
  route::patient_identifier_rule r = rule_for("GENHOSP");
  SUBCASE("same") {
    CHECK(route::check_study_patient(r, "MRN1", "MRN1", "") == std::nullopt);
    CHECK(route::check_study_patient(r, "MRN1", "MRN2", "") ==
          std::optional<std::string>("the order's patient is not the study's PatientID"));
    CHECK(route::check_study_patient(r, "MRN1", "", "") == std::optional<std::string>("the study has no PatientID"));
  }
  SUBCASE("prefix") {
    r.study.how = route::study_patient_rule::kind::prefix;
    r.study.prefix = "GH-";
    CHECK(route::check_study_patient(r, "MRN1", "GH-MRN1", "") == std::nullopt);
    CHECK(route::check_study_patient(r, "MRN1", "MRN1", "") ==
          std::optional<std::string>("the order's patient is not the study's PatientID"));
  }
  SUBCASE("table") {
    r.study.how = route::study_patient_rule::kind::table;
    r.study.table = {{"MRN1", "PACS-77"}};
    CHECK(route::check_study_patient(r, "MRN1", "PACS-77", "") == std::nullopt);
    CHECK(route::check_study_patient(r, "MRN1", "PACS-78", "") ==
          std::optional<std::string>("the order's patient is not the study's PatientID"));
    CHECK(route::check_study_patient(r, "MRN2", "PACS-77", "") ==
          std::optional<std::string>("the order's patient is not in the patient table"));
  }
  SUBCASE("issuer") {
    r.study.issuer = "GENHOSP";
    CHECK(route::check_study_patient(r, "MRN1", "MRN1", "GENHOSP") == std::nullopt);
    CHECK(route::check_study_patient(r, "MRN1", "MRN1", "") == std::nullopt);  // the study names none
    CHECK(route::check_study_patient(r, "MRN1", "MRN1", "OTHERHOSP") ==
          std::optional<std::string>("the study's IssuerOfPatientID is not the route's issuer"));
  }
}
