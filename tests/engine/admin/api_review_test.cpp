// engine/admin's clinical review endpoints against a real PostgreSQL: a
// reviewer agrees or disagrees with a finding (audited; shown in the
// study's trail), and a route's validation report with its verdict.
#include <string>

#include <doctest/doctest.h>

#include "engine/admin/api_fixture.hpp"
#include "store/drift_store.hpp"

namespace test = radbridge::test;
using test::api_fixture;

namespace {

// The done job of study A1 (active) found a hemorrhage (probability 0.9); B1's (silent) found none: the
// report shows the two rollout modes apart.
void add_results(api_fixture& f) {
  f.pg.psql(
      R"(UPDATE jobs SET results = '[{"model": "ich_classifier", "version": "1.0.0", "findings": [{"label": )"
      R"("intracranial_hemorrhage", "present": true, "probability": 0.9}]}]', finished_at = received_at + )"
      R"(interval '40 seconds' FROM inbound_messages WHERE inbound_messages.id = jobs.inbound_id AND jobs.id = 1;)"
      "INSERT INTO inbound_messages (interface, sending_application, sending_facility, control_id, message_type, "
      "trigger_event, payload, payload_sha256, ack_code, ack, received_at) VALUES "
      "('lab', 'RIS', 'HOSP', 'C4', 'ORM', 'O01', 'x', 'x', 'AA', 'x', '2026-12-06T11:00:00Z');"
      R"(INSERT INTO jobs (inbound_id, route, study_key_kind, study_key, mode, status, finished_at, results) VALUES )"
      R"((4, 'stroke', 'accession', 'B1', 'silent', 'done', '2026-12-06T11:00:20Z', '[{"model": "ich_classifier", )"
      R"("version": "1.0.0", "findings": [{"label": "intracranial_hemorrhage", "present": false, )"
      R"("probability": 0.1}]}]'))");
}

}  // namespace

TEST_CASE("admin api: a reviewer agrees or disagrees with a finding; audited, in the trail, counted in the report") {
  api_fixture f;
  add_results(f);
  const std::string body = R"({"route": "stroke", "finding": "intracranial_hemorrhage", "verdict": "disagree", )"
                           R"("comment": "calcification"})";
  const auto viewer = f.call("POST", "/api/v1/studies/A1/feedback", f.k.viewer, body);
  CHECK(viewer.head.status == 403);
  CHECK(viewer.body == R"({"error":"this needs the reviewer role; token \"ana\" has viewer"})");
  const auto bad = f.call("POST", "/api/v1/studies/A1/feedback", f.k.reviewer,
                          R"({"route": "stroke", "finding": "intracranial_hemorrhage", "verdict": "maybe"})");
  CHECK(bad.head.status == 400);
  CHECK(bad.body == R"({"error":"feedback needs a body {\"route\": ..., \"finding\": ..., \"verdict\": \"agree\" | )"
                    R"(\"disagree\", \"comment\": ... (optional, at most 2000 bytes)}"})");
  // A comment too long is refused, not dropped.
  const auto long_comment = f.call("POST", "/api/v1/studies/A1/feedback", f.k.reviewer,
                                   R"({"route": "stroke", "finding": "intracranial_hemorrhage", "verdict": "agree", )"
                                   R"("comment": ")" + std::string(2001, 'x') + R"("})");
  CHECK(long_comment.head.status == 400);
  CHECK(f.pg.psql("SELECT count(*) FROM feedback") == "0");
  const auto value = f.call("POST", "/api/v1/studies/A1/feedback", f.k.reviewer,
                            R"({"route": "stroke", "finding": "hemorrhage_volume", "verdict": "agree"})");
  CHECK(value.head.status == 400);
  CHECK(value.body == R"({"error":"the route's result has no present/absent finding \"hemorrhage_volume\""})");
  const auto none = f.call("POST", "/api/v1/studies/C9/feedback", f.k.reviewer, body);
  CHECK(none.head.status == 404);
  CHECK(none.body == R"({"error":"route \"stroke\" has no result on this study to judge"})");

  const auto given = f.call("POST", "/api/v1/studies/A1/feedback", f.k.reviewer, body);
  CHECK(given.head.status == 201);
  CHECK_MESSAGE(given.body.starts_with(R"({"id":1,"route":"stroke","finding":"intracranial_hemorrhage","source":"manual",)"
                                       R"("verdict":"negative","value":null,"report_status":null,"report_time":null,)"
                                       R"("inbound_id":null,"job_id":1,"ai_verdict":"positive","author":"rita",)"
                                       R"("comment":"calcification","recorded_at":")"),
                given.body);
  CHECK_MESSAGE(given.body.ends_with(R"(","superseded_at":null})"), given.body);
  CHECK(f.pg.psql("SELECT who || ' ' || role || ' ' || action || ' ' || target || ' ' || detail FROM admin_audit "
                  "WHERE action = 'feedback'") == "rita reviewer feedback studies/A1 stroke intracranial_hemorrhage: disagree");
  const auto trail = f.call("GET", "/api/v1/studies/A1", f.k.viewer);
  CHECK_MESSAGE(trail.body.find(R"("feedback":[{"id":1,"route":"stroke","finding":"intracranial_hemorrhage",)"
                                R"("source":"manual","verdict":"negative",)") != std::string::npos,
                trail.body);
  // An operator may too (the ladder); B1's verdict agrees with "absent".
  const auto agree = f.call("POST", "/api/v1/studies/B1/feedback", f.k.operator_,
                            R"({"route": "stroke", "finding": "intracranial_hemorrhage", "verdict": "agree"})");
  CHECK(agree.head.status == 201);

  const auto report = f.call("GET", "/api/v1/report?route=stroke", f.k.viewer);
  CHECK(report.head.status == 200);
  CHECK_MESSAGE(report.body.starts_with(R"({"route":"stroke","model":null,"since":null,"groups":[{"model":)"
                                        R"("ich_classifier","version":"1.0.0","mode":"active","studies":1,)"
                                        R"("with_feedback":1,"findings":[{"label":"intracranial_hemorrhage",)"
                                        R"("confusion":{"true_positive":0,"false_positive":1,"false_negative":0,)"
                                        R"("true_negative":0,"uncertain":0,"no_verdict":0},"sensitivity":null,)"),
                report.body);
  CHECK_MESSAGE(report.body.find(R"("mode":"silent","studies":1,"with_feedback":1,)") != std::string::npos, report.body);
  CHECK_MESSAGE(report.body.find(R"("order_to_result_ms":{"count":1,"p50":40000.0,"p90":40000.0,"max":40000.0},)"
                                 R"("order_to_delivery_ms":{"count":0},"verdict":"not enough data",)"
                                 R"("reasons":["intracranial_hemorrhage: 1 of 2 studies with a positive or negative )"
                                 R"(verdict"]})") != std::string::npos,
                report.body);
  const auto later = f.call("GET", "/api/v1/report?route=stroke&since=2999-01-01", f.k.viewer);
  CHECK(later.body == R"({"route":"stroke","model":null,"since":"2999-01-01","groups":[]})");
  CHECK(f.call("GET", "/api/v1/report?route=stroke&since=2026-13-01", f.k.viewer).body ==
        R"({"error":"since must be a date YYYY-MM-DD"})");
  CHECK(f.call("GET", "/api/v1/report?route=nope", f.k.viewer).body == R"({"error":"no route \"nope\""})");
  CHECK(f.call("GET", "/api/v1/report", f.k.viewer).body == R"({"error":"route is required"})");
  CHECK(f.call("GET", "/api/v1/report?route=stroke&x=1", f.k.viewer).head.status == 400);
}

TEST_CASE("admin api: a route's drift monitors, from what each inference was given") {
  api_fixture f;
  add_results(f);
  f.pg.psql("INSERT INTO inference_audit (job_id, study_uid, series_uid, model, model_version, model_sha256, timings_ms, "
            "findings, input_profile) SELECT id, '1.2', '1.2.3', 'ich_classifier', '1.0.0', 'x', '{}', results->0->'findings', "
            "'{\"manufacturer\": \"ACME\", \"kvp\": 120, \"slice_thickness_mm\": 5, \"pixel_spacing_mm\": 0.5, "
            "\"hu_mean\": 30, \"hu_sd\": 20}' FROM jobs WHERE results IS NOT NULL");
  const auto drift = f.call("GET", "/api/v1/drift?route=stroke", f.k.viewer);
  CHECK(drift.head.status == 200);
  CHECK_MESSAGE(drift.body.starts_with(R"({"route":"stroke","rules":{"reference_studies":5,"window_days":7,)"
                                       R"("min_studies":1},"models":[{"model":"ich_classifier","state":)"
                                       R"("not enough data","reference_studies":2,"window_studies":2,"features":[)"
                                       R"({"feature":"positive_rate","reference":0.5,"current":0.5,"score":0.0,)"
                                       R"("threshold":0.15,"over":false},)"),
                drift.body);
  CHECK(f.call("GET", "/api/v1/drift?route=nope", f.k.viewer).body == R"({"error":"no route \"nope\""})");
  // A drift state (/readyz, /metrics) reads each model's first studies and the window only, not the whole audit.
  f.pg.psql("INSERT INTO inference_audit (job_id, study_uid, series_uid, model, model_version, model_sha256, timings_ms, "
            "findings, created_at) VALUES (1, '1.0', '1.0.1', 'ich_classifier', '1.0.0', 'x', '{}', '[]', '2026-01-05'), "
            "(1, '1.1', '1.1.1', 'ich_classifier', '1.0.0', 'x', '{}', '[]', '2026-01-06')");
  radbridge::store::database db(f.pg.conninfo());
  const auto weeks = [](const std::vector<radbridge::store::drift_row>& rows) {
    std::string out;
    for (const auto& r : rows) out += (out.empty() ? "" : " ") + r.week + (r.recent ? "+" : "");
    return out;
  };
  const std::string this_week = f.pg.psql("SELECT to_char(date_trunc('week', now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD')");
  CHECK(weeks(radbridge::store::drift_rows(db, "stroke", 7)) ==
        "2026-01-05 2026-01-05 " + this_week + "+ " + this_week + "+");
  CHECK(weeks(radbridge::store::drift_rows(db, "stroke", 7, 1)) == "2026-01-05 " + this_week + "+ " + this_week + "+");
  CHECK(f.call("GET", "/api/v1/drift?route=stroke&model=x", f.k.viewer).body ==
        R"({"error":"unknown parameter \"model\""})");
}
