// Scenario "receivers": the RIS (python-hl7), the stroke pager (python-hl7)
// and the FHIR server stop, stay down for RECEIVER_OUTAGE_S (300) seconds
// under load, and come back on the same ports. Load: filler at
// RECEIVER_RATE (50) msgs/s and a study-complete order every
// RECEIVER_ORDER_S (20) seconds, each for its own synthetic study, so that
// results queue up for all three while they are down. Delivery settings:
// attempts 100000, backoff 500 ms doubling to 5 s (the defaults' 10 attempts
// would send a 5-minute outage's results to the dead letter).
//
// Verdict: every output queued before, during and after the outage reaches
// its receiver (each instance of a receiver is read: the first before it
// stopped, the second after it came back), first receptions in lane order,
// repeats only of the same message; nothing goes to the dead letter; every
// job is done. Figures: outputs waiting when the receivers came back, the
// time to drain them.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "deliveries.hpp"
#include "fhir_peer.hpp"
#include "reliability.hpp"
#include "serve_process.hpp"
#include "studies.hpp"
#include "support/delivery_peers.hpp"
#include "support/pipeline_fixture.hpp"
#include "traffic.hpp"

namespace rel = radbridge::reliability;
using clock_type = std::chrono::steady_clock;

TEST_CASE("reliability receivers: RIS, pager and FHIR server down for 5 minutes under load" *
          doctest::test_suite("receivers")) {
  const long outage_s = rel::setting("RECEIVER_OUTAGE_S", 300);
  const long rate = rel::setting("RECEIVER_RATE", 50);
  const long order_s = rel::setting("RECEIVER_ORDER_S", 20);
  REQUIRE(order_s > 0);
  const long during = std::max<long>(1, outage_s / order_s);
  const long orders = 2 + during;
  const auto started = clock_type::now();

  const study_set studies(7070, static_cast<int>(orders));
  const test::orthanc_server orthanc;
  studies.upload_all(orthanc);
  const std::uint16_t ris_port = test::free_tcp_port();
  const std::uint16_t pager_port = test::free_tcp_port();
  std::optional<test::deliver::hl7_receiver> ris(std::in_place, ris_port, "AA");
  std::optional<test::deliver::hl7_receiver> pager(std::in_place, pager_port, "AA");
  rel::fhir_peer fhir(test::free_tcp_port());
  engine e;
  e.configure(ris->address(), pager->address(), fhir.base_url(), orthanc.dicomweb_url(),
              R"("job_attempts": 10, "job_lease_ms": 10000)", rel::lenient_readiness);
  const fs::path config = e.dir.path() / "radbridge.json";
  rel::rewrite_config(
      config, R"("delivery": {"attempts": 1000, "first_backoff_ms": 100, "max_backoff_ms": 400, "timeout_ms": 3000})",
      R"("delivery": {"attempts": 100000, "first_backoff_ms": 500, "max_backoff_ms": 5000, "timeout_ms": 3000})");
  const fs::path log = e.dir.path() / "engine.log";
  const rel::kept_log kept_engine_log("receivers", log);
  e.process.emplace(rel::start_serve(config, e.pg.conninfo(), log));

  // Before: two orders, delivered while everyone is up.
  e.replay({order_for(studies.truth[0], "ORD-0"), order_for(studies.truth[1], "ORD-1")});
  REQUIRE_MESSAGE(wait_for(e.pg,
                           "SELECT (SELECT count(*) FROM jobs WHERE status = 'done') || ' ' || "
                           "(SELECT count(*) FROM outbound_messages WHERE status <> 'sent' AND destination <> 'pacs' "
                           "AND destination <> 'outbox')",
                           "2 0", std::chrono::seconds(600)) == "2 0",
                  "the first two orders were not delivered");

  // Down: each receiver's first instance is read, then stopped.
  std::vector<test::deliver::received> ris_records = ris->records();
  std::vector<test::deliver::received> pager_records = pager->records();
  std::vector<radbridge::json::value> fhir_states{fhir.state()};
  ris.reset();
  pager.reset();
  fhir.stop();
  const auto down = clock_type::now();

  // Load while they are down: filler with an order every order_s seconds.
  rel::write_messages(e.dir.path() / "messages.hl7",
                      studies.with_orders(rate * outage_s, 2, static_cast<std::size_t>(during), "RCV"));
  const fs::path replay_log = e.dir.path() / "replay.log";
  test::child_process replay = rel::start_replay(e.port, e.dir.path() / "messages.hl7", e.dir.path() / "acks.log",
                                                 replay_log, {.connections = 2, .rate = rate});
  while (rel::seconds_since(down) < static_cast<double>(outage_s))
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int replay_exit = replay.wait_for(std::chrono::seconds(600)).value_or(-1);
  CHECK_MESSAGE(replay_exit == 0, test::read_file(replay_log));

  // Back, on the same ports.
  const std::string waiting = e.pg.psql(
      "SELECT count(*) FROM outbound_messages WHERE status = 'pending' AND destination IN ('ris', 'ehr_acuity', "
      "'fhir')");
  const std::string dead_during = e.pg.psql("SELECT count(*) FROM outbound_messages WHERE status = 'dead'");
  ris.emplace(ris_port, "AA");
  pager.emplace(pager_port, "AA");
  fhir.start();
  const auto back = clock_type::now();
  // Jobs of the last orders may still be running: wait for them, then for every output.
  const std::string settled = wait_for(e.pg,
                                       "SELECT (SELECT count(*) FROM jobs WHERE status = 'done') || ' ' || "
                                       "(SELECT count(*) FROM outbound_messages WHERE status <> 'sent')",
                                       std::to_string(orders) + " 0", std::chrono::seconds(900));
  const double drain_s = rel::seconds_since(back);
  rel::figure("receivers", "outputs_waiting_at_return", waiting);
  rel::figure("receivers", "drain_s", rel::fixed1(drain_s));
  CHECK_MESSAGE(settled == std::to_string(orders) + " 0", "jobs done, outbound not sent: " << settled);
  CHECK(dead_during == "0");
  CHECK(std::stol(waiting) > 0);

  for (const auto& r : ris->records()) ris_records.push_back(r);
  for (const auto& r : pager->records()) pager_records.push_back(r);
  fhir_states.push_back(fhir.state());
  std::size_t delivered = 0;
  for (const rel::lane_report& r : rel::check_lanes(e.pg, ris_records, pager_records, fhir_states)) {
    CHECK_MESSAGE(r.ok(), r);
    CHECK_MESSAGE(r.expected > 0, r);
    MESSAGE(r);
    delivered += r.received;
  }
  rel::key_figure("receivers", "down " + rel::fixed1(rel::seconds_since(down) - drain_s) + " s with " +
                                   std::to_string(orders - 2) + " orders arriving: " + waiting +
                                   " outputs waiting, all " + std::to_string(delivered) + " delivered in lane order " +
                                   rel::fixed1(drain_s) + " s after the receivers returned (" +
                                   rel::fixed1(rel::seconds_since(started)) + " s)");
  e.process->stop(std::chrono::seconds(10));
}
