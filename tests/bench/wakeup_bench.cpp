// wakeup_bench: how long an idle engine takes from an order's commit (its ACK
// follows at once) to a job worker claiming its job, with LISTEN/NOTIFY
// wake-ups against polling every 200 ms (the engine before wake-ups, its old
// default), measured in the same run on the same private PostgreSQL.
//
// For each mode: `radbridge serve` with the shipped mappings (the stroke
// route made to fail at once: a PACS folder that does not exist and
// max_wait_ms 1, so every job ends in one step and the engine stays idle);
// `radbridge replay` sends the study-complete sample 200 times (unique
// MSH-10) at 10 msgs/s; the delay of each job is first_claimed_at -
// inbound_messages.received_at, both PostgreSQL's clock. Prints p50, p95 and
// p99 per mode, the ratio of the p99s (polling / notify), and last
// `claim_p99_ms=N` for notify mode (target: < 50 ms when idle).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

#ifndef RADBRIDGE_BINARY
#error "RADBRIDGE_BINARY must name the radbridge executable"
#endif

namespace test = radbridge::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr int orders = 200;

struct percentiles {
  double p50 = 0, p95 = 0, p99 = 0;
};

// SQL in another database of the same server.
std::string psql_in(const test::postgres_server& pg, const std::string& database, const std::string& sql) {
  return pg.psql("\\c " + database + "\n" + sql);
}

percentiles run_mode(const test::postgres_server& pg, const std::string& database, bool listen, int poll_ms) {
  test::temp_folder dir("radbridge-wakeup-bench");
  pg.psql("CREATE DATABASE " + database);
  std::string conninfo = pg.conninfo();
  conninfo = test::replace_all(conninfo, "dbname=radbridge", "dbname=" + database);

  fs::create_directory(dir.path() / "mappings");
  std::string stroke = test::read_file(test::source_dir() / "mappings/stroke_ct_head.json");
  stroke = test::replace_all(stroke, "\"models\": [", "\"readiness\": {\"max_wait_ms\": 1},\n      \"models\": [");
  test::write_file(dir.path() / "mappings/stroke.json", stroke);
  fs::copy_file(test::source_dir() / "mappings/destinations.json", dir.path() / "mappings/destinations.json");
  const std::uint16_t port = test::free_tcp_port();
  test::write_file(dir.path() / "radbridge.json",
        R"({"interfaces": [{"name": "ris", "listen": "127.0.0.1:)" + std::to_string(port) + R"("}],
 "admin": {"listen": "127.0.0.1:0"},
 "pipeline": {"mappings": ["mappings"], "registry": ")" + (test::source_dir() / "models/registry.json").string() +
            R"(", "pacs": {"folder": ")" + (dir.path() / "no-such-folder").string() + R"("},
              "listen": )" + (listen ? "true" : "false") + R"(, "poll_ms": )" + std::to_string(poll_ms) + "}}");

  const fs::path log = dir.path() / "engine.log";
  test::spawn_options options;
  options.out = test::stdio_target::append_to(log);
  options.err = test::stdio_target::append_to(log);
  options.stop_grace = 10s;
  test::child_process engine({RADBRIDGE_BINARY, "serve", "--config", (dir.path() / "radbridge.json").string(), "--db",
                              conninfo},
                             options);
  for (int i = 0; i < 600 && test::read_file(log).find("pipeline_started") == std::string::npos; ++i) {
    if (!engine.running()) throw std::runtime_error("radbridge serve exited:\n" + test::read_file(log));
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(1s);  // the listener is connected and everything idle

  const auto replay = test::run_captured(
      {RADBRIDGE_BINARY, "replay", "--to", "127.0.0.1:" + std::to_string(port), "--repeat", std::to_string(orders),
       "--unique", "--rate", "10", (test::source_dir() / "samples/hl7/orm_o01_ct_head_sc_complete.hl7").string()},
      {}, "", 120s);
  if (replay.status != 0) throw std::runtime_error("replay failed:\n" + replay.out + replay.err);
  const std::string count_sql = "SELECT count(*) FROM jobs WHERE first_claimed_at IS NOT NULL";
  for (int i = 0; i < 600 && psql_in(pg, database, count_sql) != std::to_string(orders); ++i) std::this_thread::sleep_for(50ms);
  if (psql_in(pg, database, count_sql) != std::to_string(orders)) {
    throw std::runtime_error("not every job was claimed:\n" + test::read_file(log));
  }
  const std::string row = psql_in(pg, database, 
      "SELECT string_agg(round(x::numeric, 2)::text, ' ') FROM unnest((SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) "
      "WITHIN GROUP (ORDER BY extract(epoch FROM j.first_claimed_at - i.received_at) * 1000) "
      "FROM jobs j JOIN inbound_messages i ON i.id = j.inbound_id)) AS x");
  percentiles p;
  std::istringstream in(row);
  in >> p.p50 >> p.p95 >> p.p99;
  if (!in) throw std::runtime_error("unreadable percentiles: " + row);
  return p;
}

}  // namespace

int main() {
  try {
    test::postgres_server pg;
    std::printf("wakeup_bench: %d study-complete orders at 10 msgs/s into an idle engine; delay from the order's "
                "commit to its job's claim\n",
                orders);
    const percentiles notify = run_mode(pg, "notify", true, 1000);
    std::printf("  LISTEN/NOTIFY (poll fallback 1000 ms): p50 %.2f ms, p95 %.2f ms, p99 %.2f ms\n", notify.p50,
                notify.p95, notify.p99);
    std::fflush(stdout);
    const percentiles polling = run_mode(pg, "polling", false, 200);
    std::printf("  polling every 200 ms (the peer):      p50 %.2f ms, p95 %.2f ms, p99 %.2f ms\n", polling.p50,
                polling.p95, polling.p99);
    std::printf("ratio (polling p99 / notify p99): %.1f\n", polling.p99 / std::max(notify.p99, 0.01));
    std::printf("claim_p99_ms=%.2f\n", notify.p99);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wakeup_bench: %s\n", e.what());
    return 1;
  }
}
