// Scenarios "postgres_stop" and "postgres_kill": PostgreSQL goes away under
// load and comes back, with no operator action on the engine.
// - postgres_stop: `pg_ctl stop -m fast` for PG_OUTAGE_S (30) seconds;
// - postgres_kill: the postmaster killed with -9, started again after
//   PG_KILL_DOWN_S (5) seconds (crash recovery replays the WAL).
// Load: `radbridge replay` at PG_RATE (200) msgs/s of filler over 4
// connections from PG_BEFORE_S (10) seconds before the outage to
// PG_AFTER_S (20) seconds after it, four study-complete orders among them
// (one before, two during, one after the outage), and a probe sending one
// message every 100 ms on its own connection to time the recovery.
//
// Verdict: no AA for anything not stored (every control id ACKed AA, by the
// replay or the probe, is in inbound_messages, once); the engine answers AA
// again within 30 s of PostgreSQL's return (the probe's first AA after it:
// the recovery time, reported); serve never exits; every replayed message
// ends with an AA (the replay resends what had no ACK); afterwards every job
// is done and every output sent, each receiver's in lane order, nothing
// unrouted.
#include <doctest/doctest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ack_audit.hpp"
#include "ack_probe.hpp"
#include "deliveries.hpp"
#include "reliability.hpp"
#include "scenario_pipeline.hpp"
#include "serve_process.hpp"
#include "traffic.hpp"

namespace rel = radbridge::reliability;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void sleep_until_or(clock_type::time_point at, const test::child_process& serve) {
  while (clock_type::now() < at && serve.running()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// Seconds from `back` to the probe's first AA for a message sent at or after it.
std::optional<double> first_aa_after(const std::vector<rel::ack_probe::sample>& samples, clock_type::time_point back) {
  for (const auto& s : samples) {
    if (s.sent >= back && s.code == "AA") return seconds_between(back, s.sent) + s.ms / 1000;
  }
  return std::nullopt;
}

void postgres_outage(const std::string& scenario, bool kill) {
  const long rate = rel::setting("PG_RATE", 200);
  const long before_s = rel::setting("PG_BEFORE_S", 10);
  const long outage_s = kill ? rel::setting("PG_KILL_DOWN_S", 5) : rel::setting("PG_OUTAGE_S", 30);
  const long after_s = rel::setting("PG_AFTER_S", 20);
  const auto started = clock_type::now();

  scenario_pipeline p(scenario, 5150, 4, retrying_jobs);
  p.studies.upload_all(p.orthanc);
  engine& e = p.e;

  // Filler for the whole run, an order at 10 %, 40 %, 60 % of the outage's place and after it.
  const long total = rate * (before_s + outage_s + after_s);
  const auto position = [&](double seconds) { return static_cast<long>(seconds * static_cast<double>(rate)); };
  const std::map<long, std::size_t> order_at = {
      {position(static_cast<double>(before_s) / 2), 0},
      {position(static_cast<double>(before_s) + static_cast<double>(outage_s) / 3), 1},
      {position(static_cast<double>(before_s) + 2.0 * static_cast<double>(outage_s) / 3), 2},
      {position(static_cast<double>(before_s + outage_s) + static_cast<double>(after_s) / 2), 3}};
  REQUIRE(order_at.size() == 4);
  std::vector<std::string> messages;
  for (long n = 0; n < total; ++n) {
    const auto order = order_at.find(n);
    messages.push_back(order != order_at.end() ? order_for(p.studies.truth[order->second], "ORD-" + std::to_string(n))
                                               : rel::filler_message("PG", n));
  }
  rel::write_messages(e.dir.path() / "messages.hl7", messages);
  const fs::path acks = e.dir.path() / "acks.log";
  const fs::path replay_log = e.dir.path() / "replay.log";
  const rel::kept_log kept_replay_log(scenario, replay_log);

  rel::ack_probe probe(e.port, "127.0.0.1", "PROBE", std::chrono::milliseconds(100), std::chrono::seconds(2));
  test::child_process replay =
      rel::start_replay(e.port, e.dir.path() / "messages.hl7", acks, replay_log, {.connections = 4, .rate = rate});
  const auto replay_start = clock_type::now();
  sleep_until_or(replay_start + std::chrono::seconds(before_s), *e.process);
  REQUIRE(e.process->running());

  const auto down = clock_type::now();
  if (kill) {
    const pid_t postmaster = e.pg.pid();
    REQUIRE(postmaster > 0);
    REQUIRE_MESSAGE(::kill(postmaster, SIGKILL) == 0, "kill " << postmaster << ": " << std::strerror(errno));
  } else {
    e.pg.stop();
  }
  sleep_until_or(down + std::chrono::seconds(outage_s), *e.process);
  e.pg.start();
  const auto back = clock_type::now();
  MESSAGE("PostgreSQL down for " << rel::fixed1(seconds_between(down, back)) << " s");

  // Recovery: the probe's first AA for a message sent after PostgreSQL accepted connections again.
  std::optional<double> recovery_s;
  const auto recovery_limit = back + std::chrono::seconds(120);
  while (!recovery_s && clock_type::now() < recovery_limit && e.process->running()) {
    recovery_s = first_aa_after(probe.samples(), back);
    if (!recovery_s) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const int replay_exit = replay.wait_for(std::chrono::seconds(900)).value_or(-1);
  probe.stop();
  MESSAGE("replay:\n"
          << rel::summary_field(replay_log, "AA") << " AA, none " << rel::summary_field(replay_log, "none")
          << ", resent " << rel::summary_field(replay_log, "resent") << ", reconnects "
          << rel::summary_field(replay_log, "reconnects"));
  CHECK_MESSAGE(e.process->running(), "serve exited");
  REQUIRE_MESSAGE(recovery_s.has_value(), "no AA within 120 s of PostgreSQL's return");
  rel::figure(scenario, "recovery_s", rel::fixed1(*recovery_s));
  CHECK_MESSAGE(*recovery_s <= 30.0, "recovery took " << *recovery_s << " s");

  // No AA for anything not stored: the replay's and the probe's.
  std::map<std::string, std::string> answers = rel::read_acks(acks);
  std::size_t probe_none = 0;
  for (const auto& s : probe.samples()) {
    if (s.code == "AA") {
      answers[s.control_id] = "AA";
    } else {
      ++probe_none;
    }
  }
  const rel::ack_audit audit = rel::audit_acks(e.pg, answers);
  CHECK_MESSAGE(audit.aa_not_stored == 0, "acknowledged AA but not stored, the first: " << audit.first_not_stored);
  CHECK(audit.keys_stored_twice == "0");
  CHECK(replay_exit == 0);  // every replayed message got its AA in the end
  rel::figure(scenario, "aa_not_stored", std::to_string(audit.aa_not_stored));
  rel::figure(scenario, "probe_without_ack", std::to_string(probe_none));
  rel::figure(scenario, "replay_resent", rel::summary_field(replay_log, "resent"));

  // No operator action: the pipeline catches up by itself.
  const std::string settled = wait_for(e.pg,
                                       "SELECT (SELECT count(*) FROM jobs WHERE status = 'done') || ' ' || "
                                       "(SELECT count(*) FROM outbound_messages WHERE status <> 'sent') || ' ' || "
                                       "(SELECT count(*) FROM inbound_messages WHERE status = 'received')",
                                       "4 0 0", std::chrono::seconds(600));
  CHECK_MESSAGE(settled == "4 0 0", "jobs done, outbound not sent, inbound unrouted: " << settled);
  for (const rel::lane_report& r : p.lanes()) {
    CHECK_MESSAGE(r.ok(), r);
    MESSAGE(r);
  }
  rel::key_figure(scenario, std::string(kill ? "postmaster killed -9, down " : "stopped ") +
                                rel::fixed1(seconds_between(down, back)) + " s: AA again " + rel::fixed1(*recovery_s) +
                                " s after its return, " + std::to_string(audit.aa_not_stored) + " of " +
                                std::to_string(audit.aa) + " AA not stored, " + settled.substr(0, settled.find(' ')) +
                                "/4 jobs done (" + rel::fixed1(rel::seconds_since(started)) + " s)");
  e.process->stop(std::chrono::seconds(10));
}

}  // namespace

TEST_CASE("reliability postgres_stop: PostgreSQL stopped under load, then started again" *
          doctest::test_suite("postgres_stop")) {
  postgres_outage("postgres_stop", false);
}

TEST_CASE("reliability postgres_kill: PostgreSQL's postmaster killed with -9 under load, then started again" *
          doctest::test_suite("postgres_kill")) {
  postgres_outage("postgres_kill", true);
}
