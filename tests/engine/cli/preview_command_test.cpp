// `radbridge check-mappings` and `radbridge preview` in-process, with the
// shipped mappings, registry and models: what an analyst runs before a route
// goes live.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/cli/run_cli.hpp"
#include "hl7/message.hpp"
#include "support.hpp"
#include "support/fhir_validator.hpp"
#include "support/process.hpp"
#include "support/synthetic_studies.hpp"

namespace test = radbridge::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string src(const std::string& relative) { return (test::source_dir() / relative).string(); }

test::cli_outcome preview(std::vector<std::string> args) {
  std::vector<std::string> all = {"preview", "--registry", src("models/registry.json"), "--mapping", src("mappings")};
  all.insert(all.end(), args.begin(), args.end());
  return test::run_cli_args(all);
}

const std::string findings_json =
    R"([{"model":"ich_classifier","version":"1.0.0","sha256":"67de","study_uid":"1.2.3","series_uid":"1.2.3.4",)"
    R"("timings_ms":{},"findings":[{"label":"intracranial_hemorrhage","display":"Intracranial hemorrhage",)"
    R"("present":true,"probability":0.91}]},)"
    R"({"model":"ich_segmentation","version":"1.0.0","sha256":"164f","study_uid":"1.2.3","series_uid":"1.2.3.4",)"
    R"("timings_ms":{},"findings":[{"label":"hemorrhage_volume","display":"Hemorrhage volume","value":14.2,"unit":"mL"}]}])";

std::string write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

}  // namespace

TEST_CASE("cli check-mappings: the shipped mappings pass, the broken sample fails with every problem") {
  const test::cli_outcome ok = test::run_cli_args({"check-mappings", "--registry", src("models/registry.json"), src("mappings")});
  CHECK(ok.code == 0);
  CHECK(ok.err.empty());
  CHECK(ok.out ==
        "route stroke_ct_head_ich: mode active, models ich_classifier,ich_segmentation, outputs oru->ris "
        "adt->ehr_acuity observation->fhir sr->pacs, feedback on intracranial_hemorrhage,hemorrhage_volume\n"
        "route trauma_whole_body_ct_head: mode assist, models ich_classifier,ich_segmentation, outputs oru->ris "
        "adt->ehr_acuity observation->fhir sr->pacs sr->outbox\n"
        "ok: 2 routes and 5 destinations in 3 files\n");
  const test::cli_outcome bad =
      test::run_cli_args({"check-mappings", "--registry", src("models/registry.json"), src("samples/mappings/broken_mr_brain.json")});
  CHECK(bad.code == 1);
  CHECK(bad.out.empty());
  CHECK(bad.err.find("broken_mr_brain.json:16:18: unknown model \"ms_lesion_segmentation\"") != std::string::npos);
  CHECK(bad.err.ends_with("radbridge check-mappings: 6 problems in 1 file\n"));
  CHECK(test::run_cli_args({"check-mappings"}).code == 2);
  CHECK(test::run_cli_args({"check-mappings", "--registry"}).code == 2);
}

TEST_CASE("cli preview: from findings, every output of the stroke route, valid and sent nowhere") {
  test::temp_folder dir;
  const std::string findings = write(dir.path() / "findings.json", findings_json);
  const fs::path out = dir.path() / "out";
  const test::cli_outcome r = preview({"--order", src("samples/hl7/orm_o01_ct_head_sc_complete.hl7"), "--findings", findings,
                             "--out", out.string()});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.out.starts_with("route stroke_ct_head_ich (active mode), study accession ACC2024031200101\n"
                          "  finding  intracranial_hemorrhage: present (probability 0.910) [ich_classifier 1.0.0]\n"
                          "  finding  hemorrhage_volume: 14.2 mL [ich_segmentation 1.0.0]\n"
                          "  acuity   critical\n"));
  CHECK(r.out.find("  DICOM SR    not built: the SR references the study's images, which were not read (give --dir "
                   "STUDY_DIR)\n") != std::string::npos);
  const auto oru = radbridge::hl7::message::parse(test::read_file(out / "stroke_ct_head_ich.oru.hl7"));
  REQUIRE(oru.has_value());
  CHECK(oru->message_type() == "ORU");
  CHECK(*oru->value("OBX[1]-5") == "1386000^Intracranial hemorrhage^SCT");
  const auto adt = radbridge::hl7::message::parse(test::read_file(out / "stroke_ct_head_ich.adt.hl7"));
  REQUIRE(adt.has_value());
  CHECK(*adt->value("PV2-25") == "1");
  std::vector<test::fhir_resource> observations;
  for (const char* what : {"intracranial_hemorrhage", "intracranial_hemorrhage-probability", "hemorrhage_volume"}) {
    const fs::path p = out / (std::string("stroke_ct_head_ich.observation.") + what + ".json");
    REQUIRE_MESSAGE(fs::exists(p), p.string());
    observations.push_back({what, test::read_file(p)});
  }
  const auto issues = test::validate_fhir(observations);
  CHECK_MESSAGE(issues.empty(), test::to_string(issues));
  CHECK_FALSE(fs::exists(out / "stroke_ct_head_ich.sr.dcm"));
}

TEST_CASE("cli preview: from a study folder, the models run and the SR passes dciodvfy") {
  test::temp_folder dir;
  test::generate(dir.path() / "studies", 77, 1, 16, 128);
  const std::string truth = test::read_file(dir.path() / "studies" / "truth.json");
  const auto at = truth.find("\"accession\": \"");
  REQUIRE(at != std::string::npos);
  const std::string acc = truth.substr(at + 14, truth.find('"', at + 14) - at - 14);
  std::string order = test::read_file(test::source_dir() / "samples/hl7/orm_o01_ct_head_sc_complete.hl7");
  for (std::size_t p; (p = order.find("ACC2024031200101")) != std::string::npos;) order.replace(p, 16, acc);
  const std::string order_file = write(dir.path() / "order.hl7", order);
  const fs::path out = dir.path() / "out";
  const test::cli_outcome r = preview({"--order", order_file, "--dir", (dir.path() / "studies").string(), "--out", out.string()});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.out.find("study accession " + acc) != std::string::npos);
  CHECK(r.out.find("[ich_segmentation 1.0.0]") != std::string::npos);
  const fs::path sr = out / "stroke_ct_head_ich.sr.dcm";
  REQUIRE(fs::exists(sr));
  const auto check = test::run_captured({"/usr/bin/dciodvfy", sr.string()}, {}, "", 60s);
  const std::string report = check.out + check.err;
  CHECK(check.status == 0);
  CHECK_MESSAGE(report.find("Error") == std::string::npos, report);
  CHECK(report.starts_with("EnhancedSR\n"));  // the IOD dciodvfy recognised and checked
  // The ORU points at the SR where the route sends it (the pacs destination).
  const auto oru = radbridge::hl7::message::parse(test::read_file(out / "stroke_ct_head_ich.oru.hl7"));
  REQUIRE(oru.has_value());
  CHECK(oru->value("OBX[5]-5.1")->starts_with("http://127.0.0.1:8042/dicom-web/studies/"));
}

TEST_CASE("cli preview: errors") {
  test::temp_folder dir;
  const std::string findings = write(dir.path() / "findings.json", findings_json);
  SUBCASE("no route matches the order") {
    const test::cli_outcome r = preview({"--order", src("samples/hl7/orm_o01_ct_head_noncontrast_stroke.hl7"), "--findings",
                               findings, "--out", (dir.path() / "o").string()});
    CHECK(r.code == 1);
    CHECK(r.err == "radbridge preview: no route matches " + src("samples/hl7/orm_o01_ct_head_noncontrast_stroke.hl7") +
                       " (ORM^O01, 2 routes read)\n");
  }
  SUBCASE("findings of a model the route does not run") {
    std::string other = findings_json;
    other.replace(other.find("ich_segmentation"), 16, "ms_lesions");
    const std::string f = write(dir.path() / "other.json", other);
    const test::cli_outcome r = preview({"--order", src("samples/hl7/orm_o01_ct_head_sc_complete.hl7"), "--findings", f,
                               "--out", (dir.path() / "o").string()});
    CHECK(r.code == 1);
    CHECK(r.err == "radbridge preview: " + f +
                       " holds findings of model \"ms_lesions\", which route \"stroke_ct_head_ich\" does not run\n");
  }
  SUBCASE("invalid mappings") {
    const test::cli_outcome r = test::run_cli_args({"preview", "--registry", src("models/registry.json"), "--mapping",
                           src("samples/mappings/broken_mr_brain.json"), "--order",
                           src("samples/hl7/orm_o01_ct_head_sc_complete.hl7"), "--findings", findings, "--out",
                           (dir.path() / "o").string()});
    CHECK(r.code == 1);
    CHECK(r.err.starts_with("radbridge preview: the mappings have problems:\n" +
                            src("samples/mappings/broken_mr_brain.json") + ":71:25: bad HL7 path"));
  }
  SUBCASE("usage") {
    CHECK(preview({"--order", "x.hl7", "--out", "o"}).code == 2);
    CHECK(preview({"--findings", findings, "--out", "o"}).err.starts_with("radbridge preview: --order is required\n"));
  }
}
