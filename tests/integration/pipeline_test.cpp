// The whole flow, with real peers: `radbridge serve` with a pipeline, a
// private PostgreSQL, a private Orthanc holding synthetic head CTs, python-hl7
// MLLP receivers (RIS and EHR), the Medplum-validating FHIR server, Orthanc's
// STOW-RS and a folder. Study-complete orders are replayed over MLLP; the
// test then checks what every receiver got, the audit trail, a silent route,
// a receiver that is down and comes up (everything delivered, in order), AE
// answers going to the dead letter and `radbridge requeue` sending them
// again, and that serve refuses to start on a broken mapping. Each flow ends
// with check_no_patient_data: no patient name, identifier, accession number
// or date of birth of the samples, of the messages received or of the studies in
// any log line or any database column but those meant to hold them.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/patient_data.hpp"
#include "json/json_document.hpp"
#include "net/http_client.hpp"
#include "support.hpp"
#include "support/delivery_peers.hpp"
#include "support/orthanc_server.hpp"
#include "support/pipeline_fixture.hpp"
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

// The engine's /metrics, after promtool accepted it.
std::string scrape_metrics(const engine& e) {
  radbridge::net::http_client admin(radbridge::net::parse_http_url("http://127.0.0.1:" + std::to_string(e.admin_port)), {});
  radbridge::net::http_request r;
  r.target = "/metrics";
  const radbridge::net::http_response got = admin.send(r, 1 << 20);
  REQUIRE(got.head.status == 200);
  const test::captured check = test::run_captured({"/usr/bin/promtool", "check", "metrics"}, {}, got.body, 30s);
  CHECK_MESSAGE(check.status == 0, check.out, check.err, got.body);
  return got.body;
}

bool has_sample(const std::string& scrape, const std::string& line) {
  return scrape.find("\n" + line + "\n") != std::string::npos;
}

// Scrapes until every one of `lines` shows, at most 10 s; returns the last
// scrape. Counters move a moment after the rows they count commit (a lane
// counts after its UPDATE, the worker's events cross a socket), so a test
// that saw the rows must not expect the scrape in the same instant.
std::string scrape_until(const engine& e, const std::vector<std::string>& lines) {
  const auto all_there = [&](const std::string& metrics) {
    return std::all_of(lines.begin(), lines.end(), [&](const std::string& l) { return has_sample(metrics, l); });
  };
  std::string metrics = scrape_metrics(e);
  for (int i = 0; i < 100 && !all_there(metrics); ++i) {
    std::this_thread::sleep_for(100ms);
    metrics = scrape_metrics(e);
  }
  return metrics;
}

// A "PACS" that accepts connections and never answers: a job fetching from it stays running.
struct silent_server {
  int fd = -1;
  std::uint16_t port = 0;
  silent_server() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port = ntohs(address.sin_port);
  }
  ~silent_server() { ::close(fd); }
  std::string dicomweb_url() const { return "http://127.0.0.1:" + std::to_string(port) + "/dicom-web"; }
};

// The pid of the last worker the engine started, once it is not `other`.
pid_t worker_pid(const engine& e, pid_t other = 0) {
  for (int i = 0; i < 600; ++i) {
    const std::string log = e.log();
    const std::size_t at = log.rfind("worker_started pid=");
    if (at != std::string::npos) {
      const pid_t pid = static_cast<pid_t>(std::stol(log.substr(at + 19)));
      if (pid != other) return pid;
    }
    std::this_thread::sleep_for(50ms);
  }
  FAIL("no new worker_started in the log:\n" << e.log());
  return 0;
}

// The columns that are meant to hold patient data, and why; every other text, JSON, array
// and bytea column of every table is searched.
const std::set<std::string>& columns_holding_patient_data() {
  static const std::set<std::string> exempt{
      "inbound_messages.payload",   // the message as received: what is routed, replayed and audited
      "jobs.study_key",             // the accession (or Study UID) the job finds its study by; `radbridge audit` asks by it
      "feedback.study_key",         // the same key: the radiologists' verdicts meet the AI's results by it
      "jobs.patient_ids",           // the order's patient identifiers, matched against ADT merges and updates
      "jobs.patient_prior_ids",     // identifiers the patient held before a merge, matched against the study's
      "outbound_messages.payload",  // the message or resource for the receiver
      "outbound_messages.response", // the receiver's answer as received (a FHIR server echoes the Observation)
      "withdrawals.payload",        // the withdrawal message or resource for the receiver
  };
  return exempt;
}

// Every value of every searched column, one "<table>.<column> row <id>\t<text>" line each.
std::vector<std::string> stored_texts(const test::postgres_server& pg) {
  const std::string columns = pg.psql(
      "SELECT c.table_name || '|' || c.column_name || '|' || c.data_type || '|' || "
      "EXISTS (SELECT 1 FROM information_schema.columns i WHERE i.table_schema = 'public' "
      "AND i.table_name = c.table_name AND i.column_name = 'id') "
      "FROM information_schema.columns c JOIN information_schema.tables t "
      "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
      "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
      "AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea') "
      "ORDER BY c.table_name, c.ordinal_position");
  std::string query;
  std::size_t searched = 0;
  std::set<std::string> exempt_seen;
  std::istringstream in(columns);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, '|');) f.push_back(x);
    REQUIRE_MESSAGE(f.size() == 4, line);
    const std::string& table = f[0];
    const std::string& column = f[1];
    if (columns_holding_patient_data().contains(table + "." + column)) {
      exempt_seen.insert(table + "." + column);
      continue;
    }
    const std::string value = f[2] == "bytea"   ? "encode(" + column + ", 'escape')"
                              : f[2] == "ARRAY" ? "array_to_string(" + column + ", ' ')"
                                                : column + "::text";
    const std::string row = f[3] == "true" ? "id::text" : "ctid::text";
    query += (query.empty() ? "" : "\nUNION ALL ") +
             ("SELECT '" + table + "." + column + " row ' || " + row + " || chr(9) || translate(" + value +
              ", E'\\r\\n', '  ') FROM " + table + " WHERE " + column + " IS NOT NULL");
    ++searched;
  }
  // The queue, job and audit tables' columns at least (a schema that moved them would search nothing),
  // and no exemption for a column that is not there (a renamed one must be looked at again).
  REQUIRE_MESSAGE(searched >= 20, columns);
  REQUIRE_MESSAGE(exempt_seen == columns_holding_patient_data(), columns);
  std::vector<std::string> out;
  std::istringstream rows(pg.psql(query));
  for (std::string line; std::getline(rows, line);) out.push_back(line);
  return out;
}

// Every message the engine stored, as received (CR-separated segments; one after the other).
std::string received_messages(const test::postgres_server& pg) {
  std::istringstream rows(pg.psql("SELECT encode(payload, 'hex') FROM inbound_messages ORDER BY id"));
  std::string all;
  for (std::string hex; std::getline(rows, hex);) {
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) all += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    all += '\r';
  }
  return all;
}

// No patient name, identifier, accession number or date of birth of the samples, of the
// messages this engine received or of the given synthetic studies in any line of its logs or
// in any searched column (the last check of each flow). Failures name the log line or the
// row and column, and the kind of value, not the value.
void check_no_patient_data(const engine& e, const std::vector<fs::path>& study_roots,
                           const std::vector<fs::path>& more_logs = {}) {
  static const std::set<test::patient_datum> samples = [] {
    std::set<test::patient_datum> out;
    test::sample_identifiers(out);
    return out;
  }();
  // Every kind was read from the samples, and from each study folder (a value is kept once, under
  // the first field it was found in).
  const auto count = [](const std::set<test::patient_datum>& data, const std::string& kind) {
    return std::count_if(data.begin(), data.end(), [&](const test::patient_datum& d) { return d.kind.starts_with(kind); });
  };
  for (const std::string kind : {"patient name (", "patient identifier (", "date of birth (", "accession number ("}) {
    REQUIRE_MESSAGE(count(samples, kind) >= 5, kind);
  }
  std::set<test::patient_datum> data = samples;
  test::hl7_identifiers(received_messages(e.pg), "a message the engine received", data);
  for (const fs::path& root : study_roots) {
    std::set<test::patient_datum> study;
    test::study_identifiers(root, study);
    for (const std::string kind : {"patient name (PatientName)", "patient identifier (PatientID)",
                                   "accession number (AccessionNumber)", "date of birth (PatientBirthDate)"}) {
      REQUIRE_MESSAGE(count(study, kind) >= 1, root.string() << ": " << kind);
    }
    data.insert(study.begin(), study.end());
  }

  std::vector<std::string> lines;
  std::vector<fs::path> logs{e.dir.path() / "engine.log"};
  logs.insert(logs.end(), more_logs.begin(), more_logs.end());
  for (const fs::path& log : logs) {
    std::istringstream in(test::read_file(log));
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
      lines.push_back(log.filename().string() + " line " + std::to_string(++n) + "\t" + line);
    }
  }
  const std::vector<std::string> stored = stored_texts(e.pg);
  lines.insert(lines.end(), stored.begin(), stored.end());

  std::string report;
  for (const std::string& p : test::find_patient_data(lines, data)) report += "  " + p + "\n";
  CHECK_MESSAGE(report.empty(), "patient data where it must not be:\n" << report);
}

}  // namespace

TEST_CASE("pipeline: study-complete orders become results at every receiver, audited; a silent route sends nothing") {
  const pacs studies;
  test::deliver::hl7_receiver ris, ehr;
  test::deliver::fhir_server fhir;
  engine e;
  e.configure(ris.address(), ehr.address(), fhir.base_url(), studies.orthanc.dicomweb_url());
  e.start();
  e.replay({order_for(studies.truth[2], "ORD-A"), order_for(studies.truth[1], "ORD-B"),
            order_for(studies.truth[2], "ORD-C", true)});

  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM jobs WHERE status = 'done'", "3") == "3", e.log());
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM outbound_messages WHERE status <> 'sent'", "0") == "0", e.log());
  CHECK(e.pg.psql("SELECT string_agg(status, ',' ORDER BY id) FROM inbound_messages") == "routed,routed,routed");
  CHECK(e.pg.psql("SELECT string_agg(route || ':' || study_key || ':' || mode, ',' ORDER BY id) FROM jobs") ==
        "stroke_ct_head_ich:SYN2026N2:active,stroke_ct_head_ich:SYN2026N1:active,"
        "trauma_whole_body_ct_head:SYN2026N2:silent");
  // By the generator's truth study 2 has a hemorrhage and study 1 has none: the first stroke job is
  // critical (2 ORU, 1 ADT, 6 Observations, 2 SR x 2 destinations), the second is not.
  REQUIRE(studies.truth[2].hemorrhage);
  REQUIRE_FALSE(studies.truth[1].hemorrhage);
  CHECK(e.pg.psql("SELECT string_agg((acuity = 'critical')::text, ',' ORDER BY id) FROM jobs "
                  "WHERE route = 'stroke_ct_head_ich'") == "true,false");
  // 2 models x 3 jobs, the silent one included; each on the whole series.
  CHECK(e.pg.psql("SELECT count(*) || ' ' || min(instances) || ' ' || max(instances) FROM inference_audit") == "6 32 32");
  CHECK(e.pg.psql("SELECT count(*) FROM outbound_messages WHERE job_id = 3") == "0");
  CHECK(e.pg.psql("SELECT string_agg(destination || ':' || output, ',' ORDER BY id) FROM outbound_messages WHERE job_id = 1") ==
        "ris:oru,ehr_acuity:adt,fhir:observation,fhir:observation,fhir:observation,pacs:sr,outbox:sr");

  // The RIS got both ORUs, parsed by python-hl7, in job order.
  const auto oru = ris.records();
  REQUIRE(oru.size() == 2);
  CHECK(oru[0].control_id == e.pg.psql("SELECT identity FROM outbound_messages WHERE job_id = 1 AND output = 'oru'"));
  CHECK(oru[1].control_id == e.pg.psql("SELECT identity FROM outbound_messages WHERE job_id = 2 AND output = 'oru'"));
  CHECK(oru[0].pid3 == studies.truth[2].patient_id);
  CHECK(oru[1].pid3 == studies.truth[1].patient_id);
  for (const auto& r : oru) {
    CHECK(r.type == "ORU^R01^ORU_R01");
    CHECK(r.answer == "AA");
    REQUIRE(r.obx5.size() == 5);
  }
  CHECK(oru[0].obx5[0] == "1386000^Intracranial hemorrhage^SCT");
  CHECK(oru[0].obx5[4].find("/studies/") != std::string::npos);  // the RP pointer to the SR
  // ADT^A31 for the study with a hemorrhage only.
  const auto adt = ehr.records();
  REQUIRE(adt.size() == studies.positives({2, 1}));
  CHECK(adt[0].type == "ADT^A31^ADT_A05");
  CHECK(adt[0].pid3 == studies.truth[2].patient_id);
  // Six Observations stored once each by the FHIR server (conditional create).
  CHECK(fhir.control("GET", "/control/state").find("observations")->as_number() == 6);
  // The SRs are in the PACS, in the studies they describe, and in the folder.
  const auto sr_series = studies.orthanc.get(
      "/dicom-web/studies/" + e.pg.psql("SELECT study_uid FROM outbound_messages WHERE job_id = 1 AND output = 'sr' "
                                        "AND destination = 'pacs'") + "/series?Modality=SR");
  CHECK(sr_series.status == 200);
  CHECK(sr_series.body.find("\"SR\"") != std::string::npos);
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(e.dir.path() / "outbox")) files += entry.path().extension() == ".dcm";
  CHECK(files == 2);

  // The audit trail of the hemorrhage study.
  const auto audit = e.cli({"audit", "--db", e.pg.conninfo(), "SYN2026N2"});
  CHECK(audit.status == 0);
  CHECK(audit.out.find("job 1 route stroke_ct_head_ich (active): done, acuity critical, started by message ORD-A") !=
        std::string::npos);
  CHECK(audit.out.find("  inference ich_classifier 1.0.0 (sha256 67de8e1462333295) on series ") != std::string::npos);
  CHECK(audit.out.find("  outbound oru " + oru[0].control_id + " to ris: sent after 1 attempt(s)\n") != std::string::npos);
  CHECK(audit.out.find("job 3 route trauma_whole_body_ct_head (silent): done") != std::string::npos);
  const auto missing = e.cli({"audit", "--db", e.pg.conninfo(), "NO-SUCH-ACC"});
  CHECK(missing.status == 1);
  CHECK(missing.err == "radbridge audit: no job for study key 'NO-SUCH-ACC'\n");

  // The radiologists' final reports arrive: study 2's (the AI found a bleed) says there is none, study 1's
  // agrees there is none. Each is read by the stroke route's feedback rules and counted in its report.
  e.replay({report_for(studies.truth[2], "REP-A", "No acute intracranial hemorrhage. Basal ganglia calcification."),
            report_for(studies.truth[1], "REP-B", "No acute intracranial abnormality.")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM feedback", "2") == "2", e.log());
  CHECK(e.pg.psql("SELECT string_agg(study_key || ' ' || label || ' ' || verdict || ' ' || report_status, ', ' "
                  "ORDER BY id) FROM feedback") ==
        "SYN2026N2 intracranial_hemorrhage negative final, SYN2026N1 intracranial_hemorrhage negative final");
  CHECK(e.pg.psql("SELECT string_agg(status, ',' ORDER BY id) FROM inbound_messages WHERE control_id LIKE 'REP-%'") ==
        "routed,routed");
  const auto audited = e.cli({"audit", "--db", e.pg.conninfo(), "SYN2026N2"});
  CHECK_MESSAGE(audited.out.find("radiologist on route stroke_ct_head_ich: intracranial_hemorrhage negative (final report, "
                                 "message " + e.pg.psql("SELECT id FROM inbound_messages WHERE control_id = 'REP-A'") +
                                 ") at ") != std::string::npos,
                audited.out);
  const auto report = e.cli({"report", "--route", "stroke_ct_head_ich", "--model", "ich_classifier", "--mapping",
                             (test::source_dir() / "mappings").string(), "--registry",
                             (test::source_dir() / "models/registry.json").string(), "--db", e.pg.conninfo()});
  CHECK_MESSAGE(report.status == 0, report.err);
  CHECK_MESSAGE(report.out.find("ich_classifier 1.0.0, active mode: 2 studies, 2 with feedback\n"
                                "  intracranial_hemorrhage                 radiologist positive  negative\n"
                                "    AI present            0         1\n"
                                "    AI absent             0         1\n") != std::string::npos,
                report.out);
  CHECK_MESSAGE(report.out.find("  order to first delivery: p50 ") != std::string::npos, report.out);

  // Drift monitors: each inference kept what its model was given; with 2 of the 50 reference studies the
  // stroke route's models are "not enough data", shown on /readyz (never its verdict) and in /metrics.
  CHECK(e.pg.psql("SELECT input_profile->>'manufacturer' || ' ' || (input_profile->>'kvp') || ' ' || "
                  "(input_profile ? 'hu_mean')::text FROM inference_audit ORDER BY id LIMIT 1") ==
        "radbridge synthetic 120.0 true");
  const std::string metrics = scrape_metrics(e);
  CHECK_MESSAGE(metrics.find("radbridge_drift{route=\"stroke_ct_head_ich\",model=\"ich_classifier\"} 0\n") !=
                    std::string::npos,
                metrics);
  CHECK_MESSAGE(metrics.find("radbridge_drift_ratio{route=\"stroke_ct_head_ich\",model=\"ich_segmentation\","
                             "feature=\"slice_thickness_mm\"} 0\n") != std::string::npos,
                metrics);
  radbridge::net::http_client admin(radbridge::net::parse_http_url("http://127.0.0.1:" + std::to_string(e.admin_port)), {});
  radbridge::net::http_request ready;
  ready.target = "/readyz";
  const std::string readyz = admin.send(ready, 1 << 20).body;
  CHECK_MESSAGE(readyz.find(R"("drift":[{"route":"stroke_ct_head_ich","model":"ich_classifier","state":"not enough data",)"
                            R"("over":[]},{"route":"stroke_ct_head_ich","model":"ich_segmentation",)") != std::string::npos,
                readyz);
  // Logs carry identifiers, never patient names.
  CHECK(e.log().find("TESTPATIENT") == std::string::npos);
  check_no_patient_data(e, {studies.root});
}

TEST_CASE("pipeline: a receiver down, then up: everything delivered in order; AE goes to the dead letter, requeue resends") {
  const pacs studies;
  const std::uint16_t ris_port = test::free_tcp_port();  // nobody listens yet
  std::optional<test::deliver::hl7_receiver> ehr(std::in_place, std::uint16_t{0}, std::string("AE"));
  test::deliver::fhir_server fhir;
  engine e;
  e.configure("127.0.0.1:" + std::to_string(ris_port), ehr->address(), fhir.base_url(), studies.orthanc.dicomweb_url());
  e.start();
  e.replay({order_for(studies.truth[2], "ORD-1"), order_for(studies.truth[3], "ORD-2"),
            order_for(studies.truth[0], "ORD-3")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM jobs WHERE status = 'done'", "3") == "3", e.log());
  // The RIS lane retries its head; the rows behind it wait.
  REQUIRE(wait_for(e.pg, "SELECT attempts >= 3 FROM outbound_messages WHERE destination = 'ris' ORDER BY id LIMIT 1", "t") == "t");
  CHECK(e.pg.psql("SELECT string_agg(status || ':' || (attempts > 0)::text, ',' ORDER BY id) FROM outbound_messages "
                  "WHERE destination = 'ris'") == "pending:true,pending:false,pending:false");
  CHECK(e.pg.psql("SELECT last_error FROM outbound_messages WHERE destination = 'ris' ORDER BY id LIMIT 1")
            .find("127.0.0.1:" + std::to_string(ris_port)) != std::string::npos);

  // Up: all three arrive, in order.
  test::deliver::hl7_receiver ris(ris_port, "AA");
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM outbound_messages WHERE destination = 'ris' AND status = 'sent'", "3") == "3",
                  e.log());
  const auto got = ris.records();
  REQUIRE(got.size() == 3);
  CHECK(got[0].control_id + "," + got[1].control_id + "," + got[2].control_id ==
        e.pg.psql("SELECT string_agg(identity, ',' ORDER BY id) FROM outbound_messages WHERE destination = 'ris'"));

  // The EHR answered AE: dead letters, with its ACK kept.
  const std::string adts = std::to_string(studies.positives({2, 3, 0}));
  REQUIRE(e.pg.psql("SELECT count(*) FROM outbound_messages WHERE destination = 'ehr_acuity'") == adts);
  REQUIRE(wait_for(e.pg, "SELECT count(*) FROM outbound_messages WHERE destination = 'ehr_acuity' AND status = 'dead'", adts) == adts);
  CHECK(e.pg.psql("SELECT position('MSA|AE|' in convert_from(response, 'UTF8')) > 0 FROM outbound_messages "
                  "WHERE destination = 'ehr_acuity' ORDER BY id LIMIT 1") == "t");
  // What an operator's Prometheus sees of it.
  const std::vector<std::string> expected = {
      R"(radbridge_jobs_total{route="stroke_ct_head_ich",outcome="done",reason=""} 3)",
      R"(radbridge_job_step_seconds_count{model="ich_classifier",step="inference"} 3)",
      R"(radbridge_delivery_attempts_total{destination="ris",output="oru",outcome="sent"} 3)",
      R"(radbridge_delivery_attempts_total{destination="ehr_acuity",output="adt",outcome="rejected"} )" + adts,
      R"(radbridge_dead_letters{destination="ehr_acuity"} )" + adts,
      R"(radbridge_outbound_pending{destination="ris"} 0)",
      R"(radbridge_time_to_notification_seconds_count{destination="ris",output="oru"} 3)",
      R"(radbridge_messages_received_total{interface="ris",type="ORM^O01",ack="AA"} 3)"};
  const std::string metrics = scrape_until(e, expected);
  for (const std::string& line : expected) CHECK_MESSAGE(has_sample(metrics, line), line, "\n", metrics);
  const auto listed = e.cli({"dead-letters", "--db", e.pg.conninfo(), "--destination", "ehr_acuity"});
  CHECK(listed.status == 0);
  CHECK_MESSAGE(listed.out.ends_with(adts + (adts == "1" ? " dead letter\n" : " dead letters\n")), listed.out);
  CHECK_MESSAGE(listed.out.find(" ehr_acuity adt ") != std::string::npos, listed.out);
  // The EHR is fixed (now it accepts): requeue, and they are delivered.
  const std::uint16_t ehr_port = ehr->port();
  ehr.reset();
  test::deliver::hl7_receiver fixed(ehr_port, "AA");
  const auto requeue = e.cli({"requeue", "--db", e.pg.conninfo(), "--destination", "ehr_acuity"});
  CHECK(requeue.status == 0);
  CHECK(requeue.out == "requeued " + adts + (adts == "1" ? " dead letter\n" : " dead letters\n"));
  REQUIRE(wait_for(e.pg, "SELECT count(*) FROM outbound_messages WHERE destination = 'ehr_acuity' AND status = 'sent'", adts) == adts);
  CHECK(static_cast<int>(fixed.records().size()) == std::stoi(adts));
  check_no_patient_data(e, {studies.root});
}

TEST_CASE("pipeline: serve refuses to start on a broken mapping, saying where, before it touches the database") {
  const test::temp_folder dir("radbridge-broken-mapping");
  test::write_file(dir.path() / "radbridge.json",
        R"({"interfaces": [{"name": "ris", "listen": "127.0.0.1:0"}],
 "pipeline": {"mappings": [")" + (test::source_dir() / "samples/mappings/broken_mr_brain.json").string() +
            R"("], "registry": ")" + (test::source_dir() / "models/registry.json").string() +
            R"(", "pacs": {"folder": "/nonexistent"}}})");
  // Nothing listens on this port: had serve connected first, it would report the database.
  const std::string no_database = "host=127.0.0.1 port=" + std::to_string(test::free_tcp_port()) + " connect_timeout=2";
  const auto r = test::run_captured(
      {RADBRIDGE_BINARY, "serve", "--config", (dir.path() / "radbridge.json").string(), "--db", no_database}, {}, "",
      180s);
  const std::string expected = "radbridge serve: the mappings have problems:\n" +
                               (test::source_dir() / "samples/mappings/broken_mr_brain.json").string() +
                               ":71:25: bad HL7 path";
  CHECK(r.err.substr(0, expected.size()) == expected);  // doctest prints both texts when they differ
  CHECK_MESSAGE(r.status == 1, r.err);
}

TEST_CASE("pipeline: a study the PACS does not have is waited for, then the job fails with the reason; nothing is sent") {
  const test::orthanc_server empty_pacs;
  test::deliver::hl7_receiver ris, ehr;
  test::deliver::fhir_server fhir;
  engine e;
  e.configure(ris.address(), ehr.address(), fhir.base_url(), empty_pacs.dicomweb_url(), R"("job_attempts": 3)",
              R"({"settle_ms": 100, "max_wait_ms": 1500})");
  e.start();
  e.replay({order_for({"NOT-IN-PACS", "SYNP-NONE", "", false, ""}, "ORD-X")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM jobs", "failed") == "failed", e.log());
  CHECK(e.pg.psql("SELECT attempts || ' ' || failure FROM jobs") == "1 study_not_ready");  // waiting is not an attempt
  const std::string error = e.pg.psql("SELECT error FROM jobs");
  // How long it waited depends on the machine's pace: the seconds are not asserted.
  CHECK_MESSAGE(error.starts_with("study_not_ready: after "), error);
  CHECK_MESSAGE(error.find(" s: not_found: ") != std::string::npos, error);
  CHECK(e.pg.psql("SELECT count(*) FROM outbound_messages") == "0");
  CHECK(e.pg.psql("SELECT count(*) FROM inference_audit") == "0");
  const auto audit = e.cli({"audit", "--db", e.pg.conninfo(), "NOT-IN-PACS"});
  CHECK(audit.status == 0);
  CHECK(audit.out.find("job 1 route stroke_ct_head_ich (active): failed, started by message ORD-X") != std::string::npos);
  CHECK_MESSAGE(audit.out.find("  error after 1 attempt(s): study_not_ready: after ") != std::string::npos, audit.out);
  CHECK(ris.records().empty());
  check_no_patient_data(e, {});
}

TEST_CASE("pipeline: an order for another patient, or naming another study, fails the job; nothing reaches any receiver") {
  const pacs studies;
  test::deliver::hl7_receiver ris, ehr;
  test::deliver::fhir_server fhir;
  engine e;
  e.configure(ris.address(), ehr.address(), fhir.base_url(), studies.orthanc.dicomweb_url());
  e.start();
  // Study 2 (a hemorrhage, by truth) ordered for study 3's patient; study 1 ordered naming study 0's UID in ZDS-1.
  REQUIRE(studies.truth[2].hemorrhage);
  study_truth wrong_patient = studies.truth[2];
  wrong_patient.patient_id = studies.truth[3].patient_id;
  study_truth wrong_study = studies.truth[1];
  wrong_study.study_uid = studies.truth[0].study_uid;
  e.replay({order_for(wrong_patient, "ORD-P"), order_for(wrong_study, "ORD-S")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM jobs WHERE status = 'failed'", "2") == "2", e.log());
  CHECK(e.pg.psql("SELECT string_agg(failure, ',' ORDER BY id) FROM jobs") == "patient_mismatch,study_mismatch");
  const std::string patient_error = e.pg.psql("SELECT error FROM jobs WHERE id = 1");
  CHECK_MESSAGE(patient_error.starts_with("patient_mismatch: the order's patient is not the study's PatientID (order "
                                          "sha256:"),
                patient_error);
  CHECK(e.pg.psql("SELECT error FROM jobs WHERE id = 2") ==
        "study_mismatch: the study the order names at ZDS-1.1 is not the one the PACS found");
  // Nothing built, nothing queued, nothing received; no identifier in the errors or the log.
  CHECK(e.pg.psql("SELECT count(*) FROM outbound_messages") == "0");
  CHECK(e.pg.psql("SELECT count(*) FROM inference_audit") == "0");
  std::this_thread::sleep_for(500ms);  // a lane that wrongly had work would have sent it by now
  CHECK(ris.records().empty());
  CHECK(ehr.records().empty());
  CHECK(fhir.control("GET", "/control/state").find("observations")->as_number() == 0);
  for (const std::string& id : {studies.truth[2].patient_id, studies.truth[3].patient_id}) {
    CHECK_MESSAGE(patient_error.find(id) == std::string::npos, patient_error);
    CHECK_MESSAGE(e.log().find(id) == std::string::npos, id);
  }
  CHECK_MESSAGE(e.log().find("job_failed job_id=1 route=stroke_ct_head_ich reason=patient_mismatch") != std::string::npos,
                e.log());
  check_no_patient_data(e, {studies.root});
}

TEST_CASE("pipeline: a study uploaded in two halves around its trigger gets one result, on the whole series") {
  const pacs studies(false);
  test::deliver::hl7_receiver ris, ehr;
  test::deliver::fhir_server fhir;
  engine e;
  e.configure(ris.address(), ehr.address(), fhir.base_url(), studies.orthanc.dicomweb_url(), R"("job_attempts": 5)",
              R"({"settle_ms": 1000, "max_wait_ms": 120000})");
  e.start();
  const study_truth& study = studies.truth[2];
  const std::vector<fs::path> files = test::files_in(studies.root / study.folder);
  REQUIRE(files.size() == 32);
  for (std::size_t i = 0; i < 16; ++i) REQUIRE(studies.orthanc.upload(files[i]) == 1);
  e.replay({order_for(study, "ORD-H")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status || ' ' || probe_instances FROM jobs", "waiting_for_study 16") ==
                      "waiting_for_study 16",
                  e.log());
  // The worker is held still while the second half arrives, however long that takes here; when it
  // goes on, its next check sees the series grown and waits for it to settle again.
  const pid_t worker = worker_pid(e);
  REQUIRE(::kill(worker, SIGSTOP) == 0);
  for (std::size_t i = 16; i < 32; ++i) REQUIRE(studies.orthanc.upload(files[i]) == 1);
  REQUIRE(::kill(worker, SIGCONT) == 0);
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM jobs", "done") == "done", e.log());
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM outbound_messages WHERE status <> 'sent'", "0") == "0", e.log());
  CHECK(e.pg.psql("SELECT count(*) FROM jobs") == "1");
  CHECK(e.pg.psql("SELECT string_agg(instances::text, ',' ORDER BY id) FROM inference_audit") == "32,32");
  CHECK_MESSAGE(e.log().find("job_waiting_for_study job_id=1 instances=16") != std::string::npos, e.log());
  CHECK_MESSAGE(e.log().find("job_waiting_for_study job_id=1 instances=32") != std::string::npos, e.log());
  CHECK(ris.records().size() == 1);
  CHECK(ehr.records().size() == studies.positives({2}));
  check_no_patient_data(e, {studies.root});
}

// The job lifecycle's cases run as a second CTest test (pipeline_lifecycle_test),
// beside the flow's, so that the two halves share the machine's cores.
TEST_SUITE_BEGIN("lifecycle");

namespace {

// The FHIR server's Observations: "identifier:status:versionId", sorted.
std::vector<std::string> fhir_resources(test::deliver::fhir_server& fhir) {
  std::vector<std::string> out;
  const auto state = fhir.control("GET", "/control/state");
  for (const auto& r : state.find("resources")->elements()) {
    out.push_back(r.find("identifier")->as_string() + ":" + r.find("status")->as_string() + ":" +
                  r.find("versionId")->as_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string cancel_for(const study_truth& study, const std::string& control_id) {
  return test::replace_all(order_for(study, control_id), "ORC|SC|", "ORC|CA|");
}

}  // namespace

TEST_CASE("pipeline: a repeated trigger sends nothing new; new images with other findings send corrections; "
          "a study first seen complete after max_wait still gets its settle check") {
  const pacs studies(false);
  test::deliver::hl7_receiver ris, ehr;
  test::deliver::fhir_server fhir;
  engine e;
  // max_wait_ms 1: every job's first look comes after the wait (as after a backlog or an outage),
  // finds a complete series not yet settled, and must wait for the settle check, not fail.
  e.configure(ris.address(), ehr.address(), fhir.base_url(), studies.orthanc.dicomweb_url(), R"("job_attempts": 5)",
              R"({"settle_ms": 300, "max_wait_ms": 1})");
  e.start();
  const study_truth& study = studies.truth[2];
  const std::vector<fs::path> files = test::files_in(studies.root / study.folder);
  REQUIRE(files.size() == 32);
  // Version 1: the first 24 slices (a whole series as far as anyone can tell).
  for (std::size_t i = 0; i < 24; ++i) REQUIRE(studies.orthanc.upload(files[i]) == 1);
  e.replay({order_for(study, "ORD-V1")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM jobs WHERE id = 1", "done") == "done", e.log());
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM outbound_messages WHERE status <> 'sent'", "0") == "0", e.log());
  const std::string first_round = e.pg.psql("SELECT count(*) FROM outbound_messages");

  // The same study complete again: a duplicate trigger, nothing runs or goes out.
  e.replay({order_for(study, "ORD-V1-AGAIN")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM jobs WHERE id = 2", "duplicate") == "duplicate", e.log());
  CHECK(e.pg.psql("SELECT error FROM jobs WHERE id = 2") == "duplicate_trigger: job 1 already did this study version");
  CHECK(e.pg.psql("SELECT count(*) FROM inference_audit WHERE job_id = 2") == "0");
  CHECK(e.pg.psql("SELECT count(*) FROM outbound_messages") == first_round);

  // Version 2: the last 8 slices arrive and the study is completed again: corrections.
  for (std::size_t i = 24; i < 32; ++i) REQUIRE(studies.orthanc.upload(files[i]) == 1);
  e.replay({order_for(study, "ORD-V2")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM jobs WHERE id = 3", "done") == "done", e.log());
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM outbound_messages WHERE status <> 'sent'", "0") == "0", e.log());
  CHECK(e.pg.psql("SELECT string_agg(instances::text, ',' ORDER BY id) FROM inference_audit") == "24,24,32,32");
  CHECK(e.pg.psql("SELECT string_agg(DISTINCT revision, ',') FROM outbound_messages WHERE job_id = 3") == "correction");

  const auto oru = ris.records();
  REQUIRE(oru.size() == 2);
  CHECK(oru[0].obr25 == "P");
  CHECK(oru[1].obr25 == "C");
  CHECK(oru[0].control_id != oru[1].control_id);
  REQUIRE(oru[0].obx11.size() == 5);  // finding, probability, volume, impression, SR pointer
  CHECK(oru[0].obx11 == std::vector<std::string>(5, "P"));
  CHECK(oru[1].obx11 == std::vector<std::string>(5, "C"));
  // Each Observation updated in place to a second version, amended.
  const std::vector<std::string> resources = fhir_resources(fhir);
  REQUIRE(resources.size() == 3);
  for (const std::string& r : resources) CHECK_MESSAGE(r.ends_with(":amended:2"), r);
  // The new SR names the first as its predecessor.
  const std::string first_sr =
      e.pg.psql("SELECT identity FROM outbound_messages WHERE job_id = 1 AND output = 'sr' AND destination = 'outbox'");
  const std::string second_sr =
      e.pg.psql("SELECT identity FROM outbound_messages WHERE job_id = 3 AND output = 'sr' AND destination = 'outbox'");
  REQUIRE(first_sr != second_sr);
  const auto dump = test::run_captured({"/usr/bin/dcmdump", (e.dir.path() / "outbox" / (second_sr + ".dcm")).string()}, {}, "", 60s);
  REQUIRE(dump.status == 0);
  const std::size_t predecessors = dump.out.find("PredecessorDocumentsSequence");
  REQUIRE_MESSAGE(predecessors != std::string::npos, dump.out);
  CHECK_MESSAGE(dump.out.find(first_sr, predecessors) != std::string::npos, dump.out);
  check_no_patient_data(e, {studies.root});
}

TEST_CASE("pipeline: an order cancel ends a waiting job; after results it withdraws them") {
  const pacs studies(false);
  test::deliver::hl7_receiver ris, ehr;
  test::deliver::fhir_server fhir;
  engine e;
  e.configure(ris.address(), ehr.address(), fhir.base_url(), studies.orthanc.dicomweb_url(), R"("job_attempts": 5)",
              R"({"settle_ms": 300})");
  e.start();
  // Before results: study 3 is not in the PACS yet; its job waits and the cancel ends it.
  e.replay({order_for(studies.truth[3], "ORD-W")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM jobs WHERE id = 1", "waiting_for_study") == "waiting_for_study",
                  e.log());
  e.replay({cancel_for(studies.truth[3], "CAN-W")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM jobs WHERE id = 1", "cancelled") == "cancelled", e.log());
  CHECK(e.pg.psql("SELECT i.control_id FROM jobs j JOIN inbound_messages i ON i.id = j.cancelled_by WHERE j.id = 1") ==
        "CAN-W");

  // After results: study 2 done and delivered, then cancelled.
  for (const fs::path& f : test::files_in(studies.root / studies.truth[2].folder)) {
    REQUIRE(studies.orthanc.upload(f) == 1);
  }
  e.replay({order_for(studies.truth[2], "ORD-R")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM jobs WHERE id = 2", "done") == "done", e.log());
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM outbound_messages WHERE status <> 'sent'", "0") == "0", e.log());
  e.replay({cancel_for(studies.truth[2], "CAN-R")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM outbound_messages WHERE revision = 'withdrawal' AND status = 'sent'",
                           "4") == "4",
                  e.log());  // the ORU and three Observations
  CHECK(e.pg.psql("SELECT status || ':' || (withdrawn_at IS NOT NULL) FROM jobs WHERE id = 2") == "done:true");
  // Only the ORU and the Observations are withdrawn; the ADT^A31 and the SR stay as sent.
  CHECK(e.pg.psql("SELECT string_agg(destination || ':' || output, ',' ORDER BY id) FROM outbound_messages "
                  "WHERE revision = 'withdrawal'") == "ris:oru,fhir:observation,fhir:observation,fhir:observation");
  const auto oru = ris.records();
  REQUIRE(oru.size() == 2);
  CHECK(oru[1].obr25 == "X");
  REQUIRE(oru[0].obx11.size() == 5);
  CHECK(oru[1].obx11 == std::vector<std::string>(5, "W"));
  CHECK(oru[1].obx5 == oru[0].obx5);  // the same results, marked withdrawn
  for (const std::string& r : fhir_resources(fhir)) CHECK_MESSAGE(r.ends_with(":entered-in-error:2"), r);
  CHECK(fhir_resources(fhir).size() == 3);
  // The audit trail shows the cancel and the withdrawal.
  const auto audit = e.cli({"audit", "--db", e.pg.conninfo(), studies.truth[2].accession});
  CHECK(audit.status == 0);
  CHECK_MESSAGE(audit.out.find("  results withdrawn by message CAN-R\n") != std::string::npos, audit.out);
  CHECK_MESSAGE(audit.out.find("outbound oru withdrawal ") != std::string::npos, audit.out);
  check_no_patient_data(e, {studies.root});
}


TEST_CASE("pipeline: an ADT^A40 merge while the job waits: every output carries the surviving patient") {
  const pacs studies(false);
  test::deliver::hl7_receiver ris, ehr;
  test::deliver::fhir_server fhir;
  engine e;
  e.configure(ris.address(), ehr.address(), fhir.base_url(), studies.orthanc.dicomweb_url(), R"("job_attempts": 5)",
              R"({"settle_ms": 300})");
  e.start();
  // An emergency registration: the order and the study carry the temporary record (the truth's patient id).
  const study_truth& study = studies.truth[2];
  REQUIRE(study.hemorrhage);
  e.replay({order_for(study, "ORD-M")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM jobs", "waiting_for_study") == "waiting_for_study", e.log());
  // Registration merges it into the patient's permanent record before the images arrive.
  const std::string merge = "MSH|^~\\&|ADT|GENHOSP|AIENGINE|RADBRIDGE|20240312150000||ADT^A40^ADT_A39|ADT-M1|P|2.5\r"
                            "EVN|A40|20240312150000\r"
                            "PID|1||MRN777001^^^GENHOSP^MR||PERMANENT^RECORD^Q||19700101|F\r"
                            "MRG|" + study.patient_id + "^^^GENHOSP^MR\r";
  e.replay({merge});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT array_to_string(patient_ids, ',') FROM jobs", "GENHOSP\x1fMRN777001") ==
                      "GENHOSP\x1fMRN777001",
                  e.log());
  for (const fs::path& f : test::files_in(studies.root / study.folder)) REQUIRE(studies.orthanc.upload(f) == 1);
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM jobs", "done") == "done", e.log());
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM outbound_messages WHERE status <> 'sent'", "0") == "0", e.log());

  // The study still carries the temporary record: the patient check accepts it as the merged patient's.
  const auto oru = ris.records();
  REQUIRE(oru.size() == 1);
  CHECK(oru[0].pid3 == "MRN777001");
  const auto adt = ehr.records();
  REQUIRE(adt.size() == 1);  // critical, by truth
  CHECK(adt[0].pid3 == "MRN777001");
  const std::string observations =
      e.pg.psql("SELECT string_agg(convert_from(payload, 'UTF8'), ' ') FROM outbound_messages WHERE output = 'observation'");
  CHECK_MESSAGE(observations.find(R"("value":"MRN777001")") != std::string::npos, observations);
  CHECK_MESSAGE(observations.find(study.patient_id) == std::string::npos, observations);
  const std::string hl7_outputs = e.pg.psql(
      "SELECT string_agg(convert_from(payload, 'UTF8'), ' ') FROM outbound_messages WHERE output IN ('oru', 'adt')");
  CHECK_MESSAGE(hl7_outputs.find("PERMANENT^RECORD^Q") != std::string::npos, hl7_outputs);
  CHECK_MESSAGE(hl7_outputs.find(study.patient_id) == std::string::npos, hl7_outputs);
  // The SR stays with its study in the PACS, under the PatientID the PACS files it by.
  CHECK(e.pg.psql("SELECT count(*) FROM outbound_messages WHERE output = 'sr'") == "2");
  CHECK_MESSAGE(e.log().find("patient_move inbound_id=2 control_id=ADT-M1 moves=1") != std::string::npos, e.log());
  check_no_patient_data(e, {studies.root});
}

TEST_CASE("pipeline: a worker that segfaults on a job is restarted; the listener still ACKs; the job fails after its attempts") {
  const silent_server hanging_pacs;
  test::deliver::hl7_receiver ris, ehr;
  test::deliver::fhir_server fhir;
  engine e;
  e.configure(ris.address(), ehr.address(), fhir.base_url(), hanging_pacs.dicomweb_url(), R"("job_attempts": 2)");
  e.start();
  e.replay({order_for({"ACC-CRASH", "SYNP-CRASH", "", false, ""}, "ORD-CRASH")});
  pid_t worker = 0;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const std::string running = "running " + std::to_string(attempt);
    REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status || ' ' || attempts FROM jobs", running) == running, e.log());
    worker = worker_pid(e, worker);
    REQUIRE(::kill(worker, SIGSEGV) == 0);
    // Plainly killed by the signal (signal=11), or, under AddressSanitizer, which reports a SEGV
    // and exits, code=1: either way not asked to stop.
    const std::string exited = "error worker_exited pid=" + std::to_string(worker) + " ";
    for (int i = 0; i < 600 && e.log().find(exited) == std::string::npos; ++i) std::this_thread::sleep_for(50ms);
    const std::size_t at = e.log().find(exited);
    REQUIRE_MESSAGE(at != std::string::npos, e.log());
    const std::string line = e.log().substr(at, e.log().find('\n', at) - at);
    CHECK_MESSAGE((line.ends_with(" signal=11 asked=no") || line.ends_with(" code=1 asked=no")), line);
    // The listener and the rest of the engine live on.
    e.replay({test::replace_all(test::read_file(test::source_dir() / "samples/hl7/adt_a31_update_person.hl7"),
                          "|P|", "-" + std::to_string(attempt) + "|P|")});
  }
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status || ' ' || failure FROM jobs", "failed attempts_exhausted") ==
                      "failed attempts_exhausted",
                  e.log());
  CHECK(e.pg.psql("SELECT error FROM jobs") ==
        "attempts_exhausted: the lease ran out on attempt 2 of 2 (the worker stopped or crashed)");
  CHECK(e.pg.psql("SELECT count(*) FROM inbound_messages") == "3");
  CHECK(e.pg.psql("SELECT count(*) FROM outbound_messages") == "0");
  CHECK_MESSAGE(e.log().find("worker_leases_released pid=" + std::to_string(worker) + " jobs=1") != std::string::npos,
                e.log());
  check_no_patient_data(e, {});
}

TEST_CASE("pipeline: two engines on one database share 20 studies; one killed with -9 midway: every job done once, "
          "every result delivered, in order") {
  test::temp_folder studies_dir("radbridge-pipeline-twenty");
  test::generate(studies_dir.path(), 77, 20, 16, 128);
  const std::vector<study_truth> truth = read_truth(studies_dir.path() / "truth.json");
  REQUIRE(truth.size() == 20);
  const test::orthanc_server orthanc;
  REQUIRE(orthanc.upload(studies_dir.path()) == 20 * 16);
  test::deliver::hl7_receiver ris, ehr;
  test::deliver::fhir_server fhir;
  engine a;
  a.configure(ris.address(), ehr.address(), fhir.base_url(), orthanc.dicomweb_url(),
              R"("job_attempts": 5, "job_lease_ms": 3000)", R"({"settle_ms": 200})");
  a.start();
  // Engine B: the same configuration on the same database, listening on its own ports.
  const std::uint16_t port_b = test::free_tcp_port();
  test::write_file(a.dir.path() / "radbridge-b.json",
        test::replace_all(test::replace_all(test::read_file(a.dir.path() / "radbridge.json"),
                                            "127.0.0.1:" + std::to_string(a.port), "127.0.0.1:" + std::to_string(port_b)),
                          "127.0.0.1:" + std::to_string(a.admin_port),
                          "127.0.0.1:" + std::to_string(test::free_tcp_port())));
  test::spawn_options options;
  options.out = test::stdio_target::append_to(a.dir.path() / "engine-b.log");
  options.err = test::stdio_target::append_to(a.dir.path() / "engine-b.log");
  options.stop_grace = 5s;
  test::child_process b({RADBRIDGE_BINARY, "serve", "--config", (a.dir.path() / "radbridge-b.json").string(), "--db",
                         a.pg.conninfo()},
                        options);
  const auto b_log = [&] { return test::read_file(a.dir.path() / "engine-b.log"); };
  for (int i = 0; i < 300 && b_log().find("worker_started") == std::string::npos; ++i) std::this_thread::sleep_for(50ms);
  REQUIRE_MESSAGE(b_log().find("worker_started") != std::string::npos, b_log());

  std::vector<std::string> orders;
  for (std::size_t i = 0; i < truth.size(); ++i) orders.push_back(order_for(truth[i], "ORD-" + std::to_string(i)));
  a.replay(orders);
  // Midway, engine A dies at once (its worker goes with it).
  REQUIRE_MESSAGE(wait_for(a.pg, "SELECT count(*) >= 5 FROM jobs WHERE status = 'done'", "t") == "t", a.log());
  a.process->signal(SIGKILL);
  REQUIRE(a.process->wait_for(30s).has_value());
  REQUIRE_MESSAGE(wait_for(a.pg, "SELECT count(*) FROM jobs WHERE status = 'done'", "20", 300s) == "20", b_log());
  REQUIRE_MESSAGE(wait_for(a.pg, "SELECT count(*) FROM outbound_messages WHERE status <> 'sent'", "0", 120s) == "0",
                  b_log());

  // Each job done once: one finish, two inferences, one set of outputs.
  CHECK(a.pg.psql("SELECT count(*) || ' ' || count(DISTINCT inbound_id) FROM jobs") == "20 20");
  CHECK(a.pg.psql("SELECT count(*) FROM inference_audit") == "40");
  CHECK(a.pg.psql("SELECT count(*) FROM outbound_messages WHERE output = 'oru'") == "20");
  // The RIS got every ORU at least once, only ours, in the order the jobs finished (a resend
  // after the kill repeats the same MSH-10).
  const std::vector<std::string> expected =
      [&] {
        std::vector<std::string> ids;
        std::istringstream in(a.pg.psql("SELECT string_agg(identity, ' ' ORDER BY id) FROM outbound_messages "
                                        "WHERE destination = 'ris'"));
        for (std::string id; in >> id;) ids.push_back(id);
        return ids;
      }();
  std::vector<std::string> first_seen;
  for (const auto& r : ris.records()) {
    CHECK_MESSAGE(std::find(expected.begin(), expected.end(), r.control_id) != expected.end(), r.control_id);
    if (std::find(first_seen.begin(), first_seen.end(), r.control_id) == first_seen.end()) {
      first_seen.push_back(r.control_id);
    }
  }
  CHECK(first_seen == expected);
  // The FHIR server holds three Observations per study, each once.
  CHECK(fhir.control("GET", "/control/state").find("observations")->as_number() == 60);
  b.signal(SIGTERM);
  CHECK(b.wait_for(60s) == std::optional<int>(0));
  check_no_patient_data(a, {studies_dir.path()}, {a.dir.path() / "engine-b.log"});
}

// The console (engine/admin/assets/console), as an operator uses it, in
// Debian's Chromium driven by playwright-core (tests/support/console/console_act.mjs).
TEST_CASE("pipeline: in the console an operator switches a silent route to active and the next study alerts; "
          "the alert the EHR refused, requeued there, is delivered") {
  const pacs studies;
  REQUIRE(studies.truth[2].hemorrhage);
  REQUIRE(studies.truth[3].hemorrhage);
  test::deliver::hl7_receiver ris;
  std::optional<test::deliver::hl7_receiver> ehr(std::in_place, std::uint16_t{0}, std::string("AE"));
  test::deliver::fhir_server fhir;
  engine e;
  e.configure(ris.address(), ehr->address(), fhir.base_url(), studies.orthanc.dicomweb_url());
  // The stroke route starts silent; an operator token for the console.
  const fs::path stroke = e.dir.path() / "mappings/stroke.json";
  test::write_file(stroke, test::replace_all(test::read_file(stroke), "\"mode\": \"active\"", "\"mode\": \"silent\""));
  const test::captured minted = e.cli({"admin-token", "night-operator", "operator"});
  REQUIRE_MESSAGE(minted.status == 0, minted.err);
  const std::string token = minted.out.substr(7, 64);  // "token: " then 64 hex digits
  const std::string entry = minted.out.substr(minted.out.rfind('{'));
  test::write_file(e.dir.path() / "tokens.json", "{\"tokens\": [" + entry + "]}");
  const fs::path config = e.dir.path() / "radbridge.json";
  const std::string listen = "\"listen\": \"127.0.0.1:" + std::to_string(e.admin_port) + "\"";
  test::write_file(config, test::replace_all(test::read_file(config), listen,
                                             listen + ", \"tokens_file\": \"" + (e.dir.path() / "tokens.json").string() + "\""));
  e.start();
  const std::string console = "http://127.0.0.1:" + std::to_string(e.admin_port) + "/";
  const auto act = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {test::node_binary().string(),
                               (test::source_dir() / "tests/support/console/console_act.mjs").string(), console, token});
    return test::run_captured(args, {}, "", 120s);
  };

  // Silent: the study with a hemorrhage is read, nothing leaves.
  e.replay({order_for(studies.truth[2], "ORD-S")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM jobs WHERE status = 'done'", "1") == "1", e.log());
  CHECK(e.pg.psql("SELECT mode || ' ' || acuity FROM jobs") == "silent critical");
  CHECK(e.pg.psql("SELECT count(*) FROM outbound_messages") == "0");

  const test::captured switched = act({"mode", "stroke_ct_head_ich", "active", "validated in silent mode"});
  CHECK_MESSAGE(switched.out == "ok mode\n", switched.out, switched.err);
  // The next study alerts: its ADT^A31 reaches the EHR, which refuses it (AE): a dead letter.
  e.replay({order_for(studies.truth[3], "ORD-A")});
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT count(*) FROM jobs WHERE status = 'done'", "2") == "2", e.log());
  CHECK(e.pg.psql("SELECT mode FROM jobs WHERE id = 2") == "active");
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM outbound_messages WHERE output = 'adt'", "dead") == "dead", e.log());
  REQUIRE(ehr->records().size() == 1);
  CHECK(ehr->records()[0].type == "ADT^A31^ADT_A05");
  CHECK(ehr->records()[0].pid3 == studies.truth[3].patient_id);

  // The EHR is fixed; the operator requeues the alert in the console and it is delivered.
  const std::uint16_t ehr_port = ehr->port();
  ehr.reset();
  test::deliver::hl7_receiver fixed(ehr_port, "AA");
  const test::captured requeued = act({"requeue", "ehr_acuity"});
  CHECK_MESSAGE(requeued.out == "ok requeue\n", requeued.out, requeued.err);
  REQUIRE_MESSAGE(wait_for(e.pg, "SELECT status FROM outbound_messages WHERE output = 'adt'", "sent") == "sent", e.log());
  REQUIRE(fixed.records().size() == 1);
  CHECK(fixed.records()[0].type == "ADT^A31^ADT_A05");
  CHECK(e.pg.psql("SELECT string_agg(who || ' ' || action || ' ' || target, '; ' ORDER BY id) FROM admin_audit") ==
        "night-operator route_mode routes/stroke_ct_head_ich; night-operator requeue outbound_messages/" +
            e.pg.psql("SELECT id FROM outbound_messages WHERE output = 'adt'"));
  check_no_patient_data(e, {studies.root});
}

TEST_SUITE_END();
