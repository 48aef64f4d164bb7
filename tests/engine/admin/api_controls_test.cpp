// engine/admin's API for following studies and steering the engine, against
// a real PostgreSQL: a study's trail with every delivery attempt, the
// worklist by acuity then arrival, destinations paused (their lane claims
// nothing) and resumed, a route's rollout mode switched (the next routed job
// takes it), each action audited; and every endpoint's answers checked
// against the served OpenAPI document by npm's OpenAPI validator and ajv.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "engine/admin/api_fixture.hpp"
#include "store/job_store.hpp"
#include "store/outbound_store.hpp"
#include "support/openapi_validator.hpp"

namespace store = radbridge::store;
namespace test = radbridge::test;
namespace work = radbridge::work;
using test::api_fixture;
using namespace std::chrono_literals;

namespace {

// Two more studies for the worklist: B1 (urgent) and C1 (still running), both after A1.
void add_worklist_jobs(api_fixture& f) {
  f.pg.psql(
      "INSERT INTO inbound_messages (interface, sending_application, sending_facility, control_id, message_type, "
      "trigger_event, payload, payload_sha256, ack_code, ack, received_at) VALUES "
      "('lab', 'RIS', 'HOSP', 'C4', 'ORM', 'O01', 'x', 'x', 'AA', 'x', now() - interval '2 hours'),"
      "('lab', 'RIS', 'HOSP', 'C5', 'ORM', 'O01', 'x', 'x', 'AA', 'x', now() - interval '1 hour');"
      "INSERT INTO jobs (inbound_id, route, study_key_kind, study_key, mode, status, acuity) VALUES "
      "(4, 'stroke', 'accession', 'B1', 'active', 'done', 'urgent'),"
      "(5, 'stroke', 'accession', 'C1', 'active', 'running', NULL);"
      // A1 is critical but oldest; the failed job never shows.
      "INSERT INTO jobs (inbound_id, route, study_key_kind, study_key, mode, status, acuity) VALUES "
      "(5, 'other', 'accession', 'F1', 'active', 'failed', NULL)");
}

}  // namespace

TEST_CASE("admin api: a study's trail shows its jobs, inferences and every delivery attempt") {
  api_fixture f;
  f.pg.psql(
      "UPDATE jobs SET failure = NULL, probe_series = '1.2.3.4', probe_instances = 32, "
      "probe_since = '2026-12-06T10:00:05Z', finished_at = '2026-12-06T10:00:40Z' WHERE id = 1;"
      "INSERT INTO inference_audit (job_id, study_uid, series_uid, model, model_version, model_sha256, timings_ms, "
      "findings, created_at) VALUES (1, '1.2.3', '1.2.3.4', 'ich_classifier', '1.0.0', '" +
      std::string(64, 'a') +
      "', '{\"inference\": 634}', '[{\"label\": \"intracranial_hemorrhage\", \"present\": true}]', "
      "'2026-12-06T10:00:30Z');"
      "INSERT INTO delivery_attempts (outbound_id, destination, attempt, outcome, error, at) VALUES "
      "(1, 'ris', 1, 'retry', 'connection refused', '2026-12-06T10:00:41Z'),"
      "(1, 'ris', 2, 'dead', 'gave up after 2 attempts: connection refused', '2026-12-06T10:01:41Z')");
  const radbridge::net::http_response trail = f.call("GET", "/api/v1/studies/A1", f.k.viewer);
  CHECK(trail.head.status == 200);
  CHECK_MESSAGE(trail.body.starts_with(
                    R"({"study_key":"A1","jobs":[{"id":1,"route":"stroke","mode":"active","status":"done",)"
                    R"("acuity":"critical","failure":null,"error":null,"attempts":0,"inbound_id":3,"control_id":"C3",)"),
                trail.body);
  CHECK_MESSAGE(trail.body.find(R"("finished_at":"2026-12-06T10:00:40.000Z","cancelled_by":null,"withdrawn":false,)"
                                R"("readiness":{"series_uid":"1.2.3.4","instances":32,)"
                                R"("since":"2026-12-06T10:00:05.000Z"},"inferences":[{"model":"ich_classifier",)"
                                R"("version":"1.0.0","sha256":")" +
                                std::string(64, 'a') +
                                R"(","study_uid":"1.2.3","series_uid":"1.2.3.4","timings_ms":{"inference": 634},)"
                                R"("findings":[{"label": "intracranial_hemorrhage", "present": true}],)"
                                R"("at":"2026-12-06T10:00:30.000Z"}],)") != std::string::npos,
                trail.body);
  CHECK_MESSAGE(trail.body.find(R"({"id":1,"destination":"ris","output":"oru","identity":"RB1","revision":"original",)"
                                R"("status":"dead","attempts":3,"last_error":"gave up after 3 attempts: unreachable",)"
                                R"("deliveries":[{"attempt":1,"outcome":"retry","error":"connection refused",)"
                                R"("at":"2026-12-06T10:00:41.000Z"},{"attempt":2,"outcome":"dead","error":)"
                                R"("gave up after 2 attempts: connection refused","at":"2026-12-06T10:01:41.000Z"}]})") !=
                    std::string::npos,
                trail.body);
  CHECK_MESSAGE(trail.body.ends_with(R"("identity":"RB2","revision":"original","status":"dead","attempts":1,)"
                                     R"("last_error":"rejected: AE","deliveries":[]}]}],"feedback":[]})"),
                trail.body);
  const radbridge::net::http_response none = f.call("GET", "/api/v1/studies/NOPE", f.k.viewer);
  CHECK(none.head.status == 404);
  CHECK(none.body == R"({"error":"no jobs for this study key"})");
  // A Study Instance UID in the path, %-encoded or not, is a key like any other.
  CHECK(f.call("GET", "/api/v1/studies/1.2.840%2E99", f.k.viewer).body == R"({"error":"no jobs for this study key"})");
}

TEST_CASE("admin api: the worklist puts the most urgent acuity first, then the earliest arrival") {
  api_fixture f;
  f.pg.psql("UPDATE inbound_messages SET received_at = now() - interval '3 hours' WHERE id = 3");
  add_worklist_jobs(f);
  const std::string list = f.call("GET", "/api/v1/worklist", f.k.viewer).body;
  // critical (rank 0) A1, urgent (1) B1, then C1 still running (unranked: 3).
  std::vector<std::string> keys;
  for (std::size_t at = 0; (at = list.find(R"("study_key":")", at)) != std::string::npos; ++at) {
    keys.push_back(list.substr(at + 13, 2));
  }
  CHECK_MESSAGE((keys == std::vector<std::string>{"A1", "B1", "C1"}), list);
  CHECK_MESSAGE(list.find(R"("acuity":"urgent","rank":1,)") != std::string::npos, list);
  CHECK_MESSAGE(list.find(R"("status":"running","acuity":null,"rank":3,)") != std::string::npos, list);
  // A job of a newer critical study goes before B1.
  f.pg.psql("UPDATE jobs SET acuity = 'critical', status = 'done' WHERE study_key = 'C1'");
  const std::string again = f.call("GET", "/api/v1/worklist?hours=24&limit=2", f.k.viewer).body;
  CHECK_MESSAGE(again.find(R"("study_key":"A1")") < again.find(R"("study_key":"C1")"), again);
  CHECK_MESSAGE(again.find(R"("study_key":"B1")") == std::string::npos, again);
  CHECK(f.call("GET", "/api/v1/worklist?hours=500", f.k.viewer).body ==
        R"({"error":"hours must be a whole number from 1 to 168"})");
}

TEST_CASE("admin api: a paused destination's lane claims nothing until it is resumed; both audited") {
  api_fixture f;
  f.pg.psql(
      "INSERT INTO outbound_messages (job_id, destination, output, identity, payload) VALUES (1, 'ris', 'oru', 'RB3', 'x');"
      "INSERT INTO delivery_attempts (outbound_id, destination, attempt, outcome, error, at) VALUES "
      "(1, 'ris', 1, 'retry', 'connection refused', '2026-12-06T10:00:41Z'),"
      "(1, 'ris', 2, 'sent', '', '2026-12-06T10:01:41Z')");
  store::database db(f.pg.conninfo());
  CHECK(f.call("POST", "/api/v1/destinations/ris/pause", f.k.operator_, "{}").body ==
        R"({"error":"pause needs a body {\"reason\": \"...\"}"})");
  const radbridge::net::http_response paused =
      f.call("POST", "/api/v1/destinations/ris/pause", f.k.operator_, R"({"reason": "RIS upgrade 10:00-11:00"})");
  CHECK(paused.head.status == 200);
  CHECK(paused.body == R"({"name":"ris","paused":true})");
  CHECK_FALSE(store::claim_lane_head(db, "ris", 30s).has_value());
  // Nothing is due on a paused lane: its worker waits instead of asking again at once.
  CHECK_FALSE(store::next_lane_due(db, "ris").has_value());
  const radbridge::net::http_response twice =
      f.call("POST", "/api/v1/destinations/ris/pause", f.k.operator_, R"({"reason": "again"})");
  CHECK(twice.head.status == 409);
  CHECK(twice.body == R"({"error":"destination \"ris\" is paused already"})");
  const std::string list = f.call("GET", "/api/v1/destinations", f.k.viewer).body;
  CHECK_MESSAGE(list.starts_with(R"({"destinations":[{"name":"ris","pending":1,"oldest_pending_seconds":)"), list);
  CHECK_MESSAGE(list.find(R"("dead_letters":1,"last_attempt_at":"2026-12-06T10:01:41.000Z","last_outcome":"sent",)"
                          R"("last_failure_at":"2026-12-06T10:00:41.000Z","last_error":"connection refused",)"
                          R"("paused":{"by":"otto","at":")") != std::string::npos,
                list);
  CHECK_MESSAGE(list.ends_with(R"({"name":"ehr","pending":0,"oldest_pending_seconds":0.0,"dead_letters":1,)"
                               R"("last_attempt_at":null,"last_outcome":null,"last_failure_at":null,)"
                               R"("last_error":null,"paused":null}]})"),
                list);
  CHECK(f.call("POST", "/api/v1/destinations/pacs/pause", f.k.operator_, R"({"reason": "x"})").body ==
        R"({"error":"no destination \"pacs\""})");

  CHECK(f.call("POST", "/api/v1/destinations/ris/resume", f.k.operator_).body == R"({"name":"ris","paused":false})");
  REQUIRE(store::next_lane_due(db, "ris").has_value());
  const auto head = store::claim_lane_head(db, "ris", 30s);
  REQUIRE(head.has_value());
  CHECK(head->identity == "RB3");
  CHECK(f.call("POST", "/api/v1/destinations/ris/resume", f.k.operator_).head.status == 409);
  CHECK(f.pg.psql("SELECT string_agg(who || ' ' || action || ' ' || target || ' ' || detail, '; ' ORDER BY id) "
                  "FROM admin_audit") ==
        "otto pause destinations/ris RIS upgrade 10:00-11:00; otto resume destinations/ris ");
}

TEST_CASE("admin api: a route's mode switched by an operator is the mode of the next job routed") {
  api_fixture f;
  const std::string before = f.call("GET", "/api/v1/routes", f.k.viewer).body;
  CHECK(before == R"({"routes":[{"name":"stroke","mapping_mode":"silent","mode":"silent",)"
                  R"("acuity_levels":["critical","urgent","routine"],"changes":[]}]})");
  CHECK(f.call("POST", "/api/v1/routes/stroke/mode", f.k.operator_, R"({"mode": "loud", "reason": "go"})").body ==
        R"({"error":"a mode change needs a body {\"mode\": \"silent\" | \"assist\" | \"active\", \"reason\": \"...\"}"})");
  CHECK(f.call("POST", "/api/v1/routes/other/mode", f.k.operator_, R"({"mode": "active", "reason": "go"})").head.status ==
        404);
  const radbridge::net::http_response changed = f.call(
      "POST", "/api/v1/routes/stroke/mode", f.k.operator_, R"({"mode": "active", "reason": "validated, go-live"})");
  CHECK(changed.head.status == 200);
  CHECK_MESSAGE(changed.body.starts_with(R"({"name":"stroke","mode":"active","change":{"mode":"active",)"
                                         R"("changed_by":"otto","changed_at":")"),
                changed.body);
  const std::string after = f.call("GET", "/api/v1/routes", f.k.viewer).body;
  CHECK_MESSAGE(after.starts_with(R"({"routes":[{"name":"stroke","mapping_mode":"silent","mode":"active",)"), after);
  CHECK_MESSAGE(after.find(R"("reason":"validated, go-live"}]}]})") != std::string::npos, after);

  // The router decides "silent" (the mapping's mode); the job is stored active.
  f.pg.psql(
      "UPDATE inbound_messages SET status = 'routed';"
      "INSERT INTO inbound_messages (interface, sending_application, sending_facility, control_id, message_type, "
      "trigger_event, payload, payload_sha256, ack_code, ack, status) VALUES "
      "('lab', 'RIS', 'HOSP', 'C9', 'ORM', 'O01', 'x', 'x', 'AA', 'x', 'received')");
  store::database db(f.pg.conninfo());
  CHECK(store::route_received(db, 10, [](std::int64_t, std::string_view) {
          store::routing_decision d;
          d.status = work::inbound_status::routed;
          d.jobs.push_back({"stroke", work::study_key_kind::accession, "Z9", work::rollout_mode::silent, {}});
          return d;
        }) == 1);
  CHECK(f.pg.psql("SELECT mode FROM jobs WHERE study_key = 'Z9'") == "active");
  CHECK(f.pg.psql("SELECT who || ' ' || action || ' ' || target || ' ' || detail FROM admin_audit") ==
        "otto route_mode routes/stroke active: validated, go-live");
}

TEST_CASE("admin api: every endpoint's answers match the OpenAPI document it serves") {
  api_fixture f;
  add_worklist_jobs(f);
  const radbridge::net::http_response doc = f.call("GET", "/api/v1/openapi.json", f.k.viewer);
  REQUIRE(doc.head.status == 200);
  CHECK(f.call("GET", "/api/v1/session", f.k.operator_).body == R"({"name":"otto","role":"operator"})");
  f.call("GET", "/api/v1/messages", "");
  f.call("GET", "/api/v1/messages?limit=2", f.k.viewer);
  f.call("GET", "/api/v1/messages?limit=0", f.k.viewer);
  f.call("GET", "/api/v1/messages?mrn=MRN-7", f.k.viewer);
  f.call("GET", "/api/v1/messages?accession=A1", f.k.phi);
  f.call("GET", "/api/v1/messages/1", f.k.viewer);
  f.call("GET", "/api/v1/messages/1", f.k.phi);
  f.call("GET", "/api/v1/messages/99", f.k.viewer);
  f.call("GET", "/api/v1/studies/A1", f.k.viewer);
  f.call("GET", "/api/v1/studies/NOPE", f.k.viewer);
  f.call("GET", "/api/v1/worklist", f.k.viewer);
  f.call("GET", "/api/v1/worklist?limit=900", f.k.viewer);
  f.call("GET", "/api/v1/dead-letters", f.k.viewer);
  f.call("POST", "/api/v1/dead-letters/1/requeue", f.k.viewer);
  f.call("POST", "/api/v1/dead-letters/1/requeue", f.k.operator_);
  f.call("POST", "/api/v1/dead-letters/1/requeue", f.k.operator_);
  f.call("POST", "/api/v1/dead-letters/2/discard", f.k.operator_, "{}");
  f.call("POST", "/api/v1/dead-letters/2/discard", f.k.operator_, R"({"reason": "sent by hand"})");
  f.call("POST", "/api/v1/destinations/ehr/pause", f.k.operator_, R"({"reason": "maintenance"})");
  f.call("POST", "/api/v1/destinations/ehr/pause", f.k.operator_, R"({"reason": "maintenance"})");
  f.call("GET", "/api/v1/destinations", f.k.viewer);
  f.call("POST", "/api/v1/destinations/ehr/resume", f.k.operator_);
  f.call("POST", "/api/v1/destinations/nope/resume", f.k.operator_);
  f.call("POST", "/api/v1/routes/stroke/mode", f.k.operator_, R"({"mode": "assist", "reason": "pilot"})");
  f.call("POST", "/api/v1/routes/stroke/mode", f.k.operator_, R"({"mode": "assist"})");
  f.call("GET", "/api/v1/routes", f.k.viewer);
  f.pg.psql(R"(UPDATE jobs SET results = '[{"model": "m", "version": "1", "findings": [{"label": )"
            R"("intracranial_hemorrhage", "present": true, "probability": 0.9}]}]', finished_at = now() WHERE id = 1)");
  f.call("POST", "/api/v1/studies/A1/feedback", f.k.reviewer,
         R"({"route": "stroke", "finding": "intracranial_hemorrhage", "verdict": "agree"})");
  f.call("POST", "/api/v1/studies/A1/feedback", f.k.reviewer, R"({"route": "stroke"})");
  f.call("POST", "/api/v1/studies/NOPE/feedback", f.k.reviewer,
         R"({"route": "stroke", "finding": "intracranial_hemorrhage", "verdict": "agree"})");
  f.call("GET", "/api/v1/studies/A1", f.k.viewer);
  f.call("GET", "/api/v1/report?route=stroke", f.k.viewer);
  f.call("GET", "/api/v1/report?route=stroke&since=2999-01-01&model=m", f.k.viewer);
  f.call("GET", "/api/v1/report?route=nope", f.k.viewer);
  f.call("GET", "/api/v1/report", f.k.viewer);
  f.pg.psql("INSERT INTO inference_audit (job_id, study_uid, series_uid, model, model_version, model_sha256, timings_ms, "
            "findings, input_profile) VALUES (1, '1.2', '1.2.3', 'm', '1', 'x', '{}', "
            "'[{\"label\": \"intracranial_hemorrhage\", \"present\": true, \"probability\": 0.9}]', "
            "'{\"manufacturer\": \"ACME\", \"kvp\": 120, \"hu_mean\": 30}')");
  f.call("GET", "/api/v1/drift?route=stroke", f.k.viewer);
  f.call("GET", "/api/v1/drift?route=stroke&since=2026-01-01", f.k.viewer);
  std::vector<test::api_answer> answers = f.seen;
  const std::vector<std::string> problems = test::check_openapi(doc.body, answers);
  std::string text;
  for (const std::string& p : problems) text += p + "\n";
  CHECK_MESSAGE(problems.empty(), text);
  // The checker finds what is wrong: an answer the document does not allow.
  answers.push_back({"GET", "/api/v1/destinations", 200, R"({"destinations":[{"name":7}]})"});
  const std::vector<std::string> caught = test::check_openapi(doc.body, answers);
  REQUIRE(caught.size() == 1);
  CHECK_MESSAGE(caught[0].starts_with("GET /api/v1/destinations 200: data/destinations/0"), caught[0]);
}
