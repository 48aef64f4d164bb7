// engine/store's job queue and outbound lanes against a real private
// PostgreSQL: routing in arrival order, fenced leases (a worker that lost its
// lease has its writes refused), attempts, waiting for a study, finishing in
// one transaction, ordered lanes, retry, dead letter and requeue.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/inbound_store.hpp"
#include "store/job_store.hpp"
#include "store/outbound_store.hpp"
#include "inbound_rows.hpp"
#include "support/postgres_server.hpp"

namespace store = radbridge::store;
using radbridge::test::postgres_server;
using namespace std::chrono_literals;
using radbridge::test::inbound_row;
namespace work = radbridge::work;
using work::inbound_status;
using work::output_kind;

namespace {

struct queue_db {
  postgres_server pg;
  store::database db{pg.conninfo()};
  queue_db() { db.migrate(); }

  // One job for each of `n` stored messages, routed; returns the job ids in order.
  std::vector<std::int64_t> jobs(int n) {
    std::vector<store::inbound_message> rows;
    for (int i = 0; i < n; ++i) rows.push_back(inbound_row("C" + std::to_string(i)));
    store::store_inbound(db, rows);
    store::route_received(db, 100, [](std::int64_t, std::string_view) {
      return store::routing_decision{inbound_status::routed,
                                     {{"stroke", work::study_key_kind::accession, "ACC", work::rollout_mode::active, {}}},
                                     {}, {}, {}};
    });
    std::vector<std::int64_t> ids;
    for (const std::string& id : split(pg.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM jobs"))) {
      ids.push_back(std::stoll(id));
    }
    return ids;
  }

  static std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t comma; (comma = s.find(',', start)) != std::string::npos; start = comma + 1) {
      out.push_back(s.substr(start, comma - start));
    }
    if (start < s.size()) out.push_back(s.substr(start));
    return out;
  }
};

}  // namespace

TEST_CASE("store queues: routing reads received rows in arrival order, once, and records the decision") {
  queue_db q;
  std::vector<store::inbound_message> rows = {inbound_row("A"), inbound_row("B"), inbound_row("C")};
  store::store_inbound(q.db, rows);
  std::vector<std::string> seen;
  const std::size_t routed = store::route_received(q.db, 100, [&](std::int64_t, std::string_view payload) {
    seen.emplace_back(payload.substr(payload.rfind("O01|") + 4, 1));
    if (seen.back() == "B") return store::routing_decision{inbound_status::filtered, {}, {}, {}, {}};
    return store::routing_decision{
        inbound_status::routed,
        {{"stroke", work::study_key_kind::accession, "ACC-" + seen.back(), work::rollout_mode::active, {}},
         {"trauma", work::study_key_kind::study_uid, "ACC-" + seen.back(), work::rollout_mode::assist, {}}},
        {}, {}, {}};
  });
  CHECK(routed == 3);
  CHECK(seen == std::vector<std::string>{"A", "B", "C"});
  CHECK(q.pg.psql("SELECT string_agg(status, ',' ORDER BY id) FROM inbound_messages") == "routed,filtered,routed");
  CHECK(q.pg.psql("SELECT string_agg(route || ':' || study_key_kind || ':' || study_key || ':' || mode, ',' "
                  "ORDER BY id) FROM jobs") ==
        "stroke:accession:ACC-A:active,trauma:study_uid:ACC-A:assist,stroke:accession:ACC-C:active,"
        "trauma:study_uid:ACC-C:assist");
  // Nothing is received any more: a second pass decides nothing.
  CHECK(store::route_received(q.db, 100, [](std::int64_t, std::string_view) -> store::routing_decision {
          FAIL("no row should be offered again");
          return {};
        }) == 0);
  // Bad mode values are refused by the schema.
  CHECK_THROWS(q.pg.psql("UPDATE jobs SET mode = 'loud'"));
}

TEST_CASE("store queues: a job is claimed once, leased, finished with audit and outbound rows in one go") {
  queue_db q;
  const std::vector<std::int64_t> ids = q.jobs(2);
  REQUIRE(ids.size() == 2);
  const auto first = store::claim_job(q.db, 60s);
  REQUIRE(first.has_value());
  CHECK(first->held.id == ids[0]);
  CHECK(first->held.token > 0);
  CHECK(first->attempts == 1);
  CHECK(first->route == "stroke");
  CHECK(first->key_kind == work::study_key_kind::accession);
  CHECK(first->mode == work::rollout_mode::active);
  CHECK_FALSE(first->probe.has_value());
  CHECK(first->order.find("ORM^O01|C0|") != std::string::npos);
  const auto second = store::claim_job(q.db, 60s);
  REQUIRE(second.has_value());
  CHECK(second->held.id == ids[1]);
  CHECK(second->held.token != first->held.token);
  CHECK_FALSE(store::claim_job(q.db, 60s).has_value());  // both leased

  CHECK(store::finish_job(q.db, first->held, store::job_result{"critical", R"([{"model": "m"}])", "v1", {{"1.2", "1.2.3", 32, "ich_classifier", "1.0.0", "abc", R"({"inference": 12.5})", "[]"}}, {{"ris", output_kind::oru, "RB1", "", "ORU BYTES"},
                           {"pacs", output_kind::sr, "2.25.9", "1.2", std::string("DICM\0x", 6)}}, {}}));
  CHECK(q.pg.psql("SELECT status || ',' || acuity || ',' || (results->0->>'model') || ',' || (lease IS NULL) "
                  "FROM jobs WHERE id = " + std::to_string(first->held.id)) == "done,critical,m,true");
  CHECK(q.pg.psql("SELECT model || ' ' || model_version || ' ' || instances || ' ' || (timings_ms->>'inference') "
                  "FROM inference_audit") == "ich_classifier 1.0.0 32 12.5");
  CHECK(q.pg.psql("SELECT string_agg(destination || ':' || output || ':' || length(payload), ',' ORDER BY id) "
                  "FROM outbound_messages") == "ris:oru:9,pacs:sr:6");
  // Finishing again with the same lease is refused: the job is no longer running under it.
  CHECK_FALSE(store::finish_job(q.db, first->held, store::job_result{"critical", "[]", "v1", {}, {{"ris", output_kind::oru, "RB2", "", "x"}}, {}}));
  CHECK(q.pg.psql("SELECT count(*) FROM outbound_messages") == "2");

  CHECK(store::retry_job(q.db, second->held, 0ms, "timeout: fetch"));
  const auto again = store::claim_job(q.db, 60s);
  REQUIRE(again.has_value());
  CHECK(again->held.id == second->held.id);
  CHECK(again->attempts == 2);
  CHECK(store::fail_job(q.db, again->held, "patient_mismatch", "patient_mismatch: the order's patient is not the study's"));
  CHECK(q.pg.psql("SELECT status || ' ' || failure || ' / ' || error FROM jobs WHERE id = " +
                  std::to_string(again->held.id)) ==
        "failed patient_mismatch / patient_mismatch: the order's patient is not the study's");
}

TEST_CASE("store queues: a lease taken over from a slow worker: the late worker's writes are all refused") {
  queue_db q;
  q.jobs(1);
  const auto slow = store::claim_job(q.db, 60s);
  REQUIRE(slow.has_value());
  CHECK(store::renew_lease(q.db, slow->held, 60s));
  // The slow worker's lease runs out; another worker takes the job.
  q.pg.psql("UPDATE jobs SET lease_until = now() - interval '1 second'");
  const auto fast = store::claim_job(q.db, 60s);
  REQUIRE(fast.has_value());
  CHECK(fast->held.id == slow->held.id);
  CHECK(fast->attempts == 2);  // a reclaimed lease counts as an attempt

  CHECK_FALSE(store::renew_lease(q.db, slow->held, 60s));
  CHECK_FALSE(store::finish_job(q.db, slow->held, store::job_result{"critical", "[]", "v1", {{"1.2", "1.2.3", 32, "m", "1", "abc", "{}", "[]"}}, {{"ris", output_kind::oru, "RB-SLOW", "", "late"}}, {}}));
  CHECK_FALSE(store::retry_job(q.db, slow->held, 0ms, "late"));
  CHECK_FALSE(store::fail_job(q.db, slow->held, "exception", "late"));
  CHECK_FALSE(store::wait_for_study(q.db, slow->held, 0ms, {"1.2.3", 10, 0}));
  CHECK(q.pg.psql("SELECT count(*) FROM outbound_messages") == "0");
  CHECK(q.pg.psql("SELECT count(*) FROM inference_audit") == "0");
  CHECK(q.pg.psql("SELECT status || ' ' || lease FROM jobs") == "running " + std::to_string(fast->held.token));

  CHECK(store::finish_job(q.db, fast->held, store::job_result{"routine", "[]", "v1", {}, {{"ris", output_kind::oru, "RB-FAST", "", "on time"}}, {}}));
  CHECK(q.pg.psql("SELECT string_agg(identity, ',') FROM outbound_messages") == "RB-FAST");
}

TEST_CASE("store queues: a job whose lease runs out on its last attempt fails as attempts_exhausted") {
  queue_db q;
  q.jobs(1);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    CHECK(store::fail_exhausted(q.db, 3).empty());
    const auto job = store::claim_job(q.db, 60s);
    REQUIRE(job.has_value());
    CHECK(job->attempts == attempt);
    q.pg.psql("UPDATE jobs SET lease_until = now() - interval '1 second'");  // its worker crashed
  }
  const std::vector<store::exhausted_job> failed = store::fail_exhausted(q.db, 3);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].route == q.pg.psql("SELECT route FROM jobs"));
  CHECK_FALSE(store::claim_job(q.db, 60s).has_value());
  CHECK(q.pg.psql("SELECT status || ' ' || failure || ' / ' || error FROM jobs") ==
        "failed attempts_exhausted / attempts_exhausted: the lease ran out on attempt 3 of 3 (the worker stopped or "
        "crashed)");
}

TEST_CASE("store queues: waiting for a study gives the attempt back and keeps what the check saw") {
  queue_db q;
  q.jobs(1);
  auto job = store::claim_job(q.db, 60s);
  REQUIRE(job.has_value());
  CHECK(store::wait_for_study(q.db, job->held, 0ms, {"1.2.3", 16, 0}));
  CHECK(q.pg.psql("SELECT status || ' ' || attempts FROM jobs") == "waiting_for_study 0");
  job = store::claim_job(q.db, 60s);
  REQUIRE(job.has_value());
  CHECK(job->attempts == 1);
  REQUIRE(job->probe.has_value());
  CHECK(job->probe->series_uid == "1.2.3");
  CHECK(job->probe->instances == 16);
  // The same count again keeps its first sighting; a new count starts over.
  q.pg.psql("UPDATE jobs SET probe_since = now() - interval '5 seconds'");
  CHECK(store::wait_for_study(q.db, job->held, 0ms, {"1.2.3", 16, 0}));
  job = store::claim_job(q.db, 60s);
  REQUIRE(job.has_value());
  CHECK(job->probe->unchanged_ms >= 5000.0);
  CHECK(store::wait_for_study(q.db, job->held, 0ms, {"1.2.3", 32, 0}));
  job = store::claim_job(q.db, 60s);
  REQUIRE(job.has_value());
  CHECK(job->probe->instances == 32);
  CHECK(job->probe->unchanged_ms < 5000.0);
  // Not due yet: nothing to claim.
  CHECK(store::wait_for_study(q.db, job->held, 60s, {"1.2.3", 32, 0}));
  CHECK_FALSE(store::claim_job(q.db, 60s).has_value());
}

TEST_CASE("store queues: a lane sends in order; a retry holds the lane; dead letters let it move and come back") {
  queue_db q;
  const std::int64_t job = q.jobs(1).front();
  const auto claimed = store::claim_job(q.db, 60s);
  REQUIRE(claimed.has_value());
  REQUIRE(claimed->held.id == job);
  REQUIRE(store::finish_job(q.db, claimed->held, store::job_result{"routine", "[]", "v1", {}, {{"ris", output_kind::oru, "M1", "", "one"},
                             {"ris", output_kind::adt, "M2", "", "two"},
                             {"fhir", output_kind::observation, "F1", "", "{}"},
                             {"ris", output_kind::oru, "M3", "", "three"}}, {}}));
  auto head = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(head.has_value());
  CHECK(head->identity == "M1");
  CHECK(head->attempts == 0);
  CHECK_FALSE(store::claim_lane_head(q.db, "ris", 30s).has_value());  // leased: the lane waits
  CHECK(store::claim_lane_head(q.db, "fhir", 30s)->identity == "F1");  // other lanes do not

  CHECK(store::mark_retry(q.db, head->held, 60s, "connect refused", ""));
  CHECK_FALSE(store::claim_lane_head(q.db, "ris", 30s).has_value());  // M1 not due yet, M2 waits behind it
  q.pg.psql("UPDATE outbound_messages SET next_attempt_at = now() WHERE identity = 'M1'");
  head = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(head.has_value());
  CHECK(head->identity == "M1");
  CHECK(head->attempts == 1);
  CHECK(store::mark_sent(q.db, head->held, "MSA|AA|M1"));

  head = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(head.has_value());
  CHECK(head->identity == "M2");
  CHECK(store::mark_dead(q.db, head->held, "AE: unknown patient", "MSA|AE|M2"));
  head = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(head.has_value());
  CHECK(head->identity == "M3");
  CHECK(head->payload == "three");
  CHECK(store::mark_sent(q.db, head->held, "MSA|AA|M3"));
  CHECK_FALSE(store::claim_lane_head(q.db, "ris", 30s).has_value());

  CHECK(q.pg.psql("SELECT string_agg(identity || ':' || status || ':' || attempts || ':' || coalesce(last_error, '-') "
                  "|| ':' || convert_from(coalesce(response, ''), 'UTF8'), ',' ORDER BY id) FROM outbound_messages "
                  "WHERE destination = 'ris'") ==
        "M1:sent:2:-:MSA|AA|M1,M2:dead:1:AE: unknown patient:MSA|AE|M2,M3:sent:1:-:MSA|AA|M3");

  CHECK(store::requeue_dead(q.db, std::string("fhir"), {}) == 0);
  CHECK(store::requeue_dead(q.db, std::nullopt, {}) == 1);
  head = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(head.has_value());
  CHECK(head->identity == "M2");
  CHECK(head->attempts == 0);
  const auto rows = store::outbound_of(q.db, job);
  REQUIRE(rows.size() == 4);
  CHECK(rows[1].status == work::outbound_status::pending);
  CHECK(rows[1].last_error == "AE: unknown patient");
  CHECK(store::mark_dead(q.db, head->held, "AE again", ""));
  CHECK(store::requeue_dead(q.db, std::nullopt, {head->held.id + 100}) == 0);
  CHECK(store::requeue_dead(q.db, std::nullopt, {head->held.id}) == 1);
}

TEST_CASE("store queues: a lane head taken over after its lease ran out: the first sender's outcome is refused") {
  queue_db q;
  q.jobs(1);
  const auto claimed = store::claim_job(q.db, 60s);
  REQUIRE(claimed.has_value());
  REQUIRE(store::finish_job(q.db, claimed->held, store::job_result{"routine", "[]", "v1", {}, {{"ris", output_kind::oru, "M1", "", "one"}}, {}}));
  const auto slow = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(slow.has_value());
  q.pg.psql("UPDATE outbound_messages SET lease_until = now() - interval '1 second'");
  const auto fast = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(fast.has_value());
  CHECK(fast->held.id == slow->held.id);
  CHECK_FALSE(store::mark_dead(q.db, slow->held, "late: AE", "MSA|AE|M1"));
  CHECK_FALSE(store::mark_retry(q.db, slow->held, 0ms, "late", ""));
  CHECK(store::mark_sent(q.db, fast->held, "MSA|AA|M1"));
  CHECK_FALSE(store::mark_sent(q.db, slow->held, "MSA|AA|M1"));
  CHECK(q.pg.psql("SELECT status || ' ' || attempts || ' ' || convert_from(response, 'UTF8') FROM outbound_messages") ==
        "sent 1 MSA|AA|M1");
}

TEST_CASE("store queues: one result per study version; the latest done job's findings compare as JSON") {
  queue_db q;
  q.jobs(2);
  CHECK_FALSE(store::latest_done(q.db, "stroke", "ACC").has_value());
  auto first = store::claim_job(q.db, 60s);
  REQUIRE(first.has_value());
  REQUIRE(store::finish_job(q.db, first->held,
                            store::job_result{"critical", "[]", "version-1",
                                              {{"1.2", "1.2.3", 32, "m", "1", "abc", "{}", R"([{"label": "x", "value": 1.5}])"}},
                                              {},
                                              {}}));
  const auto done = store::latest_done(q.db, "stroke", "ACC");
  REQUIRE(done.has_value());
  CHECK(done->job_id == first->held.id);
  CHECK(done->study_version == "version-1");
  CHECK(store::same_findings(q.db, first->held.id, R"([[{"value":1.50,"label":"x"}]])"));
  CHECK_FALSE(store::same_findings(q.db, first->held.id, R"([[{"label": "x", "value": 1.6}]])"));

  auto second = store::claim_job(q.db, 60s);
  REQUIRE(second.has_value());
  CHECK(store::mark_duplicate(q.db, second->held, "version-1", first->held.id));
  CHECK(q.pg.psql("SELECT status || ' / ' || error FROM jobs WHERE id = " + std::to_string(second->held.id)) ==
        "duplicate / duplicate_trigger: job " + std::to_string(first->held.id) + " already did this study version");
  CHECK(store::latest_done(q.db, "stroke", "ACC")->job_id == first->held.id);
}

TEST_CASE("store queues: an order cancel ends the open jobs and withdraws the latest done results once, at the back") {
  queue_db q;
  const std::vector<std::int64_t> ids = q.jobs(3);
  REQUIRE(ids.size() == 3);
  // Job 1 done with an ORU (sent) and its withdrawal kept; job 2 running; job 3 queued.
  auto done = store::claim_job(q.db, 60s);
  REQUIRE(done.has_value());
  REQUIRE(store::finish_job(q.db, done->held,
                            store::job_result{"routine", "[]", "v1", {},
                                              {{"ris", output_kind::oru, "M1", "", "ORU P"}},
                                              {{"ris", output_kind::oru, "M1W", "", "ORU W"},
                                               {"fhir", output_kind::observation, "F1", "", "{\"status\": \"entered-in-error\"}"}}}));
  auto head = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(head.has_value());
  REQUIRE(store::mark_sent(q.db, head->held, "MSA|AA|M1"));
  const auto running = store::claim_job(q.db, 60s);
  REQUIRE(running.has_value());
  // Another study's result queued after job 1's: the withdrawal must come behind it.
  q.pg.psql("INSERT INTO outbound_messages (job_id, destination, output, identity, payload) VALUES (" +
            std::to_string(ids[2]) + ", 'ris', 'oru', 'OTHER', 'x')");

  const auto cancel = [&](const std::string& control_id) {
    std::vector<store::inbound_message> rows = {inbound_row(control_id)};
    store::store_inbound(q.db, rows);
    return store::route_received(q.db, 10, [](std::int64_t, std::string_view) {
      return store::routing_decision{inbound_status::routed, {}, {{"stroke", "ACC"}}, {}, {}};
    });
  };
  CHECK(cancel("CANCEL-1") == 1);
  CHECK(q.pg.psql("SELECT string_agg(status || ':' || (cancelled_by IS NOT NULL) || ':' || (withdrawn_at IS NOT NULL), "
                  "',' ORDER BY id) FROM jobs") == "done:true:true,cancelled:true:false,cancelled:true:false");
  CHECK(q.pg.psql("SELECT string_agg(destination || ':' || identity || ':' || revision || ':' || status, ',' ORDER BY id) "
                  "FROM outbound_messages") ==
        "ris:M1:original:sent,ris:OTHER:original:pending,ris:M1W:withdrawal:pending,fhir:F1:withdrawal:pending");
  // The worker that held job 2 has lost it.
  CHECK_FALSE(store::finish_job(q.db, running->held, store::job_result{"routine", "[]", "v2", {}, {}, {}}));
  // A second cancel withdraws nothing more.
  CHECK(cancel("CANCEL-2") == 1);
  CHECK(q.pg.psql("SELECT count(*) FROM outbound_messages WHERE revision = 'withdrawal'") == "2");
}

TEST_CASE("store queues: a requeued dead letter goes to the back of its lane") {
  queue_db q;
  q.jobs(2);
  const auto first = store::claim_job(q.db, 60s);
  REQUIRE(first.has_value());
  REQUIRE(store::finish_job(q.db, first->held,
                            store::job_result{"routine", "[]", "v1", {}, {{"ris", output_kind::oru, "M1", "", "one"}}, {}}));
  auto head = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(head.has_value());
  REQUIRE(store::mark_dead(q.db, head->held, "AE", ""));
  // Another job finishes after M1 went to the dead letter; then M1 is requeued.
  const auto second = store::claim_job(q.db, 60s);
  REQUIRE(second.has_value());
  REQUIRE(store::finish_job(q.db, second->held,
                            store::job_result{"routine", "[]", "v1", {}, {{"ris", output_kind::oru, "M2", "", "two"}}, {}}));
  CHECK(store::requeue_dead(q.db, std::nullopt, {}) == 1);
  std::vector<std::string> order;
  while (const auto next = store::claim_lane_head(q.db, "ris", 30s)) {
    order.push_back(next->identity);
    REQUIRE(store::mark_sent(q.db, next->held, "AA"));
  }
  CHECK(order == std::vector<std::string>{"M2", "M1"});
}

TEST_CASE("store queues: an ADT merge re-points the patient's open jobs; a job finishing for the old patient is queued again") {
  queue_db q;
  const std::string tmp = std::string("GENHOSP") + '\x1f' + "TMP1";
  const std::string mrn = std::string("GENHOSP") + '\x1f' + "MRN7";
  const std::string enterprise = std::string("ENT") + '\x1f' + "E5";
  // Jobs 1-3 for the temporary record TMP1, job 4 for another patient.
  {
    std::vector<store::inbound_message> rows = {inbound_row("O1"), inbound_row("O2"), inbound_row("O3"), inbound_row("O4")};
    store::store_inbound(q.db, rows);
    int n = 0;
    store::route_received(q.db, 10, [&](std::int64_t, std::string_view) {
      const std::vector<std::string> patient = ++n == 4 ? std::vector<std::string>{"GENHOSP\x1fOTHER"} : std::vector<std::string>{tmp};
      return store::routing_decision{
          inbound_status::routed,
          {{"stroke", work::study_key_kind::accession, "ACC" + std::to_string(n), work::rollout_mode::active, patient}},
          {}, {}, {}};
    });
  }
  auto done = store::claim_job(q.db, 60s);
  REQUIRE(done.has_value());
  CHECK(done->patient_ids == std::vector<std::string>{tmp});
  CHECK(done->patient_source == 0);
  REQUIRE(store::finish_job(q.db, done->held, store::job_result{"routine", "[]", "v1", {}, {}, {}}));
  const auto running = store::claim_job(q.db, 60s);
  REQUIRE(running.has_value());

  const std::string merge = "MSH|^~\\&|ADT|GENHOSP|||20261205||ADT^A40|M1|P|2.5\rPID|1||MRN7^^^GENHOSP\rMRG|TMP1^^^GENHOSP\r";
  const auto route_adt = [&](const std::string& control_id, const std::string& payload, store::patient_move move) {
    std::vector<store::inbound_message> rows = {inbound_row(control_id, payload)};
    store::store_inbound(q.db, rows);
    return store::route_received(q.db, 10, [&](std::int64_t, std::string_view) {
      return store::routing_decision{inbound_status::routed, {}, {}, {move}, {}};
    });
  };
  REQUIRE(route_adt("M1", merge, {{tmp}, {mrn}, 1}) == 1);
  const std::string merge_id = q.pg.psql("SELECT id FROM inbound_messages WHERE control_id = 'M1'");
  CHECK(q.pg.psql("SELECT string_agg(status || ' ' || array_to_string(patient_ids, '+') || ' ' || "
                  "array_to_string(patient_prior_ids, '+') || ' ' || coalesce(patient_source::text, '-'), ',' ORDER BY id) "
                  "FROM jobs") ==
        "done " + tmp + "  -,running " + mrn + " " + tmp + " " + merge_id + ",queued " + mrn + " " + tmp + " " +
            merge_id + ",queued GENHOSP\x1fOTHER  -");

  // The running job built its outputs for TMP1: its finish is refused, and it goes back to the queue at once.
  CHECK_FALSE(store::finish_job(q.db, running->held, store::job_result{"routine", "[]", "v1", {}, {{"ris", output_kind::oru, "OLD", "", "x"}}, {}}));
  CHECK(store::requeue_moved_patient(q.db, running->held, 0));
  CHECK(q.pg.psql("SELECT status || ' ' || attempts || ' ' || error FROM jobs WHERE id = " + std::to_string(running->held.id)) ==
        "queued 0 patient_moved: an ADT moved the patient while the job ran");
  CHECK(q.pg.psql("SELECT count(*) FROM outbound_messages") == "0");

  // Claimed again, the job carries the merge: the PID to use and the identifiers before it.
  const auto again = store::claim_job(q.db, 60s);
  REQUIRE(again.has_value());
  CHECK(again->held.id == running->held.id);
  CHECK(again->patient_ids == std::vector<std::string>{mrn});
  CHECK(again->patient_prior_ids == std::vector<std::string>{tmp});
  CHECK(std::to_string(again->patient_source) == merge_id);
  CHECK(again->patient_segment == 1);
  CHECK(again->patient_message == merge);
  // A lease lost is not a patient moved: nothing is queued again.
  CHECK_FALSE(store::requeue_moved_patient(q.db, running->held, 0));
  CHECK(store::finish_job(q.db, again->held, store::job_result{"routine", "[]", "v1", {}, {}, {}, again->patient_source}));

  // An update (A08) that shares MRN7 reaches the patient's last open job; the other patient's job is untouched.
  const std::string update = "MSH|^~\\&|ADT|GENHOSP|||20261205||ADT^A08|U1|P|2.5\rPID|1||MRN7^^^GENHOSP~E5^^^ENT\r";
  REQUIRE(route_adt("U1", update, {{mrn, enterprise}, {mrn, enterprise}, 1}) == 1);
  CHECK(q.pg.psql("SELECT string_agg(status || ' ' || array_to_string(patient_ids, '+'), ',' ORDER BY id) FROM jobs") ==
        "done " + tmp + ",done " + mrn + ",queued " + mrn + "+" + enterprise + ",queued GENHOSP\x1fOTHER");
}
