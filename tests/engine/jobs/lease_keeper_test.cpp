// jobs::lease_keeper against a real private PostgreSQL: a watched lease is
// renewed while a job runs, and a lease another worker took over is reported
// lost. Waits are bounded polls on the database, never fixed sleeps.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "jobs/lease_keeper.hpp"
#include "store/database.hpp"
#include "store/inbound_store.hpp"
#include "store/job_store.hpp"
#include "support/postgres_server.hpp"

namespace store = radbridge::store;
namespace work = radbridge::work;
using namespace std::chrono_literals;

namespace {

// One queued job in a fresh database, claimed with a 1 s lease.
struct claimed {
  radbridge::test::postgres_server pg;
  store::database db{pg.conninfo()};
  store::claimed_job job;

  claimed() {
    db.migrate();
    store::inbound_message m;
    m.interface = "ris";
    m.sending_application = "RIS";
    m.sending_facility = "GENHOSP";
    m.control_id = "C1";
    m.message_type = "ORM";
    m.trigger_event = "O01";
    m.payload = "MSH|^~\\&|RIS|GENHOSP|||20261205||ORM^O01|C1|P|2.5\r";
    m.payload_sha256 = std::string(32, 'x');
    m.ack_code = "AA";
    m.ack = "ACK";
    store::store_inbound(db, std::vector<store::inbound_message>{m});
    store::route_received(db, 10, [](std::int64_t, std::string_view) {
      return store::routing_decision{work::inbound_status::routed,
                                     {{"stroke", work::study_key_kind::accession, "ACC", work::rollout_mode::active, {}}},
                                     {}, {}, {}};
    });
    auto c = store::claim_job(db, 1000ms);
    REQUIRE(c.has_value());
    job = std::move(*c);
  }

  // Polls `sql` until it answers `expected` (at most 30 s); returns the last answer.
  std::string wait_for(const std::string& sql, const std::string& expected) const {
    std::string got;
    for (int i = 0; i < 300 && (got = pg.psql(sql)) != expected; ++i) std::this_thread::sleep_for(100ms);
    return got;
  }
};

}  // namespace

TEST_CASE("lease keeper: a watched lease is renewed past its first end, and no longer once released") {
  claimed c;
  const std::string first_end = c.pg.psql("SELECT lease_until FROM jobs");
  radbridge::jobs::lease_keeper keeper(c.pg.conninfo(), 1000ms);
  keeper.watch(c.job.held);
  // Renewed: the lease now ends later than it first did, and it has not run out.
  CHECK(c.wait_for("SELECT lease_until > '" + first_end + "'::timestamptz FROM jobs", "t") == "t");
  CHECK(c.pg.psql("SELECT lease_until > now() FROM jobs") == "t");
  CHECK_FALSE(keeper.lost());
  keeper.release();
  // Released: the lease runs out like any other.
  CHECK(c.wait_for("SELECT lease_until < now() FROM jobs", "t") == "t");
  CHECK_FALSE(keeper.lost());
}

TEST_CASE("lease keeper: a lease another worker took over is reported lost") {
  claimed c;
  radbridge::jobs::lease_keeper keeper(c.pg.conninfo(), 1000ms);
  keeper.watch(c.job.held);
  c.pg.psql("UPDATE jobs SET lease_until = now() - interval '1 second'");
  const auto other = store::claim_job(c.db, 60s);
  REQUIRE(other.has_value());
  CHECK(other->held.token != c.job.held.token);
  bool lost = false;
  for (int i = 0; i < 300 && !(lost = keeper.lost()); ++i) std::this_thread::sleep_for(100ms);
  CHECK(lost);
  // The other worker's lease stands.
  CHECK(c.pg.psql("SELECT lease = " + std::to_string(other->held.token) + " AND lease_until > now() + interval '30 "
                  "seconds' FROM jobs") == "t");
}
