// Mapping files: the shipped mappings read cleanly, the broken sample and
// each kind of mistake give their exact file:line:col problem.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "infer/model_registry.hpp"
#include "route/mapping_loader.hpp"
#include "support.hpp"
#include "support/process.hpp"

// Problem lists print one per line when a check fails.
namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& lines) {
    std::string out = "\n";
    for (const std::string& l : lines) out += "  " + l + "\n";
    return out.c_str();
  }
};
}  // namespace doctest

namespace route = radbridge::route;
namespace infer = radbridge::infer;
namespace fs = std::filesystem;
using radbridge::test::source_dir;
using radbridge::test::temp_folder;

namespace {

const infer::model_registry& registry() {
  static const infer::model_registry r = infer::load_registry((source_dir() / "models" / "registry.json").string());
  return r;
}

std::string write(const temp_folder& dir, const std::string& name, const std::string& text) {
  const fs::path p = dir.path() / name;
  std::ofstream(p) << text;
  return p.string();
}

// A valid stroke route; tests replace parts of it.
const std::string destinations = R"({"destinations": [
  {"name": "ris", "type": "mllp", "address": "127.0.0.1:6661"},
  {"name": "fhir", "type": "fhir", "address": "http://127.0.0.1:8080/fhir"},
  {"name": "pacs", "type": "dicomweb", "address": "http://127.0.0.1:8042/dicom-web"}
]})";

std::string route_text(const std::string& name = "r1", const std::string& procedure = "CTHEADWO",
                       const std::string& extra = "") {
  return R"({"routes": [{
  "name": ")" + name + R"(",
  "match": {"all": [{"path": "MSH-9.1", "equals": "ORM"}, {"path": "OBR-4.1", "in": [")" + procedure + R"("]}]},
  "study": {"accession": "OBR-18"},
  "models": ["ich_classifier"],
  "mode": "active",
  "patient": {"system": "urn:oid:2.16.840.1.113883.19.5.1"},
  "findings": [{"label": "intracranial_hemorrhage",
    "observation": {"system": "http://radelement.org", "hl7_system": "RADELEMENT", "code": "RDES194"},
    "present": {"system": "http://snomed.info/sct", "hl7_system": "SCT", "code": "1386000"},
    "absent": {"system": "http://snomed.info/sct", "hl7_system": "SCT", "code": "260385009"}}],
  "outputs": {"oru": ["ris"]})" + extra + R"(
}]})";
}

std::vector<std::string> problems_of(const std::vector<std::string>& paths) {
  return route::check_mappings(paths, registry()).problems;
}

}  // namespace

TEST_CASE("the shipped mappings read cleanly, with the stroke and trauma routes") {
  const route::mapping_set m = route::load_mappings({(source_dir() / "mappings").string()}, registry());
  REQUIRE(m.routes.size() == 2);
  CHECK(m.destinations.size() == 5);
  const route::route& stroke = m.routes[0];
  CHECK(stroke.name == "stroke_ct_head_ich");
  CHECK(stroke.mode == route::rollout_mode::active);
  CHECK(stroke.models == std::vector<std::string>{"ich_classifier", "ich_segmentation"});
  CHECK(stroke.study.by == route::study_key_rule::kind::accession);
  CHECK(stroke.study.path_text == "OBR-18");
  REQUIRE(stroke.findings.size() == 2);
  CHECK(stroke.findings[0].present->code == "1386000");
  CHECK(stroke.findings[0].absent->code == "260385009");
  CHECK(stroke.findings[1].ucum == "mL");
  CHECK(stroke.adt.field_text == "PV2-25");
  CHECK(stroke.adt.codes.at("critical") == "1");
  REQUIRE(stroke.acuity.levels.size() == 2);
  CHECK(stroke.acuity.levels[0].name == "critical");
  CHECK(stroke.series.modalities == std::vector<std::string>{"CT"});
  CHECK(m.routes[1].name == "trauma_whole_body_ct_head");
  CHECK(m.routes[1].mode == route::rollout_mode::assist);
  CHECK(m.routes[1].series.description_pattern == "head|brain");
  CHECK(m.find_destination("pacs")->type == route::destination::kind::dicomweb);
}

TEST_CASE("the broken sample gets every mistake flagged at its place") {
  const std::string file = (source_dir() / "samples" / "mappings" / "broken_mr_brain.json").string();
  const std::vector<std::string> expected = {
      file + ":71:25: bad HL7 path \"OBR-4.x\" (at character 7): expected SEG-F, SEG-F.C or SEG-F.C.S, e.g. OBR-4.1 "
             "or PID-3[2].4",
      file + ":79:26: a code without a system: \"observation\" needs \"system\" (a URI, for FHIR) and \"hl7_system\" "
             "(HL7 table 0396, for v2)",
      file + ":16:18: unknown model \"ms_lesion_segmentation\": the registry has ich_classifier, ich_segmentation",
      file + ":27:77: unknown destination \"neuro_pacs\"",
      file + ":47:27: destination \"fhir_test\" cannot take oru output (mllp takes oru and adt, fhir takes "
             "observation, dicomweb takes sr, folder takes any)",
      file + ":49:5: route \"ct_head_ich_copy\" overlaps route \"ct_head_ich_night\" (" + file +
          ":29:5): both run model \"ich_classifier\" and one message can match both; make their conditions exclusive "
          "at the top level (e.g. different OBR-4.1 values)",
  };
  CHECK(problems_of({file}) == expected);
  std::string joined;
  for (const std::string& line : expected) joined += (joined.empty() ? "" : "\n") + line;
  CHECK_THROWS_WITH_AS(route::load_mappings({file}, registry()), joined.c_str(), route::mapping_error);
}

TEST_CASE("a valid route with its destinations in another file reads cleanly") {
  temp_folder dir;
  const auto report = route::check_mappings(
      {write(dir, "a.json", route_text()), write(dir, "destinations.json", destinations)}, registry());
  CHECK(report.problems.empty());
  REQUIRE(report.mappings.routes.size() == 1);
  // No series rule written: the model's own modality and body parts.
  CHECK(report.mappings.routes[0].series.modalities == std::vector<std::string>{"CT"});
  CHECK(report.mappings.routes[0].series.body_parts == std::vector<std::string>{"HEAD", "BRAIN"});
}

TEST_CASE("readiness, the study UID check and the study patient rule are read; defaults when absent") {
  temp_folder dir;
  const std::string d = write(dir, "d.json", destinations);
  SUBCASE("defaults") {
    const auto report = route::check_mappings({write(dir, "a.json", route_text()), d}, registry());
    REQUIRE(report.problems == std::vector<std::string>{});
    const route::route& r = report.mappings.routes.at(0);
    CHECK(r.readiness.settle.count() == 1000);
    CHECK(r.readiness.max_wait.count() == 600000);
    CHECK(r.readiness.expected_instances == 0);
    CHECK(r.study.verify_uid_text == "ZDS-1.1");
    CHECK(r.patient.study.how == route::study_patient_rule::kind::same);
  }
  SUBCASE("written") {
    write(dir, "patients.csv", "# order MRN,PACS PatientID\nMRN1,PACS-1\r\n\nMRN2,PACS-2\n");
    std::string text = route_text("r1", "CTHEADWO",
                                  ",\n  \"readiness\": {\"settle_ms\": 500, \"max_wait_ms\": 60000, "
                                  "\"expected_instances\": 64, \"expected_instances_path\": \"ZDS-2\"}");
    text.replace(text.find("\"accession\": \"OBR-18\""), std::string("\"accession\": \"OBR-18\"").size(), "\"accession\": \"OBR-18\", \"verify_uid\": \"\"");
    text.replace(text.find("\"patient\": {"), 12,
                 "\"patient\": {\"study_patient\": {\"table\": \"patients.csv\"}, \"issuer\": \"GENHOSP\", ");
    const auto report = route::check_mappings({write(dir, "a.json", text), d}, registry());
    REQUIRE(report.problems == std::vector<std::string>{});
    const route::route& r = report.mappings.routes.at(0);
    CHECK(r.readiness.settle.count() == 500);
    CHECK(r.readiness.max_wait.count() == 60000);
    CHECK(r.readiness.expected_instances == 64);
    CHECK(r.readiness.expected_instances_path_text == "ZDS-2");
    CHECK(r.study.verify_uid_text.empty());
    CHECK_FALSE(r.study.verify_uid.has_value());
    CHECK(r.patient.study.how == route::study_patient_rule::kind::table);
    CHECK(r.patient.study.table == std::map<std::string, std::string>{{"MRN1", "PACS-1"}, {"MRN2", "PACS-2"}});
    CHECK(r.patient.study.issuer == "GENHOSP");
  }
  SUBCASE("a patient table line that is not two values") {
    write(dir, "patients.csv", "MRN1,PACS-1\nMRN2\n");
    std::string text = route_text();
    text.replace(text.find("\"patient\": {"), 12, "\"patient\": {\"study_patient\": {\"table\": \"patients.csv\"}, ");
    const std::string f = write(dir, "a.json", text);
    CHECK(problems_of({f, d}) == std::vector<std::string>{f + ":7:42: " + (dir.path() / "patients.csv").string() +
                                                              ":2: expected \"order identifier,study PatientID\""});
  }
}

TEST_CASE("syntax, unknown keys, kinds and missing keys are located") {
  temp_folder dir;
  const std::string d = write(dir, "d.json", destinations);
  SUBCASE("JSON syntax") {
    const std::string f = write(dir, "a.json", "{\"routes\": [}\n");
    CHECK(problems_of({f, d}) == std::vector<std::string>{f + ":1:13: invalid value"});
  }
  SUBCASE("unknown key") {
    const std::string f = write(dir, "a.json", route_text("r1", "CTHEADWO", ",\n  \"mdoe\": \"silent\""));
    CHECK(problems_of({f, d}) == std::vector<std::string>{f + ":13:3: unknown key \"mdoe\" in a route"});
  }
  SUBCASE("missing key") {
    std::string text = route_text();
    text.replace(text.find("  \"study\""), std::string("  \"study\": {\"accession\": \"OBR-18\"},\n").size(), "");
    const std::string f = write(dir, "a.json", text);
    CHECK(problems_of({f, d}) == std::vector<std::string>{f + ":1:13: a route needs \"study\""});
  }
  SUBCASE("wrong kind and bad choice") {
    std::string text = route_text();
    text.replace(text.find("\"active\""), 8, "\"loud\"");
    const std::string f = write(dir, "a.json", text);
    CHECK(problems_of({f, d}) ==
          std::vector<std::string>{f + ":6:11: expected \"silent\" or \"assist\" or \"active\", not \"loud\""});
  }
  SUBCASE("bad regular expression") {
    const std::string f = write(dir, "a.json", route_text("r1", "CTHEADWO", ",\n  \"series\": {\"description\": \"(head\"}"));
    const auto p = problems_of({f, d});
    REQUIRE(p.size() == 1);
    CHECK(p[0].starts_with(f + ":13:29: bad regular expression: "));
  }
  SUBCASE("a repetition count or back-reference past what a SeriesDescription can hold") {
    // Found by fuzz_mapping: std::regex overflowed a signed integer reading {6,66666666666666666666}, and
    // again reading the back-reference \\22222222222222224222.
    const std::string over = "bad regular expression: a repetition count or back-reference over 64 (a "
                             "SeriesDescription has at most 64 characters)";
    for (const std::string pattern :
         {"ax{6,66666666666666666666}", "ax{65}", "[{1000}]", "a{2,65}", "(a)\\\\22222222222222224222", "(a)\\\\65"}) {
      const std::string f = write(dir, "a.json", route_text("r1", "CTHEADWO", ",\n  \"series\": {\"description\": \"" +
                                                                                  pattern + "\"}"));
      CHECK(problems_of({f, d}) == std::vector<std::string>{f + ":13:29: " + over});
    }
    // Counts up to 64, and an escaped brace, are fine.
    for (const std::string pattern : {"ax{64}", "a{2,64}", "a{3,}", "a\\\\{99999\\\\}", "(a)\\\\1", "\\\\d{2}"}) {
      const std::string f = write(dir, "a.json", route_text("r1", "CTHEADWO", ",\n  \"series\": {\"description\": \"" +
                                                                                  pattern + "\"}"));
      CHECK_MESSAGE(problems_of({f, d}) == std::vector<std::string>{}, pattern);
    }
  }
  SUBCASE("a condition with two operators") {
    std::string text = route_text();
    text.replace(text.find("\"equals\": \"ORM\""), 15, "\"equals\": \"ORM\", \"prefix\": \"O\"");
    const std::string f = write(dir, "a.json", text);
    CHECK(problems_of({f, d}) ==
          std::vector<std::string>{f + ":3:21: a condition is exactly one of {\"all\": [...]}, {\"any\": [...]}, "
                                       "{\"not\": {...}} or {\"path\": ..., and one of \"equals\", \"in\", \"prefix\", "
                                       "\"exists\"}"});
  }
  SUBCASE("a name the schema refuses") {
    const std::string f = write(dir, "a.json", route_text("stroke ct"));
    CHECK(problems_of({f, d}) == std::vector<std::string>{f + ":2:11: does not match the pattern ^[A-Za-z0-9_.-]+$ "
                                                              "of the mapping schema at /routes/0/name"});
  }
}

TEST_CASE("checks across files and against the registry") {
  temp_folder dir;
  const std::string d = write(dir, "d.json", destinations);
  SUBCASE("a route name used twice") {
    const std::string a = write(dir, "a.json", route_text("same", "CTHEADWO"));
    const std::string b = write(dir, "b.json", route_text("same", "CTHEAD"));
    CHECK(problems_of({a, b, d}) == std::vector<std::string>{b + ":1:13: route name \"same\" is already used at " + a + ":1:13"});
  }
  SUBCASE("a finding no model of the route produces, and a model output without a finding") {
    std::string text = route_text();
    text.replace(text.find("\"label\": \"intracranial_hemorrhage\""), 34, "\"label\": \"pneumothorax\"");
    const std::string f = write(dir, "a.json", text);
    CHECK(problems_of({f, d}) ==
          std::vector<std::string>{f + ":8:16: finding \"pneumothorax\" is not an output of the route's models",
                                   f + ":1:13: route \"r1\" has no finding for \"intracranial_hemorrhage\", the output "
                                       "of model \"ich_classifier\""});
  }
  SUBCASE("a value finding with the wrong unit") {
    std::string text = route_text();
    text.replace(text.find("[\"ich_classifier\"]"), 18, "[\"ich_classifier\", \"ich_segmentation\"]");
    text.replace(text.find("}],\n  \"outputs\""), 3,
                 R"(}, {"label": "hemorrhage_volume", "observation": {"system": "urn:x", "hl7_system": "99RB", "code": "V"}, "ucum": "ml"}],)");
    const std::string f = write(dir, "a.json", text);
    CHECK(problems_of({f, d}) == std::vector<std::string>{
                                     f + ":11:96: finding \"hemorrhage_volume\" has ucum \"ml\" but model "
                                         "\"ich_segmentation\" gives \"mL\""});
  }
  SUBCASE("an ADT output without acuity, and an acuity trigger on an unmapped finding") {
    const std::string f1 = write(dir, "a.json", route_text("r1", "CTHEADWO", ",\n  \"outputs\": {\"adt\": [\"ris\"]}"));
    // "outputs" given twice is a JSON problem; use a separate file instead.
    std::string text = route_text();
    const std::string oru = "\"outputs\": {\"oru\": [\"ris\"]}";
    text.replace(text.find(oru), oru.size(), "\"outputs\": {\"adt\": [\"ris\"]}");
    const std::string f2 = write(dir, "b.json", text);
    CHECK(problems_of({f2, d}) ==
          std::vector<std::string>{f2 + ":12:23: an ADT^A31 output needs \"acuity\" levels and \"adt\" settings "
                                        "(field and codes)"});
    CHECK(problems_of({f1, d}).at(0) == f1 + ":13:3: duplicate key \"outputs\" (first at 12:3)");
    const std::string f3 = write(dir, "c.json",
                                 route_text("r1", "CTHEADWO",
                                            ",\n  \"acuity\": {\"levels\": [{\"name\": \"critical\", \"when\": "
                                            "[{\"finding\": \"volume\", \"at_least\": 1}]}]}"));
    CHECK(problems_of({f3, d}) == std::vector<std::string>{f3 + ":13:55: acuity trigger on \"volume\", which is not "
                                                                "a finding of this route"});
  }
  SUBCASE("ADT settings: a minimum level that is none, a level without a code") {
    const std::string levels =
        ",\n  \"acuity\": {\"levels\": [{\"name\": \"critical\", \"when\": [{\"finding\": \"intracranial_hemorrhage\", "
        "\"at_least\": 0.5}]}]}";
    const std::string f1 = write(dir, "a.json",
                                 route_text("r1", "CTHEADWO", levels + ",\n  \"adt\": {\"min_level\": \"severe\", "
                                                                       "\"field\": \"PV2-25\", \"codes\": {}}"));
    CHECK(problems_of({f1, d}) == std::vector<std::string>{f1 + ":14:24: \"min_level\" names \"severe\", which is "
                                                                "not an acuity level"});
    const std::string f2 = write(dir, "b.json",
                                 route_text("r1", "CTHEADWO", levels + ",\n  \"adt\": {\"min_level\": \"routine\", "
                                                                       "\"field\": \"PV2-25\", \"codes\": {\"critical\": \"1\"}}"));
    CHECK(problems_of({f2, d}) == std::vector<std::string>{f2 + ":14:10: \"codes\" has no value for acuity level "
                                                                "\"routine\""});
  }
  SUBCASE("two routes running the same model on one message overlap; exclusive ones do not") {
    const std::string a = write(dir, "a.json", route_text("a", "CTHEADWO"));
    const std::string b = write(dir, "b.json", route_text("b", "CTHEADWO"));
    const std::string c = write(dir, "c.json", route_text("c", "CTWBTRAUMA"));
    CHECK(problems_of({a, c, d}).empty());
    const auto p = problems_of({a, b, d});
    REQUIRE(p.size() == 1);
    CHECK(p[0].starts_with(b + ":1:13: route \"b\" overlaps route \"a\" (" + a + ":1:13)"));
  }
  SUBCASE("paths that do not exist") {
    CHECK(problems_of({(dir.path() / "none.json").string()}) ==
          std::vector<std::string>{(dir.path() / "none.json").string() + ": no such file or folder"});
    const fs::path empty = dir.path() / "empty";
    fs::create_directory(empty);
    CHECK(problems_of({empty.string()}) ==
          std::vector<std::string>{empty.string() + ": no *.json mapping files in this folder"});
  }
}

TEST_CASE("feedback and acceptance rules: read with their defaults, each mistake located") {
  temp_folder dir;
  const std::string d = write(dir, "destinations.json", destinations);
  const std::string match = R"("match": {"path": "MSH-9.1", "equals": "ORU"})";
  auto with = [&](const std::string& name, const std::string& extra) {
    return write(dir, name, route_text("r1", "CTHEADWO", ",\n  " + extra));
  };
  SUBCASE("the shipped stroke route: its study key, statuses, text and findings") {
    const route::mapping_set m = route::load_mappings({(source_dir() / "mappings").string()}, registry());
    const route::route& stroke = m.routes[0];
    REQUIRE(stroke.feedback.has_value());
    REQUIRE(stroke.feedback->study.has_value());
    CHECK(stroke.feedback->study->path_text == "OBR-3.1");
    CHECK(stroke.feedback->final_statuses == std::vector<std::string>{"F"});
    CHECK(stroke.feedback->corrected_statuses == std::vector<std::string>{"C"});
    CHECK(stroke.feedback->text_observations == std::vector<std::string>{"19005-8"});
    REQUIRE(stroke.feedback->findings.size() == 2);
    CHECK(stroke.feedback->findings[0].coded_observation == "RDES194");
    CHECK(stroke.feedback->findings[0].unmentioned == radbridge::work::verdict::negative);
    CHECK(stroke.feedback->findings[1].value_observation == "ICH-VOL");
    REQUIRE(stroke.acceptance.findings.size() == 1);
    CHECK(stroke.acceptance.on == route::acceptance_rules::compare::lower_bound);
    CHECK(stroke.acceptance.findings[0].min_studies == 50);
    CHECK(stroke.acceptance.findings[0].sensitivity == 0.85);
    CHECK(!stroke.acceptance.findings[0].ppv.has_value());
  }
  SUBCASE("defaults: the route's study key, OBR-25 F and C, every text OBX") {
    const std::string f =
        with("a.json", R"("feedback": {)" + match + R"(, "findings": [{"finding": "intracranial_hemorrhage", "terms": ["bleed"]}]})");
    const route::mapping_set m = route::load_mappings({f, d}, registry());
    const route::feedback_rules& rules = *m.routes[0].feedback;
    CHECK(!rules.study.has_value());
    CHECK(rules.status_path_text == "OBR-25");
    CHECK(rules.final_statuses == std::vector<std::string>{"F"});
    CHECK(rules.corrected_statuses == std::vector<std::string>{"C"});
    CHECK(rules.text_observations.empty());
    CHECK(!rules.findings[0].unmentioned.has_value());
  }
  SUBCASE("a finding with neither verdict nor value, or both; an unknown finding; a value on a present/absent one") {
    const std::string f1 = with("a.json", R"("feedback": {)" + match + R"(, "findings": [{"finding": "intracranial_hemorrhage"}]})");
    CHECK(problems_of({f1, d}) ==
          std::vector<std::string>{f1 + ":13:76: a feedback finding reads a verdict (\"coded\" and/or \"terms\") or a "
                                        "\"value\", one of the two"});
    const std::string f2 = with("b.json", R"("feedback": {)" + match + R"(, "findings": [{"finding": "bleed", "terms": ["x"]}]})");
    CHECK(problems_of({f2, d}) ==
          std::vector<std::string>{f2 + ":13:76: feedback on \"bleed\", which is not a finding of this route"});
    const std::string f3 =
        with("c.json", R"("feedback": {)" + match + R"(, "findings": [{"finding": "intracranial_hemorrhage", "value": "V"}]})");
    CHECK(problems_of({f3, d}) == std::vector<std::string>{f3 + ":13:76: finding \"intracranial_hemorrhage\" is "
                                                                "present/absent: its feedback is \"coded\" and/or "
                                                                "\"terms\", not a \"value\""});
  }
  SUBCASE("a status both final and corrected; a coded rule without its lists") {
    const std::string f1 = with("a.json", R"("feedback": {)" + match +
                                              R"(, "status": {"final": ["F", "C"]}, "findings": [{"finding": "intracranial_hemorrhage", "terms": ["x"]}]})");
    CHECK(problems_of({f1, d}) ==
          std::vector<std::string>{f1 + ":13:15: report status \"C\" is both final and corrected"});
    const std::string f2 = with("b.json", R"("feedback": {)" + match +
                                              R"(, "findings": [{"finding": "intracranial_hemorrhage", "coded": {"observation": "X"}}]})");
    CHECK(problems_of({f2, d}) == std::vector<std::string>{f2 + ":13:124: \"coded\" needs \"positive\"",
                                                           f2 + ":13:124: \"coded\" needs \"negative\""});
  }
  SUBCASE("acceptance: a measure out of range, a rule with no measure, a finding that is not present/absent") {
    const std::string f1 = with("a.json", R"("acceptance": {"findings": [{"finding": "intracranial_hemorrhage", "sensitivity": 1.5}]})");
    const auto p1 = problems_of({f1, d});
    REQUIRE(p1.size() == 1);
    CHECK(p1[0] == f1 + ":13:85: expected a number from 0 to 1");
    const std::string f2 = with("b.json", R"("acceptance": {"findings": [{"finding": "intracranial_hemorrhage"}]})");
    CHECK(problems_of({f2, d}) == std::vector<std::string>{f2 + ":13:31: an acceptance rule needs at least one of "
                                                                "\"sensitivity\", \"specificity\", \"ppv\", \"npv\""});
    const std::string f3 = with("c.json", R"("acceptance": {"findings": [{"finding": "volume", "ppv": 0.5}]})");
    CHECK(problems_of({f3, d}) == std::vector<std::string>{f3 + ":13:31: acceptance rule on \"volume\", which is not "
                                                                "a present/absent finding of this route"});
  }
}

TEST_CASE("priors rules and change triggers: read with their defaults, each mistake located") {
  temp_folder dir;
  const std::string d = write(dir, "destinations.json", destinations);
  // route_text has only the classifier's finding; the segmentation's value finding is added for priors.
  const std::string volume = R"(  "models": ["ich_classifier", "ich_segmentation"],)";
  auto with = [&](const std::string& name, const std::string& extra) {
    std::string text = route_text("r1", "CTHEADWO", ",\n  " + extra);
    text.replace(text.find(R"(  "models": ["ich_classifier"],)"), 32, volume);
    text.replace(text.find(R"("absent": {"system": "http://snomed.info/sct", "hl7_system": "SCT", "code": "260385009"}})"),
                 89,
                 R"("absent": {"system": "http://snomed.info/sct", "hl7_system": "SCT", "code": "260385009"}},)"
                 R"( {"label": "hemorrhage_volume", "observation": {"system": "urn:x", "hl7_system": "99X", "code": "V"}, )"
                 R"("ucum": "mL"})");
    return write(dir, name, text);
  };
  SUBCASE("defaults, and a change trigger on a compared finding") {
    const std::string f = with("a.json", R"("priors": {"findings": ["hemorrhage_volume"]},
  "acuity": {"levels": [{"name": "critical", "when": [{"finding": "hemorrhage_volume", "change": ["growing", "new"]}]}]})");
    CHECK(problems_of({f, d}).empty());
    const route::mapping_set m = route::load_mappings({f, d}, registry());
    const route::prior_rules& p = *m.routes[0].priors;
    CHECK(p.within_days == 365);
    CHECK(p.present_at_least == 0.5);
    CHECK(p.change_at_least == 6);
    CHECK(p.change_percent_at_least == 33);
    CHECK(m.routes[0].acuity.levels[0].when[0].changes ==
          std::vector<route::change_kind>{route::change_kind::growing, route::change_kind::new_finding});
  }
  SUBCASE("a present/absent finding compared; a change of a finding not compared; an unknown kind; both kinds of trigger") {
    const std::string f1 = with("a.json", R"("priors": {"findings": ["intracranial_hemorrhage"]})");
    CHECK(problems_of({f1, d}) == std::vector<std::string>{f1 + ":12:13: \"priors\" compares \"intracranial_hemorrhage\", "
                                                                "which is not a value finding of this route"});
    const std::string f2 = with("b.json", R"("acuity": {"levels": [{"name": "critical", "when": [{"finding": "hemorrhage_volume", "change": ["new"]}]}]})");
    CHECK(problems_of({f2, d}) == std::vector<std::string>{f2 + ":12:55: acuity trigger on the change of "
                                                                "\"hemorrhage_volume\", which \"priors\" does not compare"});
    const std::string f3 = with("c.json", R"("priors": {"findings": ["hemorrhage_volume"]},
  "acuity": {"levels": [{"name": "critical", "when": [{"finding": "hemorrhage_volume", "change": ["bigger"]}]}]})");
    CHECK(problems_of({f3, d}) == std::vector<std::string>{f3 + ":13:98: \"bigger\" is not a change: absent, new, "
                                                                "stable, growing, shrinking or resolved"});
    const std::string f4 = with("d.json", R"("priors": {"findings": ["hemorrhage_volume"]},
  "acuity": {"levels": [{"name": "critical", "when": [{"finding": "hemorrhage_volume", "change": ["new"], "at_least": 3}]}]})");
    CHECK(problems_of({f4, d}) == std::vector<std::string>{f4 + ":13:55: an acuity trigger needs \"at_least\" or "
                                                                "\"change\", one of the two"});
  }
}
