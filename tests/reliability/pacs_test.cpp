// Scenario "pacs": the PACS goes wrong while jobs fetch from it. A TCP proxy
// in front of a real Orthanc makes it, in turn:
// - refused (down: connects refused, open connections reset) for
//   PACS_OUTAGE_S (60) seconds while two study-complete orders arrive;
// - hung (connections accepted, nothing answered; the engine's PACS timeout
//   is 15 s) for the same time, two more orders;
// - slow (PACS_SLOW_KBPS, 64 KiB/s, from Orthanc to the engine: a study's
//   0.5 MB take about 9 s, within the timeout, which bounds a whole request,
//   not the time between bytes), two more.
// Then a study that never completes: 8 of the 16 instances the route expects
// (readiness expected_instances 16, max_wait_ms PACS_MAX_WAIT_S (120) s,
// which exceeds the outages, so that the incomplete study is still waited
// for when the PACS answers again).
//
// Verdict: no job fails while the PACS is refused or hung; each completes
// once the PACS answers again (time reported) and its outputs are all sent;
// the slow fetches complete; the incomplete study's job fails as
// study_not_ready, with its reason, no sooner than the configured wait and
// within 5 minutes after it, having sent nothing.
// Job settings: job_attempts 1, so that a PACS outage that used up an
// attempt would fail its jobs: a PACS that is down, hung or overloaded is
// waited for (within the route's max_wait) without using attempts.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "reliability.hpp"
#include "serve_process.hpp"
#include "studies.hpp"
#include "support/delivery_peers.hpp"
#include "support/pipeline_fixture.hpp"
#include "tcp_proxy.hpp"
#include "traffic.hpp"

namespace rel = radbridge::reliability;

namespace {

using clock_type = std::chrono::steady_clock;

// Replays the orders for studies `which` (control ids ORD-<i>) and checks each got its AA.
void send_orders(engine& e, const study_set& studies, std::initializer_list<std::size_t> which) {
  std::vector<std::string> orders;
  for (const std::size_t i : which) orders.push_back(order_for(studies.truth[i], "ORD-" + std::to_string(i)));
  e.replay(orders);
}

std::string statuses(const engine& e, const std::string& ids) {
  return e.pg.psql("SELECT string_agg(status, ',' ORDER BY id) FROM jobs WHERE id IN (" + ids + ")");
}

}  // namespace

TEST_CASE("reliability pacs: Orthanc refused, hung and slow during fetch; a study that never completes fails" *
          doctest::test_suite("pacs")) {
  const long outage_s = rel::setting("PACS_OUTAGE_S", 60);
  const long max_wait_s = rel::setting("PACS_MAX_WAIT_S", 120);
  // The wait counts from the order: the incomplete study must still be waited for after the outages.
  REQUIRE_MESSAGE(max_wait_s >= outage_s + 30, "PACS_MAX_WAIT_S must exceed PACS_OUTAGE_S by 30 s or more");
  const long slow_kbps = rel::setting("PACS_SLOW_KBPS", 64);
  const auto started = clock_type::now();

  const study_set studies(6060, 7);
  const test::orthanc_server orthanc;
  for (std::size_t i = 0; i < 6; ++i) studies.upload(orthanc, i);
  studies.upload(orthanc, 6, 8);  // never completes
  rel::tcp_proxy proxy(orthanc.http_port(), static_cast<std::size_t>(slow_kbps) * 1024);
  test::deliver::hl7_receiver ris, pager;
  test::deliver::fhir_server fhir;
  engine e;
  e.configure(
      ris.address(), pager.address(), fhir.base_url(),
      "http://127.0.0.1:" + std::to_string(proxy.port()) + "/dicom-web",
      R"("job_attempts": 1, "job_lease_ms": 10000)",
      R"({"settle_ms": 200, "expected_instances": 16, "max_wait_ms": )" + std::to_string(max_wait_s * 1000) + "}");
  const fs::path config = e.dir.path() / "radbridge.json";
  const std::string pacs_entry =
      "\"pacs\": {\"dicomweb\": \"http://127.0.0.1:" + std::to_string(proxy.port()) + "/dicom-web\"";
  rel::rewrite_config(config, pacs_entry, pacs_entry + ", \"timeout_ms\": 15000");
  const fs::path log = e.dir.path() / "engine.log";
  const rel::kept_log kept_engine_log("pacs", log);
  e.process.emplace(rel::start_serve(config, e.pg.conninfo(), log));

  // Each outage: orders arrive, the PACS stays bad for the outage, then answers again.
  const auto outage = [&](rel::tcp_proxy::mode bad, const std::string& name, std::size_t a, std::size_t b,
                          const std::string& ids) {
    proxy.set(bad);
    send_orders(e, studies, {a, b});
    const auto down = clock_type::now();
    std::string ended = "0";
    while (rel::seconds_since(down) < static_cast<double>(outage_s)) {
      ended = e.pg.psql("SELECT count(*) FROM jobs WHERE id IN (" + ids + ") AND status IN ('failed', 'done')");
      if (ended != "0") break;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    CHECK_MESSAGE(ended == "0", name << ": a job ended while the PACS was " << name << ": " << statuses(e, ids));
    rel::figure("pacs", name + "_attempts_during_outage",
                e.pg.psql("SELECT string_agg(attempts::text, ',' ORDER BY id) FROM jobs WHERE id IN (" + ids + ")"));
    proxy.set(rel::tcp_proxy::mode::pass);
    const auto back = clock_type::now();
    wait_for(e.pg, "SELECT count(*) FROM jobs WHERE id IN (" + ids + ") AND status IN ('done', 'failed', 'cancelled')",
             "2", std::chrono::seconds(600));
    CHECK_MESSAGE(
        statuses(e, ids) == "done,done",
        name << ": jobs " << statuses(e, ids) << ", errors: "
             << e.pg.psql("SELECT string_agg(coalesce(error, '-'), ' | ' ORDER BY id) FROM jobs WHERE id IN (" + ids +
                          ")"));
    const double done_s = rel::seconds_since(back);
    rel::figure("pacs", name + "_done_after_return_s", rel::fixed1(done_s));
    return done_s;
  };
  const double refused_s = outage(rel::tcp_proxy::mode::refuse, "refused", 0, 1, "1,2");
  const double hung_s = outage(rel::tcp_proxy::mode::stall, "hung", 2, 3, "3,4");

  proxy.set(rel::tcp_proxy::mode::slow);
  send_orders(e, studies, {4, 5});
  const auto slow_start = clock_type::now();
  wait_for(e.pg, "SELECT count(*) FROM jobs WHERE id IN (5,6) AND status IN ('done', 'failed', 'cancelled')", "2",
           std::chrono::seconds(900));
  CHECK_MESSAGE(statuses(e, "5,6") == "done,done", "slow: jobs " << statuses(e, "5,6"));
  const double slow_s = rel::seconds_since(slow_start);
  rel::figure("pacs", "slow_done_s", rel::fixed1(slow_s));
  proxy.set(rel::tcp_proxy::mode::pass);

  // The study that never completes.
  send_orders(e, studies, {6});
  const auto ordered = clock_type::now();
  const std::string ended =
      wait_for(e.pg, "SELECT status FROM jobs WHERE id = 7", "failed", std::chrono::seconds(max_wait_s + 300));
  const double failed_after_s = rel::seconds_since(ordered);
  rel::figure("pacs", "incomplete_failed_after_s", rel::fixed1(failed_after_s));
  CHECK_MESSAGE(ended == "failed", "the incomplete study's job: " << ended);
  CHECK(e.pg.psql("SELECT failure FROM jobs WHERE id = 7") == "study_not_ready");
  const std::string error = e.pg.psql("SELECT error FROM jobs WHERE id = 7");
  rel::figure("pacs", "incomplete_error", "\"" + error + "\"");
  CHECK_MESSAGE(error.starts_with("study_not_ready: after "), error);
  CHECK_MESSAGE(failed_after_s >= static_cast<double>(max_wait_s) - 1.0, failed_after_s);
  CHECK(e.pg.psql("SELECT count(*) FROM outbound_messages WHERE job_id = 7") == "0");

  // Everything else delivered.
  const std::string unsent =
      wait_for(e.pg, "SELECT count(*) FROM outbound_messages WHERE status <> 'sent'", "0", std::chrono::seconds(300));
  CHECK(unsent == "0");
  CHECK(e.pg.psql("SELECT count(*) FROM jobs WHERE status = 'done'") == "6");
  CHECK(ris.records().size() == 6);

  rel::key_figure(
      "pacs", "refused " + std::to_string(outage_s) + " s: done " + rel::fixed1(refused_s) +
                  " s after its return; hung " + std::to_string(outage_s) + " s: done " + rel::fixed1(hung_s) +
                  " s after; slow (" + std::to_string(slow_kbps) + " KiB/s): done in " + rel::fixed1(slow_s) +
                  " s; incomplete study failed study_not_ready after " + rel::fixed1(failed_after_s) + " s (max_wait " +
                  std::to_string(max_wait_s) + " s) (" + rel::fixed1(rel::seconds_since(started)) + " s)");
  e.process->stop(std::chrono::seconds(10));
}
