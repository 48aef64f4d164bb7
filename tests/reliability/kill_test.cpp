// Scenario "kill": `radbridge serve` killed with -9 at random moments (seeded;
// the seed is printed, RADBRIDGE_RELIABILITY_SEED repeats a run) during a
// paced replay of filler messages with study-complete orders among them,
// each for its own synthetic study in a real Orthanc; serve is started again
// at once after each kill. Real receivers: python-hl7 (RIS, pager), the FHIR
// test server, Orthanc's STOW-RS and a folder.
//
// Verdict: every message ACKed AA is stored once (and every message ends with
// an AA, since the replay resends what had no ACK); every order's study ends
// with exactly one job, done, with one inference per model; every output
// reached its receiver at least once, repeats only of the same MSH-10 or
// identifier, first receptions in lane order; after the last restart nothing
// is stuck: no inbound row unrouted, no job queued, waiting or running, no
// outbound row pending or dead.
// Sizes: KILLS (20), MESSAGES (10000), ORDERS (50), RATE (25 msgs/s: the
// replay lasts about 400 s, so that kills land while jobs run and results go
// out, not only while a restarted worker loads its models), SEED. Leases are
// short (job_lease_ms 5000) so that work a killed engine held is taken up
// again within seconds.
#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ack_audit.hpp"
#include "deliveries.hpp"
#include "reliability.hpp"
#include "scenario_pipeline.hpp"
#include "serve_process.hpp"
#include "traffic.hpp"

namespace rel = radbridge::reliability;

TEST_CASE("reliability kill: kill -9 of serve at random moments during a replay with study-complete orders" *
          doctest::test_suite("kill")) {
  const long kills = rel::setting("KILLS", 20);
  const long total = rel::setting("MESSAGES", 10000);
  const long orders = rel::setting("ORDERS", 50);
  const long rate = rel::setting("RATE", 25);
  long seed = rel::setting("SEED", 0);
  if (seed == 0) seed = static_cast<long>(std::time(nullptr));
  rel::figure("kill", "seed", std::to_string(seed));
  REQUIRE(orders >= 1);
  REQUIRE(total >= orders);
  const auto started = std::chrono::steady_clock::now();

  scenario_pipeline p("kill", 4242, static_cast<int>(orders), retrying_jobs);
  p.studies.upload_all(p.orthanc);
  engine& e = p.e;

  // The replay: filler with an order every total/orders messages.
  rel::write_messages(e.dir.path() / "messages.hl7",
                      p.studies.with_orders(total, 0, static_cast<std::size_t>(orders), "KILL"));

  // Kill moments: uniform over the replay's paced length, shifted by each restart's downtime.
  std::mt19937_64 random(static_cast<std::uint64_t>(seed));
  const double window_s = static_cast<double>(total) / static_cast<double>(rate);
  std::uniform_real_distribution<double> uniform(0.02 * window_s, 0.98 * window_s);
  std::vector<double> moments;
  for (long k = 0; k < kills; ++k) moments.push_back(uniform(random));
  std::sort(moments.begin(), moments.end());
  std::ostringstream listed;
  for (const double m : moments) listed << rel::fixed1(m) << " ";
  MESSAGE("kill moments (s after the replay starts, before downtime): " << listed.str());

  const fs::path acks = e.dir.path() / "acks.log";
  const fs::path replay_log = e.dir.path() / "replay.log";
  const rel::kept_log kept_replay_log("kill", replay_log);
  test::child_process replay =
      rel::start_replay(e.port, e.dir.path() / "messages.hl7", acks, replay_log, {.connections = 4, .rate = rate});
  const auto replay_start = std::chrono::steady_clock::now();
  std::chrono::duration<double> downtime{0};
  long done_kills = 0, kills_during_jobs = 0, kills_during_delivery = 0;
  double restart_max_s = 0;
  for (const double moment : moments) {
    const auto at = replay_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       std::chrono::duration<double>(moment) + downtime);
    while (std::chrono::steady_clock::now() < at && replay.running())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!replay.running()) break;
    // What the kill interrupts: a job running, results waiting to go out.
    std::istringstream busy(
        e.pg.psql("SELECT (SELECT count(*) FROM jobs WHERE status = 'running') || ' ' || "
                  "(SELECT count(*) FROM outbound_messages WHERE status = 'pending')"));
    long running = 0, pending = 0;
    busy >> running >> pending;
    kills_during_jobs += running > 0;
    kills_during_delivery += pending > 0;
    const auto before = std::chrono::steady_clock::now();
    rel::kill_serve(*e.process);
    e.process.emplace(rel::start_serve(p.config, e.pg.conninfo(), p.log));
    const std::chrono::duration<double> down = std::chrono::steady_clock::now() - before;
    downtime += down;
    restart_max_s = std::max(restart_max_s, down.count());
    ++done_kills;
  }
  const auto last_restart = std::chrono::steady_clock::now();
  const int replay_exit = replay.wait_for(std::chrono::seconds(1800)).value_or(-1);
  MESSAGE("replay:\n" << test::read_file(replay_log));
  rel::figure("kill", "kills", std::to_string(done_kills));
  rel::figure("kill", "kills_while_a_job_ran", std::to_string(kills_during_jobs));
  rel::figure("kill", "kills_while_outputs_pending", std::to_string(kills_during_delivery));
  rel::figure("kill", "restart_max_s", rel::fixed1(restart_max_s));
  rel::figure("kill", "replay_resent", rel::summary_field(replay_log, "resent"));
  rel::figure("kill", "replay_reconnects", rel::summary_field(replay_log, "reconnects"));
  CHECK_MESSAGE(done_kills == kills, "the replay ended before every kill; kills done: " << done_kills);
  CHECK(replay_exit == 0);

  // Every message ended with an AA; every AA is stored, once.
  const std::map<std::string, std::string> answers = rel::read_acks(acks);
  const rel::ack_audit audit = rel::audit_acks(e.pg, answers);
  CHECK(answers.size() == static_cast<std::size_t>(total));
  CHECK(audit.aa == static_cast<std::size_t>(total));
  CHECK_MESSAGE(audit.aa_not_stored == 0, "acknowledged AA but not stored, the first: " << audit.first_not_stored);
  CHECK(audit.keys_stored_twice == "0");
  CHECK(e.pg.psql("SELECT count(*) FROM inbound_messages") == std::to_string(total));

  // Everything settles: every job finished, every outbound row out of the pending state.
  const std::string n = std::to_string(orders);
  const std::string settled = wait_for(
      e.pg,
      "SELECT (SELECT count(*) FROM jobs WHERE status NOT IN ('queued', 'waiting_for_study', 'running')) || ' ' || "
      "(SELECT count(*) FROM outbound_messages WHERE status = 'pending') || ' ' || "
      "(SELECT count(*) FROM inbound_messages WHERE status = 'received')",
      n + " 0 0", std::chrono::seconds(60 * 20));
  rel::figure("kill", "settled_after_last_restart_s", rel::fixed1(rel::seconds_since(last_restart)));
  CHECK_MESSAGE(settled == n + " 0 0", "finished jobs, pending outbound, unrouted inbound: " << settled);

  // Each study: exactly one job, done, one inference per model.
  CHECK(
      e.pg.psql("SELECT count(*) || ' ' || count(DISTINCT study_key) || ' ' || count(*) FILTER (WHERE status = 'done') "
                "FROM jobs") == n + " " + n + " " + n);
  CHECK(e.pg.psql("SELECT count(*) || ' ' || count(DISTINCT (job_id, model)) FROM inference_audit") ==
        std::to_string(2 * orders) + " " + std::to_string(2 * orders));
  rel::figure("kill", "job_attempts_total", e.pg.psql("SELECT sum(attempts) FROM jobs"));
  // Nothing stuck, nothing given up.
  CHECK(e.pg.psql("SELECT count(*) FROM outbound_messages WHERE status <> 'sent'") == "0");
  CHECK(e.pg.psql("SELECT count(*) FROM inbound_messages WHERE status NOT IN ('routed', 'filtered')") == "0");

  // Every output at its receiver, at least once, in lane order; repeats only of the same message.
  std::size_t duplicates = 0;
  for (const rel::lane_report& r : p.lanes()) {
    CHECK_MESSAGE(r.ok(), r);
    CHECK_MESSAGE(r.expected > 0, r);
    MESSAGE(r);
    duplicates += r.duplicates;
    rel::figure("kill", r.destination + "_duplicates", std::to_string(r.duplicates));
  }
  CHECK(e.pg.psql("SELECT count(*) FROM outbound_messages WHERE destination = 'ris'") == n);
  // SRs: each in the PACS (STOW-RS) and in the folder.
  std::istringstream srs(
      e.pg.psql("SELECT identity FROM outbound_messages WHERE output = 'sr' AND destination = 'pacs'"));
  std::size_t sr_count = 0, sr_found = 0;
  for (std::string uid; srs >> uid; ++sr_count) {
    const auto found = p.orthanc.request("POST", "/tools/lookup", uid);
    sr_found += found.status == 200 && found.body.find("\"Instance\"") != std::string::npos;
  }
  CHECK(sr_count == static_cast<std::size_t>(orders));
  CHECK(sr_found == sr_count);
  std::istringstream files(
      e.pg.psql("SELECT identity FROM outbound_messages WHERE output = 'sr' AND destination = 'outbox'"));
  std::size_t file_count = 0, file_found = 0;
  for (std::string uid; files >> uid; ++file_count) file_found += fs::exists(e.dir.path() / "outbox" / (uid + ".dcm"));
  CHECK(file_count == static_cast<std::size_t>(orders));
  CHECK(file_found == file_count);

  // No worker of a killed engine lives on: the only processes on this configuration are serve and its worker.
  const auto on_config = rel::processes_with(p.config.string());
  std::size_t orphans = 0;
  for (const auto& [pid, parent] : on_config) orphans += pid != e.process->pid() && parent != e.process->pid();
  CHECK_MESSAGE(orphans == 0, orphans << " processes on this configuration outlived their engine");
  rel::figure("kill", "orphan_processes", std::to_string(orphans));
  const std::string stuck = e.pg.psql(
      "SELECT (SELECT count(*) FROM jobs WHERE status IN ('queued', 'waiting_for_study', 'running')) + "
      "(SELECT count(*) FROM outbound_messages WHERE status <> 'sent') + "
      "(SELECT count(*) FROM inbound_messages WHERE status = 'received')");

  rel::key_figure("kill", std::to_string(done_kills) + " kills (seed " + std::to_string(seed) +
                              "): " + std::to_string(audit.aa) + "/" + std::to_string(total) + " AA, " +
                              std::to_string(audit.stored) + " stored once, " +
                              e.pg.psql("SELECT count(*) FROM jobs WHERE status = 'done'") + "/" + n +
                              " jobs done once, " + std::to_string(duplicates) + " duplicate deliveries, " + stuck +
                              " stuck, " + std::to_string(orphans) + " orphans (" +
                              rel::fixed1(rel::seconds_since(started)) + " s)");
  e.process->stop(std::chrono::seconds(10));
}
