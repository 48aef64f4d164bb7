// Scenario "soak": SOAK_MINUTES (60) of filler at SOAK_RATE (300) msgs/s
// over 4 connections, with a study-complete order every SOAK_ORDER_S (30)
// seconds for a study that arrives in the PACS just before it, through the
// whole pipeline to real receivers. Every SOAK_SAMPLE_S (60) seconds (one
// replay run each) a row: serve's and its worker's resident memory, serve's
// open descriptors, the queues (inbound rows not yet routed, jobs not
// finished, outbound rows pending) and that minute's ACK latency p99.
//
// Verdict: every message and every order got its AA; at the end every job is
// done and every output delivered in lane order; and the figures are flat:
// comparing the mean of the last quarter of the rows with the mean of the
// second quarter (the first is warm-up),
//   resident memory of serve         last <= second * 1.10 + 8 MB
//   resident memory of the worker    last <= second * 1.10 + 64 MB (libtorch's
//                                    allocator grows in steps of tens of MB)
//   open descriptors                 last <= second + 5
//   inbound not routed               last <= second + SOAK_RATE (a second's worth)
//   jobs not finished                last <= second + 2
//   outbound pending                 last <= second + 10
//   ACK p99                          last <= second * 1.5 + 5 ms
// Needs at least 4 rows (a 3-minute try: SOAK_SAMPLE_S=15).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "deliveries.hpp"
#include "mllp_peer.hpp"
#include "reliability.hpp"
#include "scenario_pipeline.hpp"
#include "serve_process.hpp"
#include "traffic.hpp"

namespace rel = radbridge::reliability;

namespace {

using clock_type = std::chrono::steady_clock;

struct row {
  double minute = 0;
  double serve_rss_mb = 0, worker_rss_mb = 0;
  double fds = 0;
  double inbound = 0, jobs = 0, outbound = 0;
  double p99_ms = 0;
  long aa = 0, messages = 0;
  int replay_exit = 0;  // not printed
};

std::string format_row(const row& r) {
  char line[256];
  std::snprintf(line, sizeof line, "%7.2f %9.1f %10.1f %5.0f %8.0f %5.0f %9.0f %8.2f %7ld/%ld", r.minute,
                r.serve_rss_mb, r.worker_rss_mb, r.fds, r.inbound, r.jobs, r.outbound, r.p99_ms, r.aa, r.messages);
  return line;
}

// Mean of `field` over rows [from, to).
template <class Field>
double quarter_mean(const std::vector<row>& rows, std::size_t from, std::size_t to, Field field) {
  std::vector<double> v;
  for (std::size_t i = from; i < to; ++i) v.push_back(field(rows[i]));
  return rel::mean(v);
}

}  // namespace

TEST_CASE(
    "reliability soak: 300 msgs/s with a study-complete order every 30 s; memory, descriptors, queues and "
    "latency stay flat" *
    doctest::test_suite("soak")) {
  const long minutes = rel::setting("SOAK_MINUTES", 60);
  const long rate = rel::setting("SOAK_RATE", 300);
  const long order_s = rel::setting("SOAK_ORDER_S", 30);
  const long sample_s = rel::setting("SOAK_SAMPLE_S", 60);
  const long rows_wanted = minutes * 60 / sample_s;
  REQUIRE_MESSAGE(rows_wanted >= 4, "the soak needs at least 4 samples: raise SOAK_MINUTES or lower SOAK_SAMPLE_S");
  const long orders = std::max<long>(1, minutes * 60 / order_s);
  const auto started = clock_type::now();

  scenario_pipeline p("soak", 8080, static_cast<int>(orders), R"("job_attempts": 5)");
  engine& e = p.e;
  const pid_t serve = e.process->pid();

  // Orders on their own connection, each study uploaded just before its order.
  std::atomic<bool> stop_orders{false};
  std::atomic<long> orders_sent{0}, orders_acked{0};
  std::thread order_thread([&] {
    rel::mllp_peer peer("127.0.0.1", e.port);
    auto next = clock_type::now();
    for (long k = 0; k < orders && !stop_orders; ++k) {
      while (!stop_orders && clock_type::now() < next) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (stop_orders) break;
      next += std::chrono::seconds(order_s);
      p.studies.upload(p.orthanc, static_cast<std::size_t>(k));
      const std::string order = order_for(p.studies.truth[static_cast<std::size_t>(k)], "ORD-" + std::to_string(k));
      const auto answer = peer.exchange(order, std::chrono::seconds(30));
      ++orders_sent;
      orders_acked += answer.code == "AA";
    }
  });

  std::vector<row> rows;
  const std::string header = " minute serve_MiB worker_MiB   fds inbound  jobs  outbound  p99_ms       AA";
  std::cout << header << std::endl;
  for (long i = 0; i < rows_wanted; ++i) {
    const long count = rate * sample_s;
    std::vector<std::string> chunk;
    chunk.reserve(static_cast<std::size_t>(count));
    for (long n = 0; n < count; ++n) chunk.push_back(rel::filler_message("SOAK" + std::to_string(i) + "-", n));
    const fs::path file = e.dir.path() / "chunk.hl7";
    const fs::path replay_log = e.dir.path() / ("replay-" + std::to_string(i) + ".log");
    rel::write_messages(file, chunk);
    test::child_process replay =
        rel::start_replay(e.port, file, e.dir.path() / "acks.log", replay_log, {.connections = 4, .rate = rate});
    row r;
    r.replay_exit = replay.wait_for(std::chrono::seconds(sample_s * 10 + 120)).value_or(-1);
    r.minute = std::chrono::duration<double>(clock_type::now() - started).count() / 60;
    r.messages = count;
    const std::string aa = rel::summary_field(replay_log, "AA");
    r.aa = aa.empty() ? 0 : std::stol(aa);
    r.p99_ms = rel::summary_latency(replay_log, "p99");
    if (const auto figures = rel::proc_figures_of(serve)) {
      r.serve_rss_mb = static_cast<double>(figures->rss_kb) / 1024;
      r.fds = static_cast<double>(figures->fds);
    }
    if (const auto w = rel::proc_figures_of(rel::worker_pid_in(p.log)))
      r.worker_rss_mb = static_cast<double>(w->rss_kb) / 1024;
    std::istringstream depths(
        e.pg.psql("SELECT (SELECT count(*) FROM inbound_messages WHERE status = 'received') || ' ' || "
                  "(SELECT count(*) FROM jobs WHERE status IN ('queued', 'waiting_for_study', 'running')) || ' ' || "
                  "(SELECT count(*) FROM outbound_messages WHERE status = 'pending')"));
    depths >> r.inbound >> r.jobs >> r.outbound;
    rows.push_back(r);
    std::cout << format_row(r) << std::endl;
    rel::figure("soak", "row", "\"" + format_row(r) + "\"");
    REQUIRE_MESSAGE(e.process->running(), "serve exited during the soak");
  }
  stop_orders = true;
  order_thread.join();

  // Flatness: the last quarter against the second.
  const std::size_t n = rows.size();
  const std::size_t q2_from = n / 4, q2_to = n / 2, q4_from = n - n / 4;
  struct series {
    const char* name;
    double (*field)(const row&);
    double factor, slack;
  };
  const double rate_slack = static_cast<double>(rate);
  const std::vector<series> checks = {
      {"serve_rss_mb", [](const row& r) { return r.serve_rss_mb; }, 1.10, 8},
      {"worker_rss_mb", [](const row& r) { return r.worker_rss_mb; }, 1.10, 64},
      {"fds", [](const row& r) { return r.fds; }, 1.0, 5},
      {"inbound_not_routed", [](const row& r) { return r.inbound; }, 1.0, rate_slack},
      {"jobs_not_finished", [](const row& r) { return r.jobs; }, 1.0, 2},
      {"outbound_pending", [](const row& r) { return r.outbound; }, 1.0, 10},
      {"ack_p99_ms", [](const row& r) { return r.p99_ms; }, 1.5, 5},
  };
  std::string flat_summary;  // empty: flat
  for (const series& s : checks) {
    const double second = quarter_mean(rows, q2_from, q2_to, s.field);
    const double last = quarter_mean(rows, q4_from, n, s.field);
    const double limit = second * s.factor + s.slack;
    const bool ok = last <= limit;
    rel::figure("soak", std::string("flat_") + s.name,
                "\"second quarter " + rel::fixed1(second) + ", last " + rel::fixed1(last) + ", limit " +
                    rel::fixed1(limit) + (ok ? ", flat\"" : ", GROWING\""));
    CHECK_MESSAGE(
        ok, s.name << ": second quarter mean " << second << ", last quarter mean " << last << ", limit " << limit);
    if (!ok) flat_summary += std::string(flat_summary.empty() ? "" : ", ") + s.name + " grew";
  }
  std::cout << header << "\n";
  for (const row& r : rows) std::cout << format_row(r) << "\n";
  std::cout << std::flush;

  long replays_failed = 0, rows_not_all_aa = 0, aa = 0, messages = 0;
  for (const row& r : rows) {
    replays_failed += r.replay_exit != 0;
    rows_not_all_aa += r.aa != r.messages;
    aa += r.aa;
    messages += r.messages;
  }
  CHECK(replays_failed == 0);
  CHECK_MESSAGE(rows_not_all_aa == 0, aa << " AA for " << messages << " messages");
  CHECK(orders_acked.load() == orders_sent.load());
  const std::string settled = wait_for(e.pg,
                                       "SELECT (SELECT count(*) FROM jobs WHERE status = 'done') || ' ' || "
                                       "(SELECT count(*) FROM outbound_messages WHERE status <> 'sent')",
                                       std::to_string(orders_sent) + " 0", std::chrono::seconds(900));
  CHECK_MESSAGE(settled == std::to_string(orders_sent) + " 0", "jobs done, outbound not sent: " << settled);
  for (const rel::lane_report& r : p.lanes()) {
    CHECK_MESSAGE(r.ok(), r);
    MESSAGE(r);
  }
  const row& last = rows.back();
  rel::key_figure("soak", std::to_string(minutes) + " min at " + std::to_string(rate) + " msgs/s, " +
                              std::to_string(orders_sent) + " orders: " +
                              (flat_summary.empty() ? "flat" : flat_summary) + "; last row: serve " +
                              rel::fixed1(last.serve_rss_mb) + " MiB, worker " + rel::fixed1(last.worker_rss_mb) +
                              " MiB, " + rel::fixed1(last.fds) + " fds, p99 " + rel::fixed1(last.p99_ms) + " ms (" +
                              rel::fixed1(rel::seconds_since(started)) + " s)");
  e.process->stop(std::chrono::seconds(10));
}
