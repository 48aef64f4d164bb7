// One delivery lane step against a real PostgreSQL and real senders: sent,
// retried with a jittered backoff, given up after the attempts or the age,
// rejected at once; and the backoff's doubling and cap.
#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>

#include "deliver/lane.hpp"
#include "route/mapping.hpp"
#include "store/database.hpp"
#include "store/inbound_store.hpp"
#include "store/job_store.hpp"
#include "support/delivery_peers.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace deliver = radbridge::deliver;
namespace store = radbridge::store;
namespace route = radbridge::route;
namespace config = radbridge::config;
namespace test = radbridge::test;
using namespace std::chrono_literals;

namespace {

std::string oru_text(const std::string& control_id) {
  return "MSH|^~\\&|RADBRIDGE|RADBRIDGE|RIS|GENHOSP|20261123120000+0000||ORU^R01^ORU_R01|" + control_id +
         "|P|2.5.1\rPID|1||MRN1^^^GENHOSP^MR\rOBR|1|P1|F1|CTHEADWO^CT HEAD^L||||||||||||||||||||P\r";
}

// A database with one finished job whose outbound rows are `rows` (destination "ris").
struct lane_db {
  test::postgres_server pg;
  store::database db{pg.conninfo()};
  explicit lane_db(const std::vector<std::string>& identities) {
    db.migrate();
    store::inbound_message m;
    m.interface = "ris";
    m.sending_application = "RIS";
    m.sending_facility = "F";
    m.control_id = "C1";
    m.message_type = "ORM";
    m.trigger_event = "O01";
    m.payload = "MSH|^~\\&|RIS|F|||20240312||ORM^O01|C1|P|2.3.1\r";
    m.payload_sha256 = std::string(32, 'x');
    m.ack_code = "AA";
    m.ack = "ACK";
    store::store_inbound(db, std::vector<store::inbound_message>{m});
    store::route_received(db, 10, [](std::int64_t, std::string_view) {
      return store::routing_decision{
          radbridge::work::inbound_status::routed,
          {{"stroke", radbridge::work::study_key_kind::accession, "ACC", radbridge::work::rollout_mode::active, {}}},
                                     {}, {}, {}};
    });
    std::vector<store::outbound_row> rows;
    for (const std::string& id : identities) {
      rows.push_back({"ris", radbridge::work::output_kind::oru, id, "", oru_text(id)});
    }
    const auto job = store::claim_job(db, std::chrono::seconds(60));
    REQUIRE(job.has_value());
    REQUIRE(store::finish_job(db, job->held, store::job_result{"critical", "[]", "v1", {}, rows, {}}));
  }
  std::string row(const std::string& identity, const std::string& columns) const {
    return pg.psql("SELECT " + columns + " FROM outbound_messages WHERE identity = '" + identity + "'");
  }
};

route::destination mllp_to(std::uint16_t port) {
  route::destination d;
  d.name = "ris";
  d.type = route::destination::kind::mllp;
  d.address = "127.0.0.1:" + std::to_string(port);
  return d;
}

}  // namespace

TEST_CASE("lane: backoff doubles from the first delay up to the cap") {
  config::delivery_settings s;
  s.first_backoff = 1000ms;
  s.max_backoff = 30000ms;
  CHECK(deliver::backoff(s, 0) == 1000ms);
  CHECK(deliver::backoff(s, 1) == 2000ms);
  CHECK(deliver::backoff(s, 4) == 16000ms);
  CHECK(deliver::backoff(s, 5) == 30000ms);
  CHECK(deliver::backoff(s, 500) == 30000ms);
}

TEST_CASE("lane: an unreachable receiver is retried with jitter, then the message goes to the dead letter") {
  lane_db q({"RB1", "RB2"});
  deliver::delivery_stats stats;
  config::delivery_settings s;
  s.attempts = 3;
  s.first_backoff = 2000ms;
  s.max_backoff = 2000ms;
  s.timeout = 2000ms;
  const std::uint16_t closed = test::free_tcp_port();
  auto sender = deliver::make_sender(mllp_to(closed), s.timeout);
  std::mt19937_64 random(7);
  CHECK(deliver::lane_step(q.db, "ris", *sender, s, random, stats));
  CHECK(q.row("RB1", "status || ':' || attempts") == "pending:1");
  // Due again in 50-100 % of the 2 s backoff.
  const double wait = std::stod(q.row("RB1", "extract(epoch FROM next_attempt_at - now())"));
  CHECK(wait > 0.9);
  CHECK(wait <= 2.0);
  CHECK_FALSE(deliver::lane_step(q.db, "ris", *sender, s, random, stats));  // not due: the lane waits, RB2 too
  CHECK(q.row("RB2", "attempts") == "0");
  for (int i = 0; i < 2; ++i) {
    q.pg.psql("UPDATE outbound_messages SET next_attempt_at = now() WHERE identity = 'RB1'");
    CHECK(deliver::lane_step(q.db, "ris", *sender, s, random, stats));
  }
  CHECK(q.row("RB1", "status || ':' || attempts") == "dead:3");
  CHECK(q.row("RB1", "last_error").starts_with("gave up after 3 attempts: "));
  CHECK(stats.attempts.at({"ris", "oru", "retry"}).value() == 2);
  CHECK(stats.attempts.at({"ris", "oru", "gave_up"}).value() == 1);
  CHECK(stats.attempt_seconds.at({"ris"}).read().cumulative.back() == 3);
  CHECK(q.row("RB1", "last_error").find("127.0.0.1:" + std::to_string(closed)) != std::string::npos);
  // Every attempt has its row, for the study's trail and the destination's last failure.
  CHECK(q.pg.psql("SELECT string_agg(destination || ' ' || attempt || ' ' || outcome || ' ' || "
                  "(error = (SELECT last_error FROM outbound_messages WHERE identity = 'RB1'))::text, '; ' ORDER BY a.id) "
                  "FROM delivery_attempts a") == "ris 1 retry false; ris 2 retry false; ris 3 dead true");

  SUBCASE("the next message is older than max_age: one failed attempt is its last") {
    s.attempts = 100;
    s.max_age = 3600000ms;
    q.pg.psql("UPDATE outbound_messages SET created_at = now() - interval '2 hours' WHERE identity = 'RB2'");
    CHECK(deliver::lane_step(q.db, "ris", *sender, s, random, stats));
    CHECK(q.row("RB2", "status || ':' || attempts") == "dead:1");
    CHECK(q.row("RB2", "last_error").starts_with("gave up after 1 attempt (too old): "));
  }
  SUBCASE("a receiver that comes up gets the next one, and AE sends it to the dead letter at once") {
    test::deliver::hl7_receiver ehr(closed, "AE");
    CHECK(deliver::lane_step(q.db, "ris", *sender, s, random, stats));
    CHECK(q.row("RB2", "status || ':' || attempts") == "dead:1");
    CHECK(q.row("RB2", "position('MSA|AE|RB2' in convert_from(response, 'UTF8')) > 0") == "t");
    REQUIRE(ehr.records().size() == 1);
    CHECK(ehr.records()[0].control_id == "RB2");
    CHECK(stats.attempts.at({"ris", "oru", "rejected"}).value() == 1);
    CHECK_FALSE(deliver::lane_step(q.db, "ris", *sender, s, random, stats));  // the lane is empty
  }
}

TEST_CASE("lane: an accepting receiver: sent, with its ACK kept") {
  lane_db q({"RB7"});
  deliver::delivery_stats stats;
  test::deliver::hl7_receiver ris;
  config::delivery_settings s;
  auto sender = deliver::make_sender(mllp_to(ris.port()), 5000ms);
  std::mt19937_64 random(1);
  CHECK(deliver::lane_step(q.db, "ris", *sender, s, random, stats));
  CHECK(q.row("RB7", "status || ':' || attempts || ':' || (sent_at IS NOT NULL)::text") == "sent:1:true");
  CHECK(q.row("RB7", "position('MSA|AA|RB7' in convert_from(response, 'UTF8')) > 0") == "t");
  CHECK(stats.attempts.at({"ris", "oru", "sent"}).value() == 1);
  CHECK(q.pg.psql("SELECT attempt || ' ' || outcome || ' ' || error || '.' FROM delivery_attempts") == "1 sent .");
  CHECK(stats.attempt_seconds.at({"ris"}).read().cumulative.back() == 1);
  const auto ttn = stats.time_to_notification.at({"ris", "oru"}).read();
  CHECK(ttn.cumulative.back() == 1);
  CHECK(ttn.sum > 0);
}
