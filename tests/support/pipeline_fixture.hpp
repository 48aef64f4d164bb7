// The whole-flow fixtures of the pipeline test, shared with the reliability
// suite (tests/reliability/): the synthetic studies' truth (study_truth,
// read_truth), a study-complete order for a study (order_for), polling
// PostgreSQL until a query answers (wait_for), four synthetic head CTs made
// once per program (generated_studies) and held by a private Orthanc (pacs),
// and `radbridge serve` as a child process with its own PostgreSQL, mappings
// and configuration (engine).
//
// Guarantees: every fixture is a real component on 127.0.0.1 with free ports
// and temporary folders, gone with the object. A fixture that cannot start
// fails the test case (doctest REQUIRE) with the engine's log.
// Not provided: isolation between objects sharing generated_studies (it is
// read-only). The includer defines RADBRIDGE_BINARY (the radbridge binary).
// order_for and wait_for are [[maybe_unused]]: not every includer needs them.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "json/json_document.hpp"
#include "support.hpp"
#include "support/orthanc_server.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "support/synthetic_studies.hpp"

#ifndef RADBRIDGE_BINARY
#error "RADBRIDGE_BINARY must name the radbridge executable"
#endif

namespace test = radbridge::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// One synthetic study as the generator's truth.json describes it.
struct study_truth {
  std::string accession;
  std::string patient_id;
  std::string study_uid;
  bool hemorrhage = false;
  std::string folder;
};

std::vector<study_truth> read_truth(const fs::path& file) {
  const auto doc = radbridge::json::parse_document(test::read_file(file));
  REQUIRE_MESSAGE(doc.has_value(), file.string());
  std::vector<study_truth> out;
  for (const auto& s : doc.value().elements()) {
    out.push_back({s.find("accession")->as_string(), s.find("patient_id")->as_string(),
                   s.find("study_uid")->as_string(), s.find("hemorrhage")->as_bool(), s.find("folder")->as_string()});
  }
  return out;
}

// A study-complete order of the stroke (or trauma) sample for a study: its
// accession, its patient (PID-3, GENHOSP) and, for the stroke sample, its
// Study Instance UID (ZDS-1).
[[maybe_unused]] std::string order_for(const study_truth& study, const std::string& control_id,
                                       bool trauma = false) {
  const std::string sample = trauma ? "orm_o01_ct_whole_body_trauma_sc_complete.hl7" : "orm_o01_ct_head_sc_complete.hl7";
  std::string text = test::read_file(test::source_dir() / "samples/hl7" / sample);
  text = test::replace_all(text, trauma ? "ACC2024031600007" : "ACC2024031200101", study.accession);
  text = test::replace_all(text, trauma ? "MRN100004" : "MRN100001", study.patient_id);
  text = test::replace_all(text, "1.2.840.113619.2.55.3.2024031214280001", study.study_uid);
  return test::replace_all(text, trauma ? "RIS0000024410" : "RIS0000014712", control_id);
}

// The radiologist's final report on the study (samples/hl7/oru_r01_ct_head_final_report.hl7) with its
// impression, and its measured hemorrhage volume (ICH-VOL) only when given.
[[maybe_unused]] std::string report_for(const study_truth& study, const std::string& control_id,
                                        const std::string& impression, std::optional<int> volume_ml = {}) {
  std::string text = test::read_file(test::source_dir() / "samples/hl7/oru_r01_ct_head_final_report.hl7");
  text = test::replace_all(text, "ACC2024031200101", study.accession);
  text = test::replace_all(text, "MRN100001", study.patient_id);
  text = test::replace_all(text, "RIS0000152210", control_id);
  const std::string volume = "OBX|3|NM|ICH-VOL^Intracranial hemorrhage volume^99RB|1|14|";
  const std::size_t at = text.find(volume);
  REQUIRE(at != std::string::npos);
  if (volume_ml) {
    text.replace(at + volume.size() - 3, 2, std::to_string(*volume_ml));
  } else {
    text.erase(at, text.find('\r', at) + 1 - at);
  }
  const std::string said = "IMPRESSION: 1. Acute intraparenchymal hemorrhage in the left basal ganglia, about 14 mL. 2. No midline shift.";
  REQUIRE(text.find(said) != std::string::npos);
  return test::replace_all(text, said, "IMPRESSION: " + impression);
}

// Polls `query` until it returns `expected` (bounded), and returns its last answer.
[[maybe_unused]] std::string wait_for(const test::postgres_server& pg, const std::string& query,
                                      const std::string& expected, std::chrono::seconds limit = 180s) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  std::string got;
  while (std::chrono::steady_clock::now() < give_up) {
    got = pg.psql(query);
    if (got == expected) return got;
    std::this_thread::sleep_for(200ms);
  }
  return got;
}

// Four synthetic studies (seed 2026, the size the models were trained at),
// generated once for the whole program; every case only reads them.
struct generated_studies {
  test::temp_folder folder{"radbridge-pipeline-studies"};
  std::vector<study_truth> truth;
  generated_studies() {
    test::generate(folder.path(), 2026, 4, 32, 256);
    truth = read_truth(folder.path() / "truth.json");
  }
};

// The four studies in a private Orthanc (or not yet), with the generator's truth.
struct pacs {
  const generated_studies& generated = test::shared_instance<generated_studies>();
  const fs::path& root = generated.folder.path();
  test::orthanc_server orthanc;
  const std::vector<study_truth>& truth = generated.truth;
  explicit pacs(bool upload = true) {
    REQUIRE(truth.size() == 4);
    if (upload) REQUIRE(orthanc.upload(root) == 4 * 32);
  }
  // How many of these studies have a hemorrhage, by the generator's truth.
  std::size_t positives(std::initializer_list<int> which) const {
    std::size_t n = 0;
    for (const int i : which) n += truth.at(static_cast<std::size_t>(i)).hemorrhage;
    return n;
  }
};

struct engine {
  test::temp_folder dir{"radbridge-pipeline"};
  test::postgres_server pg;
  std::uint16_t port = test::free_tcp_port();
  std::uint16_t admin_port = test::free_tcp_port();  // the admin server's: /metrics, /readyz
  std::optional<test::child_process> process;

  // Mappings: the shipped stroke route (SR also to a folder), the trauma route
  // made silent, and destinations at the given addresses. Idle workers poll
  // only every 10 minutes: everything in these tests moves on NOTIFY
  // wake-ups and on the due times of retries and settle checks.
  // `readiness`: the stroke route's "readiness" block (default: the shipped one).
  void configure(const std::string& ris, const std::string& ehr, const std::string& fhir, const std::string& dicomweb,
                 const std::string& job_settings = R"("job_attempts": 5)", const std::string& readiness = "") {
    fs::create_directory(dir.path() / "mappings");
    std::string stroke = test::read_file(test::source_dir() / "mappings/stroke_ct_head.json");
    stroke = test::replace_all(stroke, "\"sr\": [\"pacs\"]", "\"sr\": [\"pacs\", \"outbox\"]");
    if (!readiness.empty()) {
      stroke = test::replace_all(stroke, "\"models\": [", "\"readiness\": " + readiness + ",\n      \"models\": [");
    }
    test::write_file(dir.path() / "mappings/stroke.json", stroke);
    std::string trauma = test::read_file(test::source_dir() / "mappings/trauma_whole_body_ct.json");
    trauma = test::replace_all(trauma, "\"mode\": \"assist\"", "\"mode\": \"silent\"");
    test::write_file(dir.path() / "mappings/trauma.json", trauma);
    test::write_file(dir.path() / "mappings/destinations.json",
          R"({"destinations": [
  {"name": "ris", "type": "mllp", "address": ")" + ris + R"("},
  {"name": "ehr_acuity", "type": "mllp", "address": ")" + ehr + R"("},
  {"name": "fhir", "type": "fhir", "address": ")" + fhir + R"("},
  {"name": "pacs", "type": "dicomweb", "address": ")" + dicomweb + R"("},
  {"name": "outbox", "type": "folder", "address": ")" + (dir.path() / "outbox").string() + R"("}
]})");
    test::write_file(dir.path() / "radbridge.json",
          R"({"interfaces": [{"name": "ris", "listen": "127.0.0.1:)" + std::to_string(port) +
              R"(", "message_types": ["*"]}],
 "admin": {"listen": "127.0.0.1:)" + std::to_string(admin_port) + R"("},
 "pipeline": {"mappings": ["mappings"], "registry": ")" + (test::source_dir() / "models/registry.json").string() +
              R"(", "pacs": {"dicomweb": ")" + dicomweb + R"("}, "poll_ms": 600000, )" + job_settings + R"(,
              "delivery": {"attempts": 1000, "first_backoff_ms": 100, "max_backoff_ms": 400, "timeout_ms": 3000}}})");
  }

  void start() {
    test::spawn_options options;
    options.out = test::stdio_target::append_to(dir.path() / "engine.log");
    options.err = test::stdio_target::append_to(dir.path() / "engine.log");
    options.stop_grace = 5s;
    process.emplace(std::vector<std::string>{RADBRIDGE_BINARY, "serve", "--config", (dir.path() / "radbridge.json").string(),
                                             "--db", pg.conninfo()},
                    options);
    for (int i = 0; i < 300 && test::read_file(dir.path() / "engine.log").find("pipeline_started") == std::string::npos;
         ++i) {
      REQUIRE_MESSAGE(process->running(), test::read_file(dir.path() / "engine.log"));
      std::this_thread::sleep_for(50ms);
    }
    REQUIRE_MESSAGE(test::read_file(dir.path() / "engine.log").find("pipeline_started") != std::string::npos,
                    test::read_file(dir.path() / "engine.log"));
  }

  void replay(const std::vector<std::string>& messages) {
    std::string all;
    for (const std::string& m : messages) all += m + "\n";
    test::write_file(dir.path() / "orders.hl7", all);
    const auto r = test::run_captured({RADBRIDGE_BINARY, "replay", "--to", "127.0.0.1:" + std::to_string(port),
                                       (dir.path() / "orders.hl7").string()},
                                      {}, "", 60s);
    const std::string output = r.out + r.err;
    REQUIRE_MESSAGE(r.status == 0, output);
  }

  test::captured cli(std::vector<std::string> args) const {
    args.insert(args.begin(), RADBRIDGE_BINARY);
    return test::run_captured(args, {}, "", 60s);
  }

  std::string log() const { return test::read_file(dir.path() / "engine.log"); }
};

}  // namespace
