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

namespace {

hl7::message parse(const std::string& text) {
  auto m = hl7::message::parse(text);
  REQUIRE_MESSAGE(m.has_value(), m.error().to_string());
  return std::move(*m);
}

std::string key(const std::string& authority, const std::string& id) { return authority + '\x1f' + id; }

const std::string adt_header = "MSH|^~\\&|ADT|GENHOSP|||20240312150000||ADT^";

}  // namespace

TEST_CASE("identifier keys: one per PID-3 repetition with an identifier, by assigning authority") {
  const auto m = parse(adt_header + "A08|C2|P|2.5\rPID|1||MRN1^^^GENHOSP^MR~~999-00^^^SSA^SS~MRN1^^^GENHOSP^MR~X9\r");
  CHECK(route::identifier_keys(m, "PID-3") ==
        std::vector<std::string>{key("GENHOSP", "MRN1"), key("SSA", "999-00"), key("", "X9")});
  CHECK(route::identifiers_by(route::identifier_keys(m, "PID-3"), rule_for("GENHOSP")) ==
        std::vector<std::string>{"MRN1"});
  CHECK(route::identifiers_by(route::identifier_keys(m, "PID-3"), rule_for("")) ==
        std::vector<std::string>{"MRN1", "999-00", "X9"});
}

TEST_CASE("patient moves: each PID with its MRG (A40, A47), an A08/A31 update; nothing from other messages") {
  SUBCASE("A40 merging two temporary records") {
    const auto m = parse(adt_header +
                         "A40|C3|P|2.5\rEVN|A40\rPID|1||MRN7^^^GENHOSP^MR\rMRG|TMP1^^^GENHOSP^MR\r"
                         "PID|2||MRN8^^^GENHOSP^MR\rPD1|\rMRG|TMP2^^^GENHOSP^MR~TMP3^^^GENHOSP^MR\r");
    const auto moves = route::patient_moves(m);
    REQUIRE(moves.size() == 2);
    CHECK(moves[0].links == std::vector<std::string>{key("GENHOSP", "TMP1")});
    CHECK(moves[0].current == std::vector<std::string>{key("GENHOSP", "MRN7")});
    CHECK(moves[0].pid_occurrence == 1);
    CHECK(moves[1].links == std::vector<std::string>{key("GENHOSP", "TMP2"), key("GENHOSP", "TMP3")});
    CHECK(moves[1].current == std::vector<std::string>{key("GENHOSP", "MRN8")});
    CHECK(moves[1].pid_occurrence == 2);
  }
  SUBCASE("A47 changing an identifier") {
    const auto moves = route::patient_moves(
        parse(adt_header + "A47|C4|P|2.5\rPID|1||NEW1^^^GENHOSP^MR\rMRG|OLD1^^^GENHOSP^MR\r"));
    REQUIRE(moves.size() == 1);
    CHECK(moves[0].links == std::vector<std::string>{key("GENHOSP", "OLD1")});
    CHECK(moves[0].current == std::vector<std::string>{key("GENHOSP", "NEW1")});
  }
  SUBCASE("A08 and A31 restate the patient, linked by the identifiers that name an authority") {
    for (const std::string event : {"A08", "A31"}) {
      const auto moves = route::patient_moves(
          parse(adt_header + event + "|C5|P|2.5\rPID|1||MRN2^^^GENHOSP^MR~77~E5^^^ENT\r"));
      REQUIRE(moves.size() == 1);
      CHECK(moves[0].links == std::vector<std::string>{key("GENHOSP", "MRN2"), key("ENT", "E5")});
      CHECK(moves[0].current == std::vector<std::string>{key("GENHOSP", "MRN2"), key("", "77"), key("ENT", "E5")});
    }
    // Only a bare number: nothing to link it by.
    CHECK(route::patient_moves(parse(adt_header + "A08|C9|P|2.5\rPID|1||77\r")).empty());
  }
  SUBCASE("none") {
    CHECK(route::patient_moves(parse(adt_header + "A01|C6|P|2.5\rPID|1||MRN2^^^GENHOSP^MR\r")).empty());
    CHECK(route::patient_moves(parse(adt_header + "A40|C7|P|2.5\rPID|1||MRN2^^^GENHOSP^MR\rMRG|\r")).empty());
    CHECK(route::patient_moves(parse(adt_header + "A08|C8|P|2.5\rPID|1||\r")).empty());
    CHECK(route::patient_moves(order_with_pid3("MRN1^^^GENHOSP^MR")).empty());
  }
}

TEST_CASE("with_patient: the order takes the update's PID in its own delimiters; the rest of the order is kept") {
  const auto order = parse("MSH|^~\\&|RIS|GENHOSP|||20240312144712||ORM^O01|C1|P|2.3.1\r"
                           "PID|1||TMP1^^^GENHOSP^MR||TRAUMA^ALPHA\rORC|SC\rOBR|1||ACC1\r");
  const auto merge = parse("MSH|^~\\&|ADT|GENHOSP|||20240312150000||ADT^A40|C3|P|2.5\r"
                           "PID|1||MRN7^^^GENHOSP^MR||DOE^JANE\rMRG|TMP1^^^GENHOSP^MR\r");
  const auto merged = route::with_patient(order, merge, 1);
  REQUIRE_MESSAGE(merged.has_value(), merged.error().to_string());
  CHECK(std::string(merged->bytes()) == "MSH|^~\\&|RIS|GENHOSP|||20240312144712||ORM^O01|C1|P|2.3.1\r"
                                        "PID|1||MRN7^^^GENHOSP^MR||DOE^JANE\rORC|SC\rOBR|1||ACC1\r");
  CHECK(route::order_patient_id(*merged, rule_for("GENHOSP")) == std::optional<std::string>("MRN7"));

  const auto missing = route::with_patient(order, merge, 2);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().to_string().starts_with("missing_required_field at PID[2]"));
}
