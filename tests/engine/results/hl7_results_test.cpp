// ORU^R01 and ADT^A31 built from a study-complete order, the shipped stroke
// route and a job's findings: every field the builders promise, read back by
// our parser and by python-hl7 (a parser we did not write), and the errors.
#include <doctest/doctest.h>

#include <chrono>

#include "hl7/message.hpp"
#include "infer/model_registry.hpp"
#include "results/adt_builder.hpp"
#include "results/build_error.hpp"
#include "results/oru_builder.hpp"
#include "results/output_ids.hpp"
#include "route/acuity.hpp"
#include "route/mapping_loader.hpp"
#include "support.hpp"
#include "support/process.hpp"

namespace hl7 = radbridge::hl7;
namespace infer = radbridge::infer;
namespace results = radbridge::results;
namespace route = radbridge::route;
using radbridge::test::read_file;
using radbridge::test::source_dir;
using namespace std::chrono_literals;

namespace {

const route::mapping_set& shipped() {
  static const route::mapping_set m = route::load_mappings(
      {(source_dir() / "mappings").string()},
      infer::load_registry((source_dir() / "models" / "registry.json").string()));
  return m;
}

const route::route& stroke() { return shipped().routes.at(0); }
const route::route& trauma() { return shipped().routes.at(1); }

hl7::message parse(std::string_view bytes) {
  auto m = hl7::message::parse(bytes);
  REQUIRE_MESSAGE(m.has_value(), m.error().to_string());
  return std::move(*m);
}

hl7::message sample(const std::string& name) { return parse(read_file(source_dir() / "samples" / "hl7" / name)); }

std::vector<infer::inference_result> findings(double probability, double volume_ml) {
  infer::inference_result c;
  c.model_id = "ich_classifier";
  c.version = "1.0.0";
  c.sha256 = "67de8e1462333295be7a7d271a94a9224399aca7d0f1cf32cfa7b298479e4a50";
  c.study_uid = "1.2.840.113619.2.55.3.2024031214280001";
  c.series_uid = "1.2.3.4.5";
  c.findings.push_back(
      {"intracranial_hemorrhage", "Intracranial hemorrhage", probability >= 0.5, probability, std::nullopt, ""});
  infer::inference_result s = c;
  s.model_id = "ich_segmentation";
  s.sha256 = "164f5d9ba5212944f2240de1c937a6b550a0d7b0e5e8615abe89a8fef97d4329";
  s.findings = {{"hemorrhage_volume", "Hemorrhage volume", std::nullopt, std::nullopt, volume_ml, "mL"}};
  return {c, s};
}

// 2024-03-12 14:50:05 UTC.
const auto issued = std::chrono::system_clock::time_point(std::chrono::seconds(1710255005));

results::result_input input(const hl7::message& order, const route::route& r, double probability, double volume) {
  results::result_input in;
  in.order = &order;
  in.route = &r;
  in.results = findings(probability, volume);
  in.job_key = "stroke_ct_head_ich|ACC2024031200101|ich_classifier 1.0.0|ich_segmentation 1.0.0";
  in.acuity = route::acuity_of(r.acuity, in.results);
  in.issued = issued;
  in.engine_version = "0.1.0";
  return in;
}

std::string value(const hl7::message& m, const std::string& path) {
  auto v = m.value(path);
  REQUIRE_MESSAGE(v.has_value(), path);
  return *v;
}

std::string raw(const hl7::message& m, const std::string& path) {
  return std::string(m.raw(*hl7::parse_path(path)).value_or("<absent>"));
}

}  // namespace

TEST_CASE("ORU^R01 of a critical hemorrhage: header, software, patient, order and one OBX per result") {
  const hl7::message order = sample("orm_o01_ct_head_sc_complete.hl7");
  const results::result_input in = input(order, stroke(), 0.973, 12.44);
  REQUIRE(in.acuity == "critical");
  const std::string bytes = results::build_oru(in, {"http://127.0.0.1:8042/dicom-web/studies/1.2/series/2.25.1/instances/2.25.2"});
  CHECK(bytes == results::build_oru(in, {"http://127.0.0.1:8042/dicom-web/studies/1.2/series/2.25.1/instances/2.25.2"}));
  const hl7::message oru = parse(bytes);

  CHECK(value(oru, "MSH-3") == "RADBRIDGE");
  CHECK(value(oru, "MSH-4") == "RADBRIDGE");  // the order's receiving facility
  CHECK(value(oru, "MSH-5") == "RIS");
  CHECK(value(oru, "MSH-6") == "GENHOSP_RAD");
  CHECK(value(oru, "MSH-7") == "20240312145005+0000");
  CHECK(raw(oru, "MSH-9") == "ORU^R01^ORU_R01");
  CHECK(value(oru, "MSH-10") == results::message_control_id(in.job_key, "oru"));
  CHECK(value(oru, "MSH-10").size() == 20);
  CHECK(value(oru, "MSH-11") == "P");
  CHECK(value(oru, "MSH-12") == "2.5.1");

  CHECK(oru.segment(1).name() == "SFT");
  CHECK(raw(oru, "SFT-3") == "radbridge");
  CHECK(raw(oru, "SFT[2]-2") == "1.0.0");
  CHECK(raw(oru, "SFT[2]-3") == "ich_classifier");
  CHECK(raw(oru, "SFT[2]-4") == "67de8e1462333295");
  CHECK(raw(oru, "SFT[3]-3") == "ich_segmentation");

  CHECK(oru.find("PID")->raw() == order.find("PID")->raw());
  CHECK(oru.find("PV1")->raw() == order.find("PV1")->raw().substr(0, oru.find("PV1")->raw().size()));
  CHECK(raw(oru, "PV1-19") == "VN7000001");
  CHECK(raw(oru, "ORC-1") == "RE");
  CHECK(raw(oru, "ORC-2") == "ORD900001^EPIC");
  CHECK(raw(oru, "ORC-3") == "ACC2024031200101^RIS");
  CHECK(raw(oru, "OBR-2") == "ORD900001^EPIC");
  CHECK(raw(oru, "OBR-3") == "ACC2024031200101^RIS");
  CHECK(raw(oru, "OBR-4") == "CTHEADWO^CT HEAD WITHOUT CONTRAST^L");
  CHECK(raw(oru, "OBR-7") == "20240312143605");
  CHECK(raw(oru, "OBR-18") == "ACC2024031200101");
  CHECK(raw(oru, "OBR-22") == "20240312145005+0000");
  CHECK(raw(oru, "OBR-24") == "CT");
  CHECK(raw(oru, "OBR-25") == "P");

  // Present (CWE, critical), its probability (NM), the volume (NM), the impression (ST), the SR (RP).
  CHECK(raw(oru, "OBX[1]-1") == "1");
  CHECK(raw(oru, "OBX[1]-2") == "CWE");
  CHECK(raw(oru, "OBX[1]-3") == "RDES194^Acute intracranial hemorrhage^RADELEMENT");
  CHECK(raw(oru, "OBX[1]-4") == "1");
  CHECK(raw(oru, "OBX[1]-5") == "1386000^Intracranial hemorrhage^SCT");
  CHECK(raw(oru, "OBX[1]-8") == "AA");
  CHECK(raw(oru, "OBX[1]-11") == "P");
  CHECK(raw(oru, "OBX[1]-14") == "20240312143605");
  CHECK(raw(oru, "OBX[1]-18") == "ich_classifier-1.0.0^RADBRIDGE");
  CHECK(raw(oru, "OBX[1]-19") == "20240312145005+0000");
  CHECK(raw(oru, "OBX[2]-2") == "NM");
  CHECK(raw(oru, "OBX[2]-3") == "ICH-PROB^Intracranial hemorrhage probability^99RB");
  CHECK(raw(oru, "OBX[2]-4") == "1");
  CHECK(raw(oru, "OBX[2]-5") == "0.973");
  CHECK(raw(oru, "OBX[2]-6") == "1^^UCUM");
  CHECK(raw(oru, "OBX[2]-11") == "P");
  CHECK(raw(oru, "OBX[3]-2") == "NM");
  CHECK(raw(oru, "OBX[3]-3") == "ICH-VOL^Intracranial hemorrhage volume^99RB");
  CHECK(raw(oru, "OBX[3]-4") == "2");
  CHECK(raw(oru, "OBX[3]-5") == "12.4");
  CHECK(raw(oru, "OBX[3]-6") == "mL^^UCUM");
  CHECK(raw(oru, "OBX[3]-18") == "ich_segmentation-1.0.0^RADBRIDGE");
  CHECK(raw(oru, "OBX[4]-2") == "ST");
  CHECK(raw(oru, "OBX[4]-3") == "19005-8^Radiology Imaging study [Impression] (narrative)^LN");
  CHECK(value(oru, "OBX[4]-5") ==
        "Preliminary AI findings, not a signed report (ich_classifier 1.0.0, ich_segmentation 1.0.0): Acute "
        "intracranial hemorrhage suspected (probability 0.97); Intracranial hemorrhage volume 12.4 mL. Acuity: "
        "critical.");
  CHECK(raw(oru, "OBX[4]-11") == "P");
  CHECK(raw(oru, "OBX[5]-2") == "RP");
  CHECK(raw(oru, "OBX[5]-3") == "126000^Imaging Measurement Report^DCM");
  CHECK(raw(oru, "OBX[5]-5") ==
        "http://127.0.0.1:8042/dicom-web/studies/1.2/series/2.25.1/instances/2.25.2^PACS^AP^DICOM");
  CHECK_FALSE(oru.find("OBX", 6).has_value());
}

TEST_CASE("ORU^R01 of a negative study: the absent code, flag N, no RP without an SR") {
  const hl7::message order = sample("orm_o01_ct_head_sc_complete.hl7");
  const results::result_input in = input(order, stroke(), 0.04, 0.0);
  CHECK(in.acuity == "routine");
  const hl7::message oru = parse(results::build_oru(in));
  CHECK(raw(oru, "OBX[1]-5") == "260385009^Negative^SCT");
  CHECK(raw(oru, "OBX[1]-8") == "N");
  CHECK(raw(oru, "OBX[2]-5") == "0.040");
  CHECK(raw(oru, "OBX[3]-5") == "0.0");
  CHECK(raw(oru, "OBX[4]-2") == "ST");
  CHECK_FALSE(oru.find("OBX", 5).has_value());
  // A present finding below the critical level is flagged A, not AA.
  const hl7::message urgent_order = sample("orm_o01_ct_head_sc_complete.hl7");
  results::result_input urgent = input(urgent_order, stroke(), 0.6, 2.0);
  urgent.acuity = "urgent";
  CHECK(raw(parse(results::build_oru(urgent)), "OBX[1]-8") == "A");
}

TEST_CASE("python-hl7, a parser we did not write, reads the ORU's fields") {
  const hl7::message order = sample("orm_o01_ct_head_sc_complete.hl7");
  const std::string bytes = results::build_oru(input(order, stroke(), 0.973, 12.44));
  const std::string script =
      "import sys, hl7\n"
      "m = hl7.parse(sys.stdin.read())\n"
      "print(m.segment('MSH')[9])\n"
      "print(m.segment('PID')[3][0][0])\n"
      "print(m.segment('OBR')[25])\n"
      "for obx in m.segments('OBX'):\n"
      "    print(obx[2], obx[3][0][0], obx[5], obx[6], obx[11])\n";
  const auto r = radbridge::test::run_captured({"/usr/bin/python3", "-c", script}, {}, bytes, 30s);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(r.out ==
        "ORU^R01^ORU_R01\n"
        "MRN100001\n"
        "P\n"
        "CWE RDES194 1386000^Intracranial hemorrhage^SCT  P\n"
        "NM ICH-PROB 0.973 1^^UCUM P\n"
        "NM ICH-VOL 12.4 mL^^UCUM P\n"
        "ST 19005-8 Preliminary AI findings, not a signed report (ich_classifier 1.0.0, ich_segmentation 1.0.0): "
        "Acute intracranial hemorrhage suspected (probability 0.97); Intracranial hemorrhage volume 12.4 mL. "
        "Acuity: critical.  P\n");
}

TEST_CASE("ADT^A31 raises the acuity in active mode at or above the route's minimum") {
  const hl7::message order = sample("orm_o01_ct_head_sc_complete.hl7");
  const results::result_input critical = input(order, stroke(), 0.973, 12.44);
  CHECK_FALSE(results::adt_refusal(critical).has_value());
  const std::string bytes = results::build_adt(critical);
  CHECK(bytes == results::build_adt(critical));
  const hl7::message adt = parse(bytes);
  CHECK(raw(adt, "MSH-9") == "ADT^A31^ADT_A05");
  CHECK(value(adt, "MSH-10") == results::message_control_id(critical.job_key, "adt"));
  CHECK(value(adt, "MSH-10") != results::message_control_id(critical.job_key, "oru"));
  CHECK(adt.segment(1).name() == "EVN");
  CHECK(raw(adt, "EVN-1") == "A31");
  CHECK(raw(adt, "EVN-2") == "20240312145005+0000");
  CHECK(raw(adt, "EVN-4") == "AI");
  CHECK(adt.find("PID")->raw() == order.find("PID")->raw());
  CHECK(raw(adt, "PV1-2") == "E");
  CHECK(adt.segment(4).name() == "PV2");
  CHECK(raw(adt, "PV2-25") == "1");
  CHECK(adt.segment_count() == 5);

  SUBCASE("not sent below the minimum, nor outside active mode") {
    const results::result_input routine = input(order, stroke(), 0.1, 0.0);
    CHECK(results::adt_refusal(routine) == "acuity \"routine\" is below the route's minimum \"critical\"");
    const results::result_input assist = input(order, trauma(), 0.97, 20.0);
    CHECK(results::adt_refusal(assist) ==
          "route \"trauma_whole_body_ct_head\" is in assist mode (ADT^A31 only in active mode)");
  }
  SUBCASE("an order without a visit gets the pseudo PV1|1|N") {
    const hl7::message no_visit = parse(
        "MSH|^~\\&|RIS|GENHOSP_RAD|AIENGINE|RADBRIDGE|20240312144712||ORM^O01|X1|P|2.3.1\r"
        "PID|1||MRN100001^^^GENHOSP^MR\r"
        "ORC|SC|ORD1^EPIC|ACC1^RIS||CM\r"
        "OBR|1|ORD1^EPIC|ACC1^RIS|CTHEADWO^CT HEAD^L|||20240312143605|||||||||||ACC1||||||CT\r");
    const hl7::message a = parse(results::build_adt(input(no_visit, stroke(), 0.9, 1.0)));
    CHECK(a.find("PV1")->raw() == "PV1|1|N");
    CHECK(raw(a, "PV2-25") == "1");
  }
}

TEST_CASE("result messages refuse input that cannot make a correct message") {
  const hl7::message order = sample("orm_o01_ct_head_sc_complete.hl7");
  results::result_input in = input(order, stroke(), 0.9, 1.0);
  SUBCASE("no order") {
    in.order = nullptr;
    CHECK_THROWS_WITH_AS(results::build_oru(in),
                         "no order: a result message answers the order that started the job", results::build_error);
  }
  SUBCASE("no route") {
    in.route = nullptr;
    CHECK_THROWS_WITH_AS(results::build_oru(in), "no route: the ORU's codes come from the route that matched",
                         results::build_error);
    CHECK_THROWS_WITH_AS(results::build_adt(in), "no route: the ADT's acuity code comes from the route that matched",
                         results::build_error);
  }
  SUBCASE("a finding the route does not map") {
    in.results[0].findings[0].label = "pneumothorax";
    CHECK_THROWS_WITH_AS(results::build_oru(in),
                         "finding \"pneumothorax\" of model \"ich_classifier\" has no mapping in route "
                         "\"stroke_ct_head_ich\"",
                         results::build_error);
  }
  SUBCASE("an order without PID") {
    const hl7::message no_pid = parse(
        "MSH|^~\\&|RIS|GENHOSP_RAD|AIENGINE|RADBRIDGE|20240312144712||ORM^O01|X1|P|2.3.1\r"
        "OBR|1|ORD1^EPIC|ACC1^RIS|CTHEADWO^CT HEAD^L\r");
    in.order = &no_pid;
    CHECK_THROWS_WITH_AS(results::build_oru(in), "the order has no PID segment", results::build_error);
    CHECK_THROWS_WITH_AS(results::build_adt(in), "the order has no PID segment", results::build_error);
  }
  SUBCASE("an acuity level without an ADT code") {
    in.acuity = "urgent";
    route::route r = stroke();
    r.adt.codes.erase("urgent");
    in.route = &r;
    CHECK_THROWS_WITH_AS(results::build_adt(in), "route \"stroke_ct_head_ich\" has no ADT code for acuity \"urgent\"",
                         results::build_error);
  }
}
