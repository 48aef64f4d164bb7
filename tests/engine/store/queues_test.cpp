// engine/store's job queue and outbound lanes against a real private
// PostgreSQL: routing in arrival order, leases, finishing in one
// transaction, ordered lanes, retry, dead letter and requeue.
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
      return store::routing_decision{"routed", {{"stroke", "accession", "ACC", "active"}}};
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
    if (seen.back() == "B") return store::routing_decision{"filtered", {}};
    return store::routing_decision{"routed", {{"stroke", "accession", "ACC-" + seen.back(), "active"},
                                              {"trauma", "accession", "ACC-" + seen.back(), "assist"}}};
  });
  CHECK(routed == 3);
  CHECK(seen == std::vector<std::string>{"A", "B", "C"});
  CHECK(q.pg.psql("SELECT string_agg(status, ',' ORDER BY id) FROM inbound_messages") == "routed,filtered,routed");
  CHECK(q.pg.psql("SELECT string_agg(route || ':' || study_key || ':' || mode, ',' ORDER BY id) FROM jobs") ==
        "stroke:ACC-A:active,trauma:ACC-A:assist,stroke:ACC-C:active,trauma:ACC-C:assist");
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
  CHECK(first->id == ids[0]);
  CHECK(first->attempts == 1);
  CHECK(first->route == "stroke");
  CHECK(first->order.find("ORM^O01|C0|") != std::string::npos);
  const auto second = store::claim_job(q.db, 60s);
  REQUIRE(second.has_value());
  CHECK(second->id == ids[1]);
  CHECK_FALSE(store::claim_job(q.db, 60s).has_value());  // both leased

  store::finish_job(q.db, first->id, "critical", R"([{"model": "m"}])",
                    {{"1.2", "1.2.3", "ich_classifier", "1.0.0", "abc", R"({"inference": 12.5})", "[]"}},
                    {{"ris", "oru", "RB1", "", "ORU BYTES"}, {"pacs", "sr", "2.25.9", "1.2", std::string("DICM\0x", 6)}});
  CHECK(q.pg.psql("SELECT status || ',' || acuity || ',' || (results->0->>'model') FROM jobs WHERE id = " +
                  std::to_string(first->id)) == "done,critical,m");
  CHECK(q.pg.psql("SELECT model || ' ' || model_version || ' ' || (timings_ms->>'inference') FROM inference_audit") ==
        "ich_classifier 1.0.0 12.5");
  CHECK(q.pg.psql("SELECT string_agg(destination || ':' || output || ':' || length(payload), ',' ORDER BY id) "
                  "FROM outbound_messages") == "ris:oru:9,pacs:sr:6");
  // Finishing again (a retried transaction) does not queue the outputs twice.
  store::finish_job(q.db, first->id, "critical", "[]", {}, {{"ris", "oru", "RB1", "", "ORU BYTES"}});
  CHECK(q.pg.psql("SELECT count(*) FROM outbound_messages") == "2");

  store::retry_job(q.db, second->id, 0ms, "fetch: timeout");
  const auto again = store::claim_job(q.db, 60s);
  REQUIRE(again.has_value());
  CHECK(again->id == second->id);
  CHECK(again->attempts == 2);
  store::fail_job(q.db, again->id, "no_matching_series: no CT series");
  CHECK(q.pg.psql("SELECT status || ': ' || error FROM jobs WHERE id = " + std::to_string(again->id)) ==
        "failed: no_matching_series: no CT series");
}

TEST_CASE("store queues: a job whose lease expired (its worker died) is claimed again") {
  queue_db q;
  q.jobs(1);
  const auto first = store::claim_job(q.db, 60s);
  REQUIRE(first.has_value());
  q.pg.psql("UPDATE jobs SET lease_until = now() - interval '1 second'");
  const auto again = store::claim_job(q.db, 60s);
  REQUIRE(again.has_value());
  CHECK(again->id == first->id);
  CHECK(again->attempts == 2);
}

TEST_CASE("store queues: a lane sends in order; a retry holds the lane; dead letters let it move and come back") {
  queue_db q;
  const std::int64_t job = q.jobs(1).front();
  store::finish_job(q.db, job, "routine", "[]", {},
                    {{"ris", "oru", "M1", "", "one"}, {"ris", "adt", "M2", "", "two"}, {"fhir", "observation", "F1", "", "{}"},
                     {"ris", "oru", "M3", "", "three"}});
  auto head = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(head.has_value());
  CHECK(head->identity == "M1");
  CHECK(head->attempts == 0);
  CHECK_FALSE(store::claim_lane_head(q.db, "ris", 30s).has_value());  // leased: the lane waits
  CHECK(store::claim_lane_head(q.db, "fhir", 30s)->identity == "F1");  // other lanes do not

  store::mark_retry(q.db, head->id, 60s, "connect refused", "");
  CHECK_FALSE(store::claim_lane_head(q.db, "ris", 30s).has_value());  // M1 not due yet, M2 waits behind it
  q.pg.psql("UPDATE outbound_messages SET next_attempt_at = now() WHERE identity = 'M1'");
  head = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(head.has_value());
  CHECK(head->identity == "M1");
  CHECK(head->attempts == 1);
  store::mark_sent(q.db, head->id, "MSA|AA|M1");

  head = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(head.has_value());
  CHECK(head->identity == "M2");
  store::mark_dead(q.db, head->id, "AE: unknown patient", "MSA|AE|M2");
  head = store::claim_lane_head(q.db, "ris", 30s);
  REQUIRE(head.has_value());
  CHECK(head->identity == "M3");
  CHECK(head->payload == "three");
  store::mark_sent(q.db, head->id, "MSA|AA|M3");
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
  CHECK(rows[1].status == "pending");
  CHECK(rows[1].last_error == "AE: unknown patient");
  store::mark_dead(q.db, head->id, "AE again", "");
  CHECK(store::requeue_dead(q.db, std::nullopt, {head->id + 100}) == 0);
  CHECK(store::requeue_dead(q.db, std::nullopt, {head->id}) == 1);
}
