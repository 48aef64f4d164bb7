// Reading the RIS's final reports by the shipped stroke route's feedback rules.
#include <doctest/doctest.h>

#include <string>

#include "hl7/message.hpp"
#include "infer/model_registry.hpp"
#include "review/report_reading.hpp"
#include "route/mapping_loader.hpp"
#include "support.hpp"

namespace review = radbridge::review;
namespace route = radbridge::route;
namespace hl7 = radbridge::hl7;
namespace infer = radbridge::infer;
namespace work = radbridge::work;
using radbridge::test::read_file;
using radbridge::test::source_dir;

namespace {

const route::route& stroke_route() {
  static const route::mapping_set m = route::load_mappings(
      {(source_dir() / "mappings").string()},
      infer::load_registry((source_dir() / "models" / "registry.json").string()));
  for (const route::route& r : m.routes) {
    if (r.name == "stroke_ct_head_ich") return r;
  }
  FAIL("the shipped mappings have no stroke_ct_head_ich route");
  return m.routes.front();
}

std::string sample_text(const std::string& name) { return read_file(source_dir() / "samples" / "hl7" / name); }

review::reading_outcome read_text(const std::string& text) {
  auto m = hl7::message::parse(text);
  REQUIRE_MESSAGE(m.has_value(), m.error().to_string());
  return review::read_report(stroke_route(), *m);
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

std::string verdict_text(const std::optional<work::verdict>& v) { return v ? std::string(work::to_string(*v)) : "none"; }

}  // namespace

TEST_CASE("report reading: a final report's impression and its measured volume") {
  const review::reading_outcome out = read_text(sample_text("oru_r01_ct_head_final_report.hl7"));
  REQUIRE(out.reading.has_value());
  CHECK(!out.reason.has_value());
  const auto& r = *out.reading;
  CHECK(r.route == "stroke_ct_head_ich");
  CHECK(r.study_key == "ACC2024031200101");  // OBR-3.1, as the feedback rules say
  CHECK(r.status == work::report_status::final);
  CHECK(r.report_time == "20240312152200");  // OBR-22
  REQUIRE(r.findings.size() == 2);
  CHECK(r.findings[0].label == "intracranial_hemorrhage");
  CHECK(verdict_text(r.findings[0].verdict) == "positive");
  CHECK(!r.findings[0].value.has_value());
  CHECK(r.findings[1].label == "hemorrhage_volume");
  CHECK(r.findings[1].value == 14.0);
  CHECK(!r.findings[1].verdict.has_value());
}

TEST_CASE("report reading: a corrected report, and the impression alone is read") {
  const review::reading_outcome out = read_text(sample_text("oru_r01_ct_head_corrected_report.hl7"));
  REQUIRE(out.reading.has_value());
  CHECK(out.reading->status == work::report_status::corrected);
  REQUIRE(out.reading->findings.size() == 1);
  CHECK(verdict_text(out.reading->findings[0].verdict) == "negative");
  // The findings OBX (18782-3) would say "hyperdense collection"; only 19005-8 is read.
  const std::string findings_only = replaced(sample_text("oru_r01_ct_head_final_report.hl7"), "19005-8", "18782-3");
  const review::reading_outcome no_impression = read_text(findings_only);
  REQUIRE(no_impression.reading.has_value());
  REQUIRE(no_impression.reading->findings.size() == 2);
  // Nothing in the impression: the rule's "unmentioned": "negative".
  CHECK(verdict_text(no_impression.reading->findings[0].verdict) == "negative");
}

TEST_CASE("report reading: a coded OBX decides over the text") {
  const std::string coded = replaced(sample_text("oru_r01_ct_head_corrected_report.hl7"), "OBX|2|",
                                     "OBX|2|CWE|RDES194^Acute intracranial hemorrhage^RADELEMENT||1386000^Intracranial "
                                     "hemorrhage^SCT||||||C\rOBX|3|");
  const review::reading_outcome out = read_text(coded);
  REQUIRE(out.reading.has_value());
  REQUIRE(out.reading->findings.size() == 1);
  CHECK(verdict_text(out.reading->findings[0].verdict) == "positive");
}

TEST_CASE("report reading: what is not read, and why") {
  // Not a report on the route's studies: an order, another procedure, the AI's own preliminary result.
  CHECK(!read_text(sample_text("orm_o01_ct_head_sc_complete.hl7")).reading.has_value());
  CHECK(!read_text(sample_text("orm_o01_ct_head_sc_complete.hl7")).reason.has_value());
  CHECK(!read_text(sample_text("oru_r01_xr_chest_report.hl7")).reason.has_value());
  const review::reading_outcome preliminary = read_text(sample_text("oru_r01_ct_head_stroke_ai.hl7"));
  CHECK(!preliminary.reading.has_value());
  REQUIRE(preliminary.reason.has_value());
  CHECK(*preliminary.reason == review::unread::not_final);
  const review::reading_outcome keyless =
      read_text(replaced(sample_text("oru_r01_ct_head_final_report.hl7"), "ACC2024031200101^RIS", "^RIS"));
  CHECK(!keyless.reading.has_value());
  REQUIRE(keyless.reason.has_value());
  CHECK(*keyless.reason == review::unread::no_study_key);
}

TEST_CASE("report reading: a volume that is not a number is no value") {
  const std::string text = replaced(sample_text("oru_r01_ct_head_final_report.hl7"), "|1|14|mL", "|1|about 14|mL");
  const review::reading_outcome out = read_text(text);
  REQUIRE(out.reading.has_value());
  REQUIRE(out.reading->findings.size() == 1);
  CHECK(out.reading->findings[0].label == "intracranial_hemorrhage");
}
