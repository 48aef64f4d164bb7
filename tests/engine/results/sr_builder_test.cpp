// results/sr_builder: the DICOM SR of AI findings, built from a synthetic CT
// series (models/train/synth_ct.py), checked by the real tools (dicom3tools'
// dciodvfy, DCMTK's dsrdump and dcmdump), stored in a real Orthanc over
// STOW-RS and read back over QIDO-RS and WADO-RS.
#include "results/sr_builder.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "deliver/stow_client.hpp"
#include "fetch/dicomweb_client.hpp"
#include "fetch/folder_source.hpp"
#include "fetch/series_headers.hpp"
#include "results/build_error.hpp"
#include "results/output_ids.hpp"
#include "support/orthanc_server.hpp"
#include "support/process.hpp"
#include "support/synthetic_studies.hpp"

namespace {

namespace fs = std::filesystem;
namespace results = radbridge::results;
namespace route = radbridge::route;
namespace infer = radbridge::infer;
namespace fetch = radbridge::fetch;
namespace deliver = radbridge::deliver;
namespace test = radbridge::test;
using namespace std::chrono_literals;

constexpr const char* dciodvfy = "/usr/bin/dciodvfy";
constexpr const char* dsrdump = "/usr/bin/dsrdump";
constexpr const char* dcmdump = "/usr/bin/dcmdump";

// Runs a tool to the end; a missing tool fails the test, naming the package.
test::captured run_tool(std::vector<std::string> argv) {
  if (!fs::exists(argv.front()))
    FAIL(argv.front() << " is missing: run scripts/install-deps (packages dicom3tools and dcmtk)");
  return test::run_captured(std::move(argv), {}, "", 60s);
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::size_t occurrences(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

route::coded_concept coded(std::string system, std::string hl7_system, std::string code, std::string display) {
  return {std::move(system), std::move(hl7_system), std::move(code), std::move(display)};
}

// The route of a CT head hemorrhage workflow, coded as an analyst would.
route::route sr_route() {
  route::route r;
  r.name = "ct-head-ich";
  r.models = {"ich_classifier", "ich_segmentation"};
  route::finding_mapping ich;
  ich.label = "intracranial_hemorrhage";
  ich.observation = coded("http://radelement.org", "RADELEMENT", "RDES194", "Intracranial hemorrhage");
  ich.present = coded("http://snomed.info/sct", "SCT", "1386000", "Intracranial hemorrhage");
  ich.absent = coded("http://snomed.info/sct", "SCT", "260385009", "Negative");
  // No standard code exists for the model's probability: a local one.
  ich.probability = coded("urn:radbridge:codes", "99RADBRIDGE", "ich-probability", "ICH probability");
  route::finding_mapping volume;
  volume.label = "hemorrhage_volume";
  volume.observation = coded("http://snomed.info/sct", "SCT", "118565006", "Volume");
  volume.ucum = "mL";
  r.findings = {ich, volume};
  return r;
}

const results::source_series& study_series() {
  static const results::source_series series = [] {
    const fetch::folder_source source(test::shared_study().series);
    const auto study = source.study_uids().at(0);
    return fetch::read_series_headers(source.read_series(source.list_series(study).at(0).identity.series_uid));
  }();
  return series;
}

const std::chrono::system_clock::time_point sr_issued =
    std::chrono::sys_days{std::chrono::year{2024} / 7 / 6} + 4h + 5min + 6s;

struct case_input {
  route::route r = sr_route();
  results::result_input input;

  // A positive case: hemorrhage present at 0.97, 12.5 mL; or negative: absent at 0.03, 0 mL.
  explicit case_input(bool positive) {
    const auto& s = study_series();
    input.route = &r;
    input.series = s;
    input.job_key = "route=ct-head-ich;study=" + s.study_uid + ";models=ich_classifier@1.0.0,ich_segmentation@1.0.0";
    input.issued = sr_issued;
    input.engine_version = "0.1.0";
    input.acuity = positive ? "critical" : "routine";
    infer::inference_result classifier;
    classifier.model_id = "ich_classifier";
    classifier.version = "1.0.0";
    classifier.study_uid = s.study_uid;
    classifier.series_uid = s.series_uid;
    infer::finding ich;
    ich.label = "intracranial_hemorrhage";
    ich.display = "Intracranial hemorrhage";
    ich.present = positive;
    ich.probability = positive ? 0.97 : 0.03;
    classifier.findings = {ich};
    infer::inference_result segmentation;
    segmentation.model_id = "ich_segmentation";
    segmentation.version = "1.0.0";
    segmentation.study_uid = s.study_uid;
    segmentation.series_uid = s.series_uid;
    infer::finding volume;
    volume.label = "hemorrhage_volume";
    volume.display = "Hemorrhage volume";
    volume.value = positive ? 12.5 : 0.0;
    volume.unit = "mL";
    segmentation.findings = {volume};
    input.results = {classifier, segmentation};
  }
};

// The SR in a file, and what the tools say about it.
struct checked_sr {
  test::temp_folder folder{"radbridge-sr"};
  fs::path file = folder.path() / "sr.dcm";
  test::captured verify, tree, dump;

  explicit checked_sr(const std::string& bytes) {
    std::ofstream(file, std::ios::binary) << bytes;
    verify = run_tool({dciodvfy, file.string()});
    tree = run_tool({dsrdump, "+Pc", "+Pu", "+Pt", file.string()});
    dump = run_tool({dcmdump, file.string()});
  }
  std::string verify_output() const { return verify.out + verify.err; }
  std::vector<std::string> errors() const { return lines_starting(verify_output(), "Error"); }
  std::vector<std::string> warnings() const { return lines_starting(verify_output(), "Warning"); }
};

// dsrdump's line for a measurement group's two tracking items.
std::string tracking_lines(const std::string& job_key, const std::string& label) {
  return "      <has obs context TEXT:(112039,DCM,\"Tracking Identifier\")=\"" + label + "\">\n"
         "      <has obs context UIDREF:(112040,DCM,\"Tracking Unique Identifier\")=\"" +
         results::derived_uid(job_key, "sr-tracking/" + label) + "\">\n";
}

std::string algorithm_lines(const std::string& model) {
  return "        <has concept mod TEXT:(111001,DCM,\"Algorithm Name\")=\"" + model + "\">\n"
         "        <has concept mod TEXT:(111003,DCM,\"Algorithm Version\")=\"1.0.0\">\n";
}

// The whole content tree as dsrdump +Pc +Pu +Pt prints it.
std::string expected_tree(const results::result_input& input, const std::string& measurements) {
  std::string t =
      "<CONTAINER:(126000,DCM,\"Imaging Measurement Report\")=SEPARATE>  # TID 1500 (DCMR)\n"
      "  <has concept mod CODE:(121049,DCM,\"Language of Content Item and Descendants\")=(eng,RFC5646,\"English\")>\n"
      "  <has obs context CODE:(121005,DCM,\"Observer Type\")=(121007,DCM,\"Device\")>\n"
      "  <has obs context UIDREF:(121012,DCM,\"Device Observer UID\")=\"" +
      results::derived_uid("radbridge", "device-observer") +
      "\">\n"
      "  <has obs context TEXT:(121013,DCM,\"Device Observer Name\")=\"radbridge\">\n"
      "  <has obs context TEXT:(121014,DCM,\"Device Observer Manufacturer\")=\"radbridge\">\n"
      "  <has obs context TEXT:(121015,DCM,\"Device Observer Model Name\")=\"radbridge\">\n"
      "  <has concept mod CODE:(121058,DCM,\"Procedure reported\")=(25045-6,LN,\"CT unspecified body region\")>\n"
      "  <contains CONTAINER:(111028,DCM,\"Image Library\")=SEPARATE>\n"
      "    <contains CONTAINER:(126200,DCM,\"Image Library Group\")=SEPARATE>\n";
  for (const auto& i : input.series->instances)
    t += "      <contains IMAGE:=(CT image,\"" + i.sop_instance_uid + "\")>\n";
  t += "  <contains CONTAINER:(126010,DCM,\"Imaging Measurements\")=SEPARATE>\n" + measurements;
  return t;
}

// The two measurement groups of case_input.
std::string expected_measurements(const std::string& job_key, bool positive) {
  return "    <contains CONTAINER:(125007,DCM,\"Measurement Group\")=SEPARATE>\n" +
         tracking_lines(job_key, "intracranial_hemorrhage") +
         "      <contains CODE:(121071,DCM,\"Finding\")=(RDES194,RADELEMENT,\"Intracranial hemorrhage\")>\n"
         "      <contains NUM:(ich-probability,99RADBRIDGE,\"ICH probability\")=\"" +
         (positive ? "0.97" : "0.03") + "\" (1,UCUM,\"no units\")>\n" + algorithm_lines("ich_classifier") +
         "      <contains CODE:(RDES194,RADELEMENT,\"Intracranial hemorrhage\")=" +
         (positive ? "(1386000,SCT,\"Intracranial hemorrhage\")" : "(260385009,SCT,\"Negative\")") + ">\n" +
         algorithm_lines("ich_classifier") +
         "    <contains CONTAINER:(125007,DCM,\"Measurement Group\")=SEPARATE>\n" +
         tracking_lines(job_key, "hemorrhage_volume") + "      <contains NUM:(118565006,SCT,\"Volume\")=\"" +
         (positive ? "12.5" : "0") + "\" (mL,UCUM,\"mL\")>\n" + algorithm_lines("ich_segmentation");
}

// What dsrdump prints from the content tree's root on (the header block above it is left out).
std::string tree_of(const std::string& dsrdump_output) {
  const auto at = dsrdump_output.find("<CONTAINER:");
  if (at == std::string::npos) return {};
  std::string tree = dsrdump_output.substr(at);
  while (!tree.empty() && tree.back() == '\n') tree.pop_back();
  return tree + "\n";
}

// The only warning dciodvfy gives: the test route's probability code is a
// local one, whose designator (99RADBRIDGE) no dictionary knows.
const std::vector<std::string> allowed_warnings{
    "Warning - Unrecognized defined term <99RADBRIDGE> for value 1 of attribute <Coding Scheme Designator>"};

// `dsrdump_stderr`: what dsrdump may say on stderr (nothing, unless a test says why).
void check_tool_verdicts(const checked_sr& sr, const std::string& dsrdump_stderr = "") {
  CHECK_MESSAGE(sr.errors().empty(), "dciodvfy errors:\n" << joined(sr.errors()));
  for (const auto& w : sr.warnings())
    CHECK_MESSAGE(std::find(allowed_warnings.begin(), allowed_warnings.end(), w) != allowed_warnings.end(),
                  "unexpected dciodvfy warning: " << w);
  CHECK(lines_starting(sr.verify_output(), "EnhancedSR").size() == 1);  // dciodvfy recognised the IOD
  CHECK(sr.verify.status == 0);                                         // 1 when it finds errors
  CHECK(sr.tree.status == 0);
  CHECK_MESSAGE(sr.tree.err == dsrdump_stderr, "dsrdump complained:\n" << sr.tree.err);
  CHECK(sr.dump.status == 0);
}

// One attribute line of dcmdump, e.g. attribute(dump, "(0008,0060)") == "(0008,0060) CS [SR]".
std::string attribute(const std::string& dump, const std::string& tag) {
  const auto at = dump.find("\n" + tag);
  if (at == std::string::npos) return {};
  const std::string line = dump.substr(at + 1, dump.find('\n', at + 1) - at - 1);
  return line.substr(0, line.find(" #"));
}

std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string sr_build_error_of(const results::result_input& input) {
  try {
    results::build_sr(input);
  } catch (const results::build_error& e) {
    return e.what();
  }
  FAIL("build_sr did not throw build_error");
  return {};
}

}  // namespace

TEST_CASE("sr: a positive finding is a valid Enhanced SR holding TID 1500 with every finding coded") {
  case_input c(true);
  const std::string bytes = results::build_sr(c.input);
  REQUIRE(bytes.size() > 132);
  CHECK(bytes.substr(128, 4) == "DICM");
  const checked_sr sr(bytes);
  check_tool_verdicts(sr);
  MESSAGE("dciodvfy says:\n" << sr.verify_output());
  CHECK(tree_of(sr.tree.out) == expected_tree(c.input, expected_measurements(c.input.job_key, true)));

  // The document header, as dsrdump reads it.
  CHECK(contains(sr.tree.out, "Enhanced SR Document"));
  CHECK(contains(sr.tree.out, "Patient             : SYNTHETIC^CASE0 (M, "));
  CHECK(contains(sr.tree.out, "#SYNP-7-0)"));
  CHECK(contains(sr.tree.out, "Preliminary Flag    : PRELIMINARY"));
  CHECK(contains(sr.tree.out, "Completion Flag     : COMPLETE"));
  CHECK(contains(sr.tree.out, "Verification Flag   : UNVERIFIED"));
  CHECK(contains(sr.tree.out, "Content Date/Time   : 2024-07-06 04:05:06"));

  // The modules around it, as dcmdump reads them.
  const auto& s = *c.input.series;
  const std::string& d = sr.dump.out;
  CHECK(trimmed(attribute(d, "(0002,0010)")) == "(0002,0010) UI =LittleEndianExplicit");
  CHECK(trimmed(attribute(d, "(0008,0016)")) == "(0008,0016) UI =EnhancedSRStorage");
  CHECK(attribute(d, "(0008,0018)") == "(0008,0018) UI [" + results::derived_uid(c.input.job_key, "sr-instance") + "]");
  CHECK(attribute(d, "(0002,0003)") == "(0002,0003) UI [" + results::derived_uid(c.input.job_key, "sr-instance") + "]");
  CHECK(attribute(d, "(0020,000e)") == "(0020,000e) UI [" + results::derived_uid(c.input.job_key, "sr-series") + "]");
  CHECK(attribute(d, "(0020,000d)") == "(0020,000d) UI [" + s.study_uid + "]");
  CHECK(trimmed(attribute(d, "(0008,0060)")) == "(0008,0060) CS [SR]");
  CHECK(trimmed(attribute(d, "(0020,0011)")) == "(0020,0011) IS [999]");
  CHECK(trimmed(attribute(d, "(0020,0013)")) == "(0020,0013) IS [1]");
  CHECK(trimmed(attribute(d, "(0008,0023)")) == "(0008,0023) DA [20240706]");
  CHECK(trimmed(attribute(d, "(0008,0033)")) == "(0008,0033) TM [040506]");
  CHECK(trimmed(attribute(d, "(0008,0012)")) == "(0008,0012) DA [20240706]");
  CHECK(trimmed(attribute(d, "(0008,0013)")) == "(0008,0013) TM [040506]");
  CHECK(trimmed(attribute(d, "(0008,0201)")) == "(0008,0201) SH [+0000]");
  CHECK(trimmed(attribute(d, "(0008,0070)")) == "(0008,0070) LO [radbridge]");
  CHECK(trimmed(attribute(d, "(0018,1020)")) == "(0018,1020) LO [0.1.0]");
  CHECK(trimmed(attribute(d, "(0010,0010)")) == "(0010,0010) PN [SYNTHETIC^CASE0]");
  CHECK(trimmed(attribute(d, "(0010,0020)")) == "(0010,0020) LO [SYNP-7-0]");
  CHECK(trimmed(attribute(d, "(0010,0030)")) == "(0010,0030) DA [" + s.patient_birth_date + "]");
  CHECK(trimmed(attribute(d, "(0010,0040)")) == "(0010,0040) CS [" + s.patient_sex + "]");
  CHECK(trimmed(attribute(d, "(0008,0020)")) == "(0008,0020) DA [" + s.study_date + "]");
  CHECK(trimmed(attribute(d, "(0008,0030)")) == "(0008,0030) TM [" + s.study_time + "]");
  CHECK(trimmed(attribute(d, "(0008,0050)")) == "(0008,0050) SH [SYN7N0]");
  CHECK(trimmed(attribute(d, "(0020,0010)")) == "(0020,0010) SH [S0]");
  CHECK(trimmed(attribute(d, "(0040,a491)")) == "(0040,a491) CS [COMPLETE]");
  CHECK(trimmed(attribute(d, "(0040,a493)")) == "(0040,a493) CS [UNVERIFIED]");
  CHECK(trimmed(attribute(d, "(0040,a496)")) == "(0040,a496) CS [PRELIMINARY]");
  CHECK(attribute(d, "(0008,0005)").empty());  // all ASCII: no SpecificCharacterSet
  CHECK(attribute(d, "(0040,a370)").empty());  // no Referenced Request: the SR does not fulfil the order
  // The probability and the volume also as exact binary doubles (FloatingPointValue).
  CHECK(contains(d, "(0040,a161) FD 0.96999999999999993"));
  CHECK(contains(d, "(0040,a161) FD 12.5 "));

  // CurrentRequestedProcedureEvidenceSequence lists every image the content references.
  const auto evidence = test::run_captured(
      {dcmdump, "+P", "0040,a375.0008,1115.0008,1199.0008,1155", sr.file.string()}, {}, "", 30s);
  REQUIRE(evidence.status == 0);
  CHECK(occurrences(evidence.out, "(0008,1155) UI [") == s.instances.size());
  for (const auto& i : s.instances) CHECK(contains(evidence.out, "(0008,1155) UI [" + i.sop_instance_uid + "]"));
  CHECK(contains(sr.dump.out, "(0020,000e) UI [" + s.series_uid + "]"));  // the referenced series, inside the evidence
}

TEST_CASE("sr: a negative finding is coded absent, with its probability and a zero volume") {
  case_input c(false);
  const checked_sr sr(results::build_sr(c.input));
  check_tool_verdicts(sr);
  CHECK(tree_of(sr.tree.out) == expected_tree(c.input, expected_measurements(c.input.job_key, false)));
}

TEST_CASE("sr: the same input builds the same bytes; another job gets other UIDs") {
  case_input c(true);
  const std::string first = results::build_sr(c.input);
  CHECK(results::build_sr(c.input) == first);
  case_input copy(true);  // built separately, equal in value
  CHECK(results::build_sr(copy.input) == first);

  case_input other(true);
  other.input.job_key += ";retry-with-other-models";
  const std::string second = results::build_sr(other.input);
  CHECK(second != first);
  CHECK(contains(second, results::derived_uid(other.input.job_key, "sr-instance")));
  CHECK(contains(second, results::derived_uid(other.input.job_key, "sr-series")));
  CHECK_FALSE(contains(second, results::derived_uid(c.input.job_key, "sr-instance")));

  case_input later(true);
  later.input.issued += 1h;
  const checked_sr sr(results::build_sr(later.input));
  CHECK(contains(sr.tree.out, "Content Date/Time   : 2024-07-06 05:05:06"));
}

TEST_CASE("sr: several threads build at once, each the same bytes as one thread alone") {
  case_input c(true);
  const std::string expected = results::build_sr(c.input);
  std::vector<std::string> built(4);
  {
    std::vector<std::thread> threads;
    for (auto& b : built)
      threads.emplace_back([&b, &c] {
        for (int i = 0; i < 10; ++i) b = results::build_sr(c.input);
      });
    for (auto& t : threads) t.join();
  }
  for (const auto& b : built) CHECK(b == expected);
}

TEST_CASE("sr: CompletionFlag is PARTIAL when a model of the route has no result") {
  case_input c(true);
  c.input.results.pop_back();  // the segmentation model gave nothing
  const checked_sr sr(results::build_sr(c.input));
  check_tool_verdicts(sr);
  CHECK(trimmed(attribute(sr.dump.out, "(0040,a491)")) == "(0040,a491) CS [PARTIAL]");
  CHECK(contains(sr.tree.out, "Completion Flag     : PARTIAL"));
  CHECK_FALSE(contains(sr.tree.out, "Volume"));
}

TEST_CASE("sr: coding schemes: a known FHIR system decides the DICOM designator, else the HL7 mnemonic") {
  case_input c(true);
  c.r.findings[0].observation.hl7_system = "RDE";  // a site's own mnemonic for RadElement
  c.r.findings[0].probability.reset();             // no probability code: no probability NUM
  const checked_sr sr(results::build_sr(c.input));
  check_tool_verdicts(sr);
  CHECK(contains(sr.tree.out, "<contains CODE:(121071,DCM,\"Finding\")=(RDES194,RADELEMENT,\"Intracranial hemorrhage\")>"));
  CHECK_FALSE(contains(sr.tree.out, "RDE,"));
  CHECK_FALSE(contains(sr.tree.out, "ICH probability"));
  CHECK(sr.warnings().empty());  // no local designator left
}

TEST_CASE("sr: names that are not ASCII are written as UTF-8 (ISO_IR 192)") {
  case_input c(true);
  c.input.series->patient_name = "M\xc3\xbcller^J\xc3\xbcrgen";
  const checked_sr sr(results::build_sr(c.input));
  // DCMTK 3.6.7's VR checker cannot check UTF-8 strings; it says so and reads on.
  check_tool_verdicts(sr, "W: The VR checker does not support this Specific Character Set: ISO_IR 192\n");
  CHECK(trimmed(attribute(sr.dump.out, "(0008,0005)")) == "(0008,0005) CS [ISO_IR 192]");
  CHECK(contains(sr.dump.out, "(0010,0010) PN [M\xc3\xbcller^J\xc3\xbcrgen]"));
}

TEST_CASE("sr: stored in a real Orthanc over STOW-RS, found in its study by QIDO-RS, read back by WADO-RS") {
  const auto& s = study_series();
  test::orthanc_server& pacs = test::shared_orthanc();
  pacs.upload(test::shared_study().series);
  fetch::dicomweb_settings settings;
  settings.base_url = pacs.dicomweb_url();
  const fetch::dicomweb_client client(settings);
  deliver::stow_settings stow;
  stow.base_url = pacs.dicomweb_url();
  const deliver::stow_client stow_client(stow);

  case_input c(true);
  const std::string sr = results::build_sr(c.input);
  const std::string sr_series = results::derived_uid(c.input.job_key, "sr-series");
  const std::string sr_instance = results::derived_uid(c.input.job_key, "sr-instance");
  const auto stored = stow_client.store({sr}, s.study_uid);
  REQUIRE(stored.stored.size() == 1);
  CHECK(stored.stored[0].sop_instance_uid == sr_instance);
  CHECK(stored.stored[0].sop_class_uid == "1.2.840.10008.5.1.4.1.1.88.22");

  const auto series = client.list_series(s.study_uid);
  REQUIRE(series.size() == 2);  // the CT series (number 2) and the SR (999)
  CHECK(series[0].identity.series_uid == s.series_uid);
  CHECK(series[1].identity.series_uid == sr_series);
  CHECK(series[1].identity.modality == "SR");
  CHECK(series[1].series_number == 999);
  CHECK(series[1].instances == 1);

  const auto retrieved = client.retrieve_series(s.study_uid, sr_series);
  REQUIRE(retrieved.size() == 1);
  CHECK(retrieved[0] == sr);  // byte for byte
  const checked_sr back(retrieved[0]);
  CHECK(trimmed(attribute(back.dump.out, "(0008,0018)")) == "(0008,0018) UI [" + sr_instance + "]");
  CHECK(tree_of(back.tree.out) == expected_tree(c.input, expected_measurements(c.input.job_key, true)));

  // A rebuilt SR is the same instance: a resend leaves one SR in the study.
  CHECK(stow_client.store({results::build_sr(c.input)}, s.study_uid).stored.size() == 1);
  CHECK(client.retrieve_series(s.study_uid, sr_series).size() == 1);
}

TEST_CASE("sr: input that cannot make a correct SR is a build_error naming what is wrong") {
  case_input c(true);
  SUBCASE("no series") {
    c.input.series.reset();
    CHECK(sr_build_error_of(c.input) ==
          "no source series in the result input: the SR needs the analysed series' DICOM headers");
  }
  SUBCASE("no route") {
    c.input.route = nullptr;
    CHECK(sr_build_error_of(c.input) == "no route in the result input");
  }
  SUBCASE("a series without instances") {
    c.input.series->instances.clear();
    CHECK(sr_build_error_of(c.input) == "source series: no instances to reference");
  }
  SUBCASE("a UID that is not a UID") {
    c.input.series->instances[1].sop_instance_uid = "1.2.abc";
    CHECK(sr_build_error_of(c.input) == "source series: SOPInstanceUID: \"1.2.abc\" is not a DICOM UID");
  }
  SUBCASE("no results") {
    c.input.results.clear();
    CHECK(sr_build_error_of(c.input) == "no model results to report");
  }
  SUBCASE("a result about another study") {
    c.input.results[1].study_uid = "2.25.1";
    CHECK(sr_build_error_of(c.input) ==
          "model ich_segmentation: its study 2.25.1 is not the source series' study " + c.input.series->study_uid);
  }
  SUBCASE("a finding the route does not map") {
    c.input.results[0].findings[0].label = "midline_shift";
    CHECK(sr_build_error_of(c.input) == "finding \"midline_shift\" of model ich_classifier is not mapped by route ct-head-ich");
  }
  SUBCASE("a negative finding whose route maps no absent concept") {
    case_input negative(false);
    negative.r.findings[0].absent.reset();
    CHECK(sr_build_error_of(negative.input) ==
          "finding \"intracranial_hemorrhage\": route ct-head-ich maps no absent concept");
  }
  SUBCASE("a probability outside 0..1") {
    c.input.results[0].findings[0].probability = 1.5;
    CHECK(sr_build_error_of(c.input) == "finding \"intracranial_hemorrhage\": probability 1.5 is not within 0..1");
  }
  SUBCASE("a unit other than the mapped one") {
    c.input.results[1].findings[0].unit = "mm3";
    CHECK(sr_build_error_of(c.input) ==
          "finding \"hemorrhage_volume\": the model's unit \"mm3\" is not the mapped unit \"mL\"");
  }
  SUBCASE("a finding with neither present nor value") {
    c.input.results[1].findings[0].value.reset();
    CHECK(sr_build_error_of(c.input) == "finding \"hemorrhage_volume\" of model ich_segmentation has neither present nor value");
  }
}
