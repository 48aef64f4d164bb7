// engine/results/observation_builder: FHIR R4 Observations from a real sample
// order, checked field by field and by Medplum's FHIR validator (npm).
//
// The codes are test data: SNOMED CT 1386000 and 260385009 are real, the
// RadElement and urn:radbridge:test codes only look like mapping entries.
#include <doctest/doctest.h>

#include <chrono>
#include <limits>
#include <string>
#include <string_view>

#include "hl7/message.hpp"
#include "json/json_document.hpp"
#include "results/build_error.hpp"
#include "results/observation_builder.hpp"
#include "results/output_ids.hpp"
#include "support.hpp"
#include "support/fhir_validator.hpp"

namespace hl7 = radbridge::hl7;
namespace infer = radbridge::infer;
namespace json = radbridge::json;
namespace results = radbridge::results;
namespace route = radbridge::route;
using namespace std::chrono;

namespace {

constexpr std::string_view patient_system = "urn:oid:2.16.840.1.113883.19.5";
constexpr std::string_view study_uid = "1.2.826.0.1.3680043.8.498.10";
constexpr std::string_view observation_job_key = "ct-head-ich|1.2.826.0.1.3680043.8.498.10|ich_classifier@1.0.0";
constexpr std::string_view ich_label = "intracranial_hemorrhage";
constexpr std::string_view volume_label = "hemorrhage_volume";

std::string sample_text() {
  return radbridge::test::read_file(radbridge::test::source_dir() / "samples/hl7/orm_o01_ct_head_noncontrast_stroke.hl7");
}

hl7::message parse_order(const std::string& text) {
  auto m = hl7::message::parse(text);
  REQUIRE_MESSAGE(m.has_value(), (m ? "" : m.error().to_string()));
  return std::move(*m);
}

// The sample (CR-separated) with the first segment named `name` replaced.
std::string with_segment(std::string text, std::string_view name, std::string_view replacement) {
  const std::string head = std::string(name) + "|";
  std::size_t start = text.rfind(head, 0) == 0 ? 0 : text.find("\r" + head);
  REQUIRE(start != std::string::npos);
  if (start != 0) ++start;
  const auto end = text.find('\r', start);
  text.replace(start, end == std::string::npos ? std::string::npos : end - start, replacement);
  return text;
}

route::coded_concept concept_of(std::string system, std::string hl7_system, std::string code, std::string display) {
  return {std::move(system), std::move(hl7_system), std::move(code), std::move(display)};
}

route::route ich_route() {
  route::route r;
  r.name = "ct-head-ich";
  r.study.by = route::study_key_rule::kind::accession;
  r.study.path_text = "OBR-18";
  r.study.path = *hl7::parse_path("OBR-18");
  r.models = {"ich_classifier", "ich_segmenter"};
  r.patient = {"GENHOSP", std::string(patient_system), {}};

  route::finding_mapping hemorrhage;
  hemorrhage.label = ich_label;
  hemorrhage.observation = concept_of("http://radelement.org", "RADLEX", "RDES194", "Intracranial hemorrhage");
  hemorrhage.present = concept_of("http://snomed.info/sct", "SCT", "1386000", "Intracranial hemorrhage");
  hemorrhage.absent = concept_of("http://snomed.info/sct", "SCT", "260385009", "Negative");
  hemorrhage.probability = concept_of("urn:radbridge:test", "99RB", "ich-probability", "Intracranial hemorrhage probability");

  route::finding_mapping hemorrhage_volume;
  hemorrhage_volume.label = volume_label;
  hemorrhage_volume.observation = concept_of("urn:radbridge:test", "99RB", "ich-volume", "Intracranial hemorrhage volume");
  hemorrhage_volume.ucum = "mL";
  r.findings = {hemorrhage, hemorrhage_volume};

  r.acuity.levels = {{"critical", {{std::string(ich_label), 0.5, {}}, {std::string(volume_label), 30, {}}}},
                     {"urgent", {{std::string(ich_label), 0.2, {}}}}};
  return r;
}

infer::inference_result model_result(std::string model, std::vector<infer::finding> findings) {
  infer::inference_result r;
  r.model_id = std::move(model);
  r.version = "1.0.0";
  r.sha256 = std::string(64, 'a');
  r.study_uid = study_uid;
  r.series_uid = std::string(study_uid) + ".2";
  r.findings = std::move(findings);
  return r;
}

infer::finding probability_finding(bool present, double probability) {
  return {std::string(ich_label), "Intracranial hemorrhage", present, probability, std::nullopt, ""};
}

infer::finding volume_finding(double ml) {
  return {std::string(volume_label), "Hemorrhage volume", std::nullopt, std::nullopt, ml, "mL"};
}

results::result_input input_for(const hl7::message& order, const route::route& r,
                                std::vector<infer::inference_result> model_results, std::string acuity) {
  results::result_input in;
  in.order = &order;
  in.route = &r;
  in.results = std::move(model_results);
  in.job_key = observation_job_key;
  in.acuity = std::move(acuity);
  in.issued = sys_days{2024y / March / 12} + 14h + 35min + 7s + 250ms;
  in.engine_version = "0.1.0";
  return in;
}

json::value parsed(const results::observation_document& doc) {
  auto d = json::parse_document(doc.json);
  REQUIRE_MESSAGE(d.has_value(), doc.json);
  return std::move(d).value();
}

const json::value& at(const json::value& v, std::string_view key) {
  REQUIRE(v.is_object());
  const json::value* member = v.find(key);
  REQUIRE_MESSAGE(member != nullptr, "no member " << key);
  return *member;
}

// The single coding of a CodeableConcept, as "system|code|display".
std::string coding_of(const json::value& codeable_concept) {
  const json::value& codings = at(codeable_concept, "coding");
  REQUIRE(codings.size() == 1);
  const json::value& c = codings[0];
  const json::value* display = c.find("display");
  return at(c, "system").as_string() + "|" + at(c, "code").as_string() + "|" +
         (display != nullptr ? display->as_string() : "");
}

std::vector<std::string> member_names(const json::value& v) {
  std::vector<std::string> names;
  for (const json::member& m : v.members()) names.push_back(m.key);
  return names;
}

// What every Observation of these tests shares, whatever its value.
void check_common(const json::value& o, const results::observation_document& doc, std::string_view model,
                  std::string_view device_id) {
  CHECK(at(o, "resourceType").as_string() == "Observation");
  const json::value& identifiers = at(o, "identifier");
  REQUIRE(identifiers.size() == 1);
  CHECK(at(identifiers[0], "system").as_string() == results::fhir_identifier_system);
  CHECK(at(identifiers[0], "value").as_string() == results::fhir_identifier_value(observation_job_key, doc.what));
  CHECK(doc.identifier == results::fhir_identifier_value(observation_job_key, doc.what));
  CHECK(at(o, "status").as_string() == "preliminary");
  REQUIRE(at(o, "category").size() == 1);
  CHECK(coding_of(at(o, "category")[0]) ==
        "http://terminology.hl7.org/CodeSystem/observation-category|imaging|Imaging");

  const json::value& subject = at(o, "subject");
  CHECK(at(subject, "type").as_string() == "Patient");
  CHECK(at(at(subject, "identifier"), "system").as_string() == patient_system);
  CHECK(at(at(subject, "identifier"), "value").as_string() == "MRN100001");
  CHECK(subject.find("reference") == nullptr);

  // OBR-7 is empty in the sample; OBR-6 has no offset, so only its date.
  CHECK(at(o, "effectiveDateTime").as_string() == "2024-03-12");
  CHECK(at(o, "issued").as_string() == "2024-03-12T14:35:07.250Z");

  REQUIRE(at(o, "basedOn").size() == 1);
  const json::value& order = at(o, "basedOn")[0];
  CHECK(at(order, "type").as_string() == "ServiceRequest");
  CHECK(coding_of(at(at(order, "identifier"), "type")) == "http://terminology.hl7.org/CodeSystem/v2-0203|ACSN|");
  CHECK(at(at(order, "identifier"), "value").as_string() == "ACC2024031200101");

  REQUIRE(at(o, "derivedFrom").size() == 1);
  const json::value& study = at(o, "derivedFrom")[0];
  CHECK(at(study, "type").as_string() == "ImagingStudy");
  CHECK(at(at(study, "identifier"), "system").as_string() == "urn:dicom:uid");
  CHECK(at(at(study, "identifier"), "value").as_string() == "urn:oid:" + std::string(study_uid));
  CHECK(o.find("partOf") == nullptr);

  // The model as a contained Device, which the Observation references
  // (FHIR dom-3; Medplum does not check that one).
  REQUIRE(at(o, "contained").size() == 1);
  const json::value& device = at(o, "contained")[0];
  CHECK(at(device, "resourceType").as_string() == "Device");
  CHECK(at(device, "id").as_string() == device_id);
  REQUIRE(at(device, "deviceName").size() == 1);
  CHECK(at(at(device, "deviceName")[0], "name").as_string() == model);
  CHECK(at(at(device, "deviceName")[0], "type").as_string() == "model-name");
  REQUIRE(at(device, "version").size() == 1);
  CHECK(at(at(device, "version")[0], "value").as_string() == "1.0.0");
  CHECK(at(at(o, "device"), "reference").as_string() == "#" + std::string(device_id));
}

std::string interpretation_of(const json::value& o) {
  const json::value* interpretation = o.find("interpretation");
  if (interpretation == nullptr) return "none";
  REQUIRE(interpretation->size() == 1);
  return coding_of((*interpretation)[0]);
}

constexpr std::string_view critical_abnormal =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation|AA|Critical abnormal";

// Every Observation through Medplum's validator: no issue at all.
void check_valid(const std::vector<results::observation_document>& docs) {
  std::vector<radbridge::test::fhir_resource> resources;
  for (const auto& d : docs) resources.push_back({d.what, d.json});
  const auto issues = radbridge::test::validate_fhir(resources);
  CHECK_MESSAGE(issues.empty(), radbridge::test::to_string(issues));
}

std::string build_error_of(const results::result_input& in) {
  try {
    results::build_observations(in);
  } catch (const results::build_error& e) {
    return e.what();
  }
  return "no build_error";
}

}  // namespace

TEST_CASE("observation: hemorrhage present and critical, with its probability and a small volume") {
  const hl7::message order = parse_order(sample_text());
  const route::route r = ich_route();
  const auto in = input_for(order, r,
                            {model_result("ich_classifier", {probability_finding(true, 0.97)}),
                             model_result("ich_segmenter", {volume_finding(14.25)})},
                            "critical");
  const auto docs = results::build_observations(in);

  REQUIRE(docs.size() == 3);
  CHECK(docs[0].what == ich_label);
  CHECK(docs[1].what == std::string(ich_label) + "/probability");
  CHECK(docs[2].what == volume_label);

  const json::value finding = parsed(docs[0]);
  check_common(finding, docs[0], "ich_classifier", "device-ich-classifier");
  CHECK(member_names(finding) ==
        std::vector<std::string>{"resourceType", "contained", "identifier", "basedOn", "status", "category", "code",
                                 "subject", "effectiveDateTime", "issued", "valueCodeableConcept", "interpretation",
                                 "device", "derivedFrom"});
  CHECK(coding_of(at(finding, "code")) == "http://radelement.org|RDES194|Intracranial hemorrhage");
  CHECK(coding_of(at(finding, "valueCodeableConcept")) == "http://snomed.info/sct|1386000|Intracranial hemorrhage");
  CHECK(interpretation_of(finding) == critical_abnormal);

  const json::value probability = parsed(docs[1]);
  check_common(probability, docs[1], "ich_classifier", "device-ich-classifier");
  CHECK(coding_of(at(probability, "code")) == "urn:radbridge:test|ich-probability|Intracranial hemorrhage probability");
  CHECK(probability.find("valueCodeableConcept") == nullptr);
  const json::value& quantity = at(probability, "valueQuantity");
  CHECK(at(quantity, "value").as_number() == 0.97);
  CHECK(at(quantity, "unit").as_string() == "1");
  CHECK(at(quantity, "system").as_string() == "http://unitsofmeasure.org");
  CHECK(at(quantity, "code").as_string() == "1");
  CHECK(interpretation_of(probability) == "none");

  // 14.25 mL is below the critical volume (30): the job is critical through
  // the hemorrhage, not through this value.
  const json::value small_volume = parsed(docs[2]);
  check_common(small_volume, docs[2], "ich_segmenter", "device-ich-segmenter");
  CHECK(coding_of(at(small_volume, "code")) == "urn:radbridge:test|ich-volume|Intracranial hemorrhage volume");
  CHECK(at(at(small_volume, "valueQuantity"), "value").as_number() == 14.25);
  CHECK(at(at(small_volume, "valueQuantity"), "unit").as_string() == "mL");
  CHECK(at(at(small_volume, "valueQuantity"), "code").as_string() == "mL");
  CHECK(interpretation_of(small_volume) == "none");

  check_valid(docs);
}

TEST_CASE("observation: hemorrhage absent is coded Negative and never critical") {
  const hl7::message order = parse_order(sample_text());
  const route::route r = ich_route();
  const auto routine = input_for(order, r, {model_result("ich_classifier", {probability_finding(false, 0.03)})}, "routine");
  const auto docs = results::build_observations(routine);

  REQUIRE(docs.size() == 2);
  const json::value finding = parsed(docs[0]);
  check_common(finding, docs[0], "ich_classifier", "device-ich-classifier");
  CHECK(coding_of(at(finding, "valueCodeableConcept")) == "http://snomed.info/sct|260385009|Negative");
  CHECK(interpretation_of(finding) == "none");
  CHECK(at(at(parsed(docs[1]), "valueQuantity"), "value").as_number() == 0.03);
  check_valid(docs);

  // Even in a job that is critical (through another finding, or a trigger
  // set below the model's own threshold), an absent finding is not abnormal.
  const auto critical = input_for(order, r, {model_result("ich_classifier", {probability_finding(false, 0.6)})}, "critical");
  CHECK(interpretation_of(parsed(results::build_observations(critical)[0])) == "none");
  // Present, but the job is only urgent: no critical interpretation either.
  const auto urgent = input_for(order, r, {model_result("ich_classifier", {probability_finding(true, 0.3)})}, "urgent");
  CHECK(interpretation_of(parsed(results::build_observations(urgent)[0])) == "none");
}

TEST_CASE("observation: a volume at the critical threshold is critical abnormal; without a probability code, one Observation") {
  const hl7::message order = parse_order(sample_text());
  route::route r = ich_route();
  r.findings[0].probability.reset();
  const auto in = input_for(order, r,
                            {model_result("ich_classifier", {probability_finding(true, 0.1)}),
                             model_result("ich_segmenter", {volume_finding(30)})},
                            "critical");
  const auto docs = results::build_observations(in);

  REQUIRE(docs.size() == 2);
  CHECK(docs[0].what == ich_label);
  CHECK(docs[1].what == volume_label);
  // The hemorrhage is present, but 0.1 held no critical trigger.
  CHECK(interpretation_of(parsed(docs[0])) == "none");
  const json::value large_volume = parsed(docs[1]);
  check_common(large_volume, docs[1], "ich_segmenter", "device-ich-segmenter");
  CHECK(member_names(large_volume) ==
        std::vector<std::string>{"resourceType", "contained", "identifier", "basedOn", "status", "category", "code",
                                 "subject", "effectiveDateTime", "issued", "valueQuantity", "interpretation",
                                 "device", "derivedFrom"});
  CHECK(at(at(large_volume, "valueQuantity"), "value").as_number() == 30);
  CHECK(interpretation_of(large_volume) == critical_abnormal);
  check_valid(docs);
}

TEST_CASE("observation: the same input builds the same bytes; identifiers differ per job and finding") {
  const hl7::message order = parse_order(sample_text());
  const route::route r = ich_route();
  const auto in = input_for(order, r,
                            {model_result("ich_classifier", {probability_finding(true, 0.97)}),
                             model_result("ich_segmenter", {volume_finding(14.25)})},
                            "critical");
  const auto first = results::build_observations(in);
  const auto second = results::build_observations(in);
  REQUIRE(first.size() == second.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i].what == second[i].what);
    CHECK(first[i].identifier == second[i].identifier);
    CHECK(first[i].json == second[i].json);
  }
  CHECK(first[0].identifier != first[1].identifier);
  CHECK(first[1].identifier != first[2].identifier);

  auto other_job = in;
  other_job.job_key = "another job";
  CHECK(results::build_observations(other_job)[0].identifier == results::fhir_identifier_value("another job", ich_label));
  CHECK(results::build_observations(other_job)[0].identifier != first[0].identifier);
}

TEST_CASE("observation: the order's time, patient and accession, as the order and route give them") {
  const std::string sample = sample_text();
  route::route r = ich_route();
  const std::vector<infer::inference_result> findings{model_result("ich_classifier", {probability_finding(true, 0.97)})};

  SUBCASE("OBR-7 with an offset wins over OBR-6") {
    const hl7::message order = parse_order(with_segment(
        sample, "OBR",
        "OBR|1|ORD900001^EPIC|ACC2024031200101^RIS|CTHEADWO^CT HEAD WITHOUT CONTRAST^L|S|20240312142800|"
        "20240312143512-0500|||||||||||ACC2024031200101"));
    const auto docs = results::build_observations(input_for(order, r, findings, "critical"));
    CHECK(at(parsed(docs[0]), "effectiveDateTime").as_string() == "2024-03-12T14:35:12-05:00");
    check_valid(docs);
  }
  SUBCASE("no OBR-6 or OBR-7: MSH-7") {
    const hl7::message order = parse_order(
        with_segment(sample, "OBR", "OBR|1|ORD900001^EPIC|ACC2024031200101^RIS|CTHEADWO^CT HEAD WITHOUT CONTRAST^L"));
    const auto docs = results::build_observations(input_for(order, r, findings, "critical"));
    const json::value o = parsed(docs[0]);
    CHECK(at(o, "effectiveDateTime").as_string() == "2024-03-12");
    // No OBR-18: the accession comes from OBR-3.1.
    CHECK(at(at(at(o, "basedOn")[0], "identifier"), "value").as_string() == "ACC2024031200101");
  }
  SUBCASE("the patient identifier of the route's assigner, or the first when it names none") {
    const hl7::message order = parse_order(sample);
    r.patient.assigner = "SSA";
    const json::value by_ssa = parsed(results::build_observations(input_for(order, r, findings, "critical"))[0]);
    CHECK(at(at(at(by_ssa, "subject"), "identifier"), "value").as_string() == "999-00-1001");
    r.patient.assigner.clear();
    const json::value first = parsed(results::build_observations(input_for(order, r, findings, "critical"))[0]);
    CHECK(at(at(at(first, "subject"), "identifier"), "value").as_string() == "MRN100001");
  }
  SUBCASE("no accession anywhere: no basedOn") {
    const hl7::message order = parse_order(with_segment(sample, "OBR", "OBR|1|ORD900001^EPIC||CTHEADWO^CT HEAD^L"));
    const auto docs = results::build_observations(input_for(order, r, findings, "critical"));
    CHECK(parsed(docs[0]).find("basedOn") == nullptr);
    check_valid(docs);
  }
  SUBCASE("a model id with characters a FHIR id does not allow") {
    const hl7::message order = parse_order(sample);
    auto in = input_for(order, r, findings, "critical");
    in.results[0].model_id = "ich classifier/v1_beta";
    const auto docs = results::build_observations(in);
    const json::value o = parsed(docs[0]);
    CHECK(at(at(o, "contained")[0], "id").as_string() == "device-ich-classifier-v1-beta");
    CHECK(at(at(at(o, "contained")[0], "deviceName")[0], "name").as_string() == "ich classifier/v1_beta");
    CHECK(at(at(o, "device"), "reference").as_string() == "#device-ich-classifier-v1-beta");
    check_valid(docs);
  }
}

TEST_CASE("observation: input that cannot make a correct Observation is a build_error with a clear message") {
  const std::string sample = sample_text();
  const hl7::message order = parse_order(sample);
  const route::route r = ich_route();
  const std::vector<infer::inference_result> findings{model_result("ich_classifier", {probability_finding(true, 0.97)})};
  auto in = input_for(order, r, findings, "critical");

  SUBCASE("no route, no order") {
    in.route = nullptr;
    CHECK(build_error_of(in) == "no route in the result input");
    in.route = &r;
    in.order = nullptr;
    CHECK(build_error_of(in) == "no order in the result input");
  }
  SUBCASE("no patient identifier system in the route") {
    route::route no_system = r;
    no_system.patient.system.clear();
    in.route = &no_system;
    CHECK(build_error_of(in) == "route ct-head-ich has no patient identifier system");
  }
  SUBCASE("no PID-3, or none of the route's assigner") {
    const hl7::message no_pid3 = parse_order(with_segment(sample, "PID", "PID|1||||TESTPATIENT^ALPHA^Q"));
    in.order = &no_pid3;
    CHECK(build_error_of(in) == "the order has no PID-3 identifier assigned by GENHOSP");
    route::route any_assigner = r;
    any_assigner.patient.assigner.clear();
    in.route = &any_assigner;
    CHECK(build_error_of(in) == "the order has no PID-3 identifier");
    in.order = &order;
    route::route other_assigner = r;
    other_assigner.patient.assigner = "OTHERHOSP";
    in.route = &other_assigner;
    CHECK(build_error_of(in) == "the order has no PID-3 identifier assigned by OTHERHOSP");
  }
  SUBCASE("a malformed timestamp, or none") {
    const hl7::message bad_time = parse_order(
        with_segment(sample, "OBR", "OBR|1|ORD900001^EPIC|ACC2024031200101^RIS|CTHEADWO^CT HEAD^L|S|20241312142800"));
    in.order = &bad_time;
    CHECK(build_error_of(in) == "OBR-6.1: not an HL7 timestamp: \"20241312142800\"");
    const hl7::message no_time = parse_order(
        with_segment(with_segment(sample, "OBR", "OBR|1|ORD900001^EPIC|ACC2024031200101^RIS|CTHEADWO^CT HEAD^L"), "MSH",
                     "MSH|^~\\&|EPIC|GENHOSP|RIS|GENHOSP_RAD|||ORM^O01|EPC20240312142815001|P|2.3.1"));
    in.order = &no_time;
    CHECK(build_error_of(in) == "the order has no OBR-7, OBR-6 or MSH-7 timestamp");
  }
  SUBCASE("a finding the route does not map, or maps without what it needs") {
    in.results[0].findings.push_back({"midline_shift", "Midline shift", std::nullopt, std::nullopt, 4.0, "mm"});
    CHECK(build_error_of(in) == "finding \"midline_shift\" of model ich_classifier is not mapped by route ct-head-ich");

    route::route no_absent = r;
    no_absent.findings[0].absent.reset();
    in = input_for(order, no_absent, {model_result("ich_classifier", {probability_finding(false, 0.1)})}, "routine");
    CHECK(build_error_of(in) == "finding \"intracranial_hemorrhage\": route ct-head-ich maps no absent concept");

    route::route no_unit = r;
    no_unit.findings[1].ucum.clear();
    in = input_for(order, no_unit, {model_result("ich_segmenter", {volume_finding(3)})}, "routine");
    CHECK(build_error_of(in) == "finding \"hemorrhage_volume\": route ct-head-ich maps no UCUM unit");

    in = input_for(order, r, {model_result("ich_segmenter", {volume_finding(3)})}, "routine");
    in.results[0].findings[0].unit = "mm3";
    CHECK(build_error_of(in) ==
          "finding \"hemorrhage_volume\": the model's unit \"mm3\" is not the mapped unit \"mL\"");
  }
  SUBCASE("a finding with neither present nor value, or numbers out of range") {
    in.results[0].findings[0].present.reset();
    CHECK(build_error_of(in) == "finding \"intracranial_hemorrhage\" of model ich_classifier has neither present nor value");
    in.results[0].findings[0] = probability_finding(true, 1.5);
    CHECK(build_error_of(in) == "finding \"intracranial_hemorrhage\": probability 1.5 is not within 0..1");
    in.results[0].findings[0] = probability_finding(true, std::numeric_limits<double>::quiet_NaN());
    CHECK(build_error_of(in) == "finding \"intracranial_hemorrhage\": probability nan is not within 0..1");
    in.results[0].findings[0] = volume_finding(std::numeric_limits<double>::infinity());
    CHECK(build_error_of(in) == "finding \"hemorrhage_volume\": value inf is not a finite number");
  }
  SUBCASE("a study UID that is not a DICOM UID") {
    in.results[0].study_uid = "1.2.03";
    CHECK(build_error_of(in) == "model ich_classifier: \"1.2.03\" is not a DICOM Study Instance UID");
    in.results[0].study_uid.clear();
    CHECK(build_error_of(in) == "model ich_classifier: \"\" is not a DICOM Study Instance UID");
  }
}
