// engine/admin's web console in a real browser: Debian's Chromium driven by
// npm's playwright-core (tests/support/console/console_check.mjs) against an
// admin server on a real PostgreSQL. The script's steps are its assertions
// (each prints ok or FAIL with what the page showed); this test checks what
// they changed in the database. The screenshots go to a temporary folder,
// or to $RADBRIDGE_CONSOLE_SHOTS when set (kept there, e.g. for docs/).
#include <cstdlib>
#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include "engine/admin/api_fixture.hpp"
#include "support/process.hpp"

namespace test = radbridge::test;
using namespace std::chrono_literals;

TEST_CASE("admin console: an operator finds a message, follows its study, requeues a dead letter, switches a route") {
  test::api_fixture f;
  // A1's job found a hemorrhage; B1's (no hemorrhage) and D1's (one) agree with their final reports.
  f.pg.psql(
      "INSERT INTO inbound_messages (interface, sending_application, sending_facility, control_id, message_type, "
      "trigger_event, payload, payload_sha256, ack_code, ack) VALUES "
      "('lab', 'RIS', 'HOSP', 'C4', 'ORM', 'O01', 'x', 'x', 'AA', 'x'), ('lab', 'RIS', 'HOSP', 'C5', 'ORM', 'O01', 'x', 'x', 'AA', 'x');"
      "INSERT INTO jobs (inbound_id, route, study_key_kind, study_key, mode, status) VALUES "
      "(4, 'stroke', 'accession', 'B1', 'active', 'done'), (5, 'stroke', 'accession', 'D1', 'active', 'done');"
      "UPDATE jobs SET finished_at = now(), results = jsonb_build_array(jsonb_build_object('model', 'ich_classifier', "
      "'version', '1.0.0', 'findings', jsonb_build_array(jsonb_build_object('label', 'intracranial_hemorrhage', "
      "'display', 'Intracranial hemorrhage', 'present', study_key <> 'B1', 'probability', "
      "CASE study_key WHEN 'A1' THEN 0.9 WHEN 'B1' THEN 0.1 ELSE 0.8 END))));"
      "INSERT INTO inference_audit (job_id, study_uid, series_uid, model, model_version, model_sha256, timings_ms, "
      "findings) SELECT id, '1.2.3', '1.2.3.4', 'ich_classifier', '1.0.0', repeat('a', 64), '{}', results->0->'findings' "
      "FROM jobs;"
      "INSERT INTO feedback (route, study_key, label, source, verdict, report_status, inbound_id) VALUES "
      "('stroke', 'B1', 'intracranial_hemorrhage', 'report', 'negative', 'final', 4),"
      "('stroke', 'D1', 'intracranial_hemorrhage', 'report', 'positive', 'final', 5)");
  test::temp_folder temp("radbridge-console");
  const char* keep = std::getenv("RADBRIDGE_CONSOLE_SHOTS");
  const std::filesystem::path shots = keep != nullptr && *keep != '\0' ? std::filesystem::path(keep) : temp.path();
  const std::string url = "http://127.0.0.1:" + std::to_string(f.server.local_endpoint().port()) + "/";
  const test::captured run =
      test::run_captured({test::node_binary().string(),
                          (test::source_dir() / "tests/support/console/console_check.mjs").string(), url,
                          f.k.operator_, f.k.viewer, shots.string(), f.k.reviewer},
                         {}, "", 120s);
  CHECK_MESSAGE(run.status == 0, (run.out + run.err));
  CHECK(run.out ==
        "ok wrong-token\nok dashboard\nok message-search\nok study-trail\nok worklist\nok dead-letter-requeue\n"
        "ok route-mode\n"
        "ok viewer\n"
        "ok reviewer-feedback\nok validation\n");
  CHECK(f.pg.psql("SELECT status FROM outbound_messages WHERE id = 1") == "pending");
  CHECK(f.pg.psql("SELECT mode || ' ' || changed_by || ' ' || reason FROM route_mode_changes") ==
        "active otto validated on 200 studies");
  CHECK(f.pg.psql("SELECT source || ' ' || verdict || ' ' || ai_verdict || ' ' || author || ' ' || comment FROM feedback "
                  "WHERE study_key = 'A1'") == "manual negative positive rita calcification, not blood");
  for (const char* page : {"dashboard", "message-search", "study-trail", "worklist", "dead-letter-requeue", "route-mode",
                           "viewer", "reviewer-feedback", "validation"}) {
    CHECK_MESSAGE(std::filesystem::file_size(shots / (std::string(page) + ".png")) > 1000, page);
  }
}
