// `radbridge serve`'s admin server as an operator scrapes it: promtool
// accepts /metrics before and after traffic, and the figures move by exactly
// what was sent (stored, rejected, resent), with a real PostgreSQL.
#include <chrono>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "core/sha256.hpp"
#include "net/http_client.hpp"
#include "support.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace net = radbridge::net;
namespace test = radbridge::test;
using namespace std::chrono_literals;

namespace {

std::string adt(const std::string& control_id) {
  return "MSH|^~\\&|RIS|HOSP|RB|HOSP|20261206120000||ADT^A01|" + control_id + "|P|2.5\rPID|1||MRN1\r";
}

// The value of the sample `series` (name and labels, as written) in a scrape; -1 when absent.
double sample(const std::string& scrape, const std::string& series) {
  const std::string start = "\n" + series + " ";
  const std::size_t at = scrape.find(start);
  if (at == std::string::npos) return -1;
  return std::stod(scrape.substr(at + start.size(), scrape.find('\n', at + 1) - at - start.size()));
}

}  // namespace

TEST_CASE("serve metrics: promtool accepts the scrape and the ingest figures move by what was sent") {
  test::postgres_server pg;
  test::temp_folder dir("serve-metrics");
  const std::uint16_t port = test::free_tcp_port(), admin_port = test::free_tcp_port();
  test::write_file(dir.path() / "radbridge.json",
                   R"({"interfaces": [{"name": "ris", "listen": "127.0.0.1:)" + std::to_string(port) +
                       R"(", "message_types": ["ADT^*"]}], "admin": {"listen": "127.0.0.1:)" +
                       std::to_string(admin_port) + R"("}})");
  test::spawn_options options;
  options.out = test::stdio_target::append_to(dir.path() / "engine.log");
  options.err = test::stdio_target::append_to(dir.path() / "engine.log");
  test::child_process serve({RADBRIDGE_BINARY, "serve", "--config", (dir.path() / "radbridge.json").string(), "--db",
                             pg.conninfo()},
                            options);
  const auto log = [&] { return test::read_file(dir.path() / "engine.log"); };
  for (int i = 0; i < 200 && log().find("admin_listening") == std::string::npos; ++i) {
    REQUIRE_MESSAGE(serve.running(), log());
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE_MESSAGE(log().find("admin_listening address=127.0.0.1 port=" + std::to_string(admin_port)) != std::string::npos,
                  log());
  net::http_client admin(net::parse_http_url("http://127.0.0.1:" + std::to_string(admin_port)), {});
  const auto scrape = [&] {
    net::http_request r;
    r.target = "/metrics";
    const net::http_response got = admin.send(r, 1 << 20);
    REQUIRE(got.head.status == 200);
    const test::captured check = test::run_captured({"/usr/bin/promtool", "check", "metrics"}, {}, got.body, 30s);
    CHECK_MESSAGE(check.status == 0, check.out, check.err, got.body);
    return got.body;
  };

  const std::string before = scrape();
  CHECK(sample(before, R"(radbridge_messages_received_total{interface="ris",type="ADT^A01",ack="AA"})") == -1);
  CHECK(sample(before, R"(radbridge_ack_latency_seconds_count{interface="ris"})") == 0);
  CHECK(sample(before, "radbridge_commit_group_rows_count") == 0);
  CHECK(sample(before, R"(radbridge_inbound_messages{state="received"})") == 0);

  // Three ADT^A01 stored, one of them sent twice (the stored ACK again), and
  // an ORU^R01 the interface does not take (AR), on one connection.
  test::write_file(dir.path() / "messages.hl7",
                   adt("M1") + "\n" + adt("M2") + "\n" + adt("M3") + "\n" + adt("M2") + "\n" +
                       "MSH|^~\\&|RIS|HOSP|RB|HOSP|20261206120000||ORU^R01|M4|P|2.5\rPID|1||MRN1\r\n");
  const test::captured replay = test::run_captured(
      {RADBRIDGE_BINARY, "replay", "--to", "127.0.0.1:" + std::to_string(port), (dir.path() / "messages.hl7").string()},
      {}, "", 60s);
  CHECK_MESSAGE(replay.status == 1, replay.out, replay.err);  // the AR

  // The ACK latency is observed once the write completes, a moment after
  // the peer may already have read it: wait for the fifth, at most 10 s.
  std::string after = scrape();
  for (int i = 0; i < 100 && sample(after, R"(radbridge_ack_latency_seconds_count{interface="ris"})") < 5; ++i) {
    std::this_thread::sleep_for(100ms);
    after = scrape();
  }
  CHECK_MESSAGE(sample(after, R"(radbridge_messages_received_total{interface="ris",type="ADT^A01",ack="AA"})") == 4,
                after);
  CHECK_MESSAGE(sample(after, R"(radbridge_messages_received_total{interface="ris",type="ORU^R01",ack="AR"})") == 1,
                after);
  CHECK_MESSAGE(sample(after, R"(radbridge_ack_latency_seconds_count{interface="ris"})") == 5, after);
  CHECK_MESSAGE(sample(after, R"(radbridge_connections_total{interface="ris"})") == 1, after);
  // Four rows went to the database (the resend too: the store answers it
  // with the first ACK), one group each on one connection.
  CHECK_MESSAGE(sample(after, "radbridge_commit_group_rows_sum") == 4, after);
  CHECK_MESSAGE(sample(after, "radbridge_commit_careful_groups_total") == 1, after);  // the resend's group
  CHECK_MESSAGE(sample(after, R"(radbridge_inbound_messages{state="received"})") == 3, after);
  CHECK_MESSAGE(sample(after, "radbridge_database_up") == 1, after);

  // What `radbridge status` makes of the same admin server.
  const test::captured status = test::run_captured(
      {RADBRIDGE_BINARY, "status", "--admin", "127.0.0.1:" + std::to_string(admin_port)}, {}, "", 60s);
  CHECK_MESSAGE(status.status == 0, status.err);
  CHECK(status.out == "engine at 127.0.0.1:" + std::to_string(admin_port) + ": ready\n  database: ok, schema " +
                          std::to_string(static_cast<int>(sample(after, "radbridge_schema_version"))) + "\n");
  serve.stop(10s);
  const test::captured gone = test::run_captured(
      {RADBRIDGE_BINARY, "status", "--admin", "127.0.0.1:" + std::to_string(admin_port)}, {}, "", 60s);
  CHECK(gone.status == 1);
  CHECK_MESSAGE(gone.err.starts_with("radbridge status: no answer from the admin server at 127.0.0.1:" +
                                     std::to_string(admin_port) + ": "),
                gone.err);
}

TEST_CASE("serve metrics: a broken admin tokens file stops serve before it touches the database, saying where") {
  test::temp_folder dir("serve-tokens");
  test::write_file(dir.path() / "tokens.json", R"({"tokens": [{"name": "ana", "role": "admin", "sha256": "00"}]})");
  test::write_file(dir.path() / "radbridge.json", R"({"interfaces": [{"name": "ris", "listen": "127.0.0.1:0"}],
 "admin": {"listen": "127.0.0.1:0", "tokens_file": "tokens.json"}})");
  // Nothing listens on this port: had serve connected first, it would report the database.
  const test::captured r = test::run_captured(
      {RADBRIDGE_BINARY, "serve", "--config", (dir.path() / "radbridge.json").string(), "--db",
       "host=127.0.0.1 port=" + std::to_string(test::free_tcp_port()) + " connect_timeout=2"},
      {}, "", 60s);
  CHECK(r.status == 1);
  const std::string tokens = (dir.path() / "tokens.json").string();
  CHECK(r.err == "radbridge serve: the admin tokens file has problems:\n" + tokens +
                     ":1:37: expected \"viewer\" or \"reviewer\" or \"operator\" or \"phi\", not \"admin\"\n" + tokens +
                     ":1:56: expected the token's SHA-256 as 64 lower-case hex digits\n");
}

TEST_CASE("serve metrics: admin-token prints a new token and the entry that holds only its hash") {
  const test::captured r = test::run_captured({RADBRIDGE_BINARY, "admin-token", "night-operator", "operator"}, {}, "", 30s);
  CHECK(r.status == 0);
  const std::string prefix = "token: ";
  REQUIRE_MESSAGE(r.out.starts_with(prefix), r.out);
  const std::string token = r.out.substr(prefix.size(), 64);
  CHECK(r.out == prefix + token + "\nadd to the \"tokens\" of admin.tokens_file (the token itself is not kept anywhere):\n"
                 R"({"name":"night-operator","role":"operator","sha256":")" + radbridge::sha256_hex(token) + "\"}\n");
  const test::captured bad = test::run_captured({RADBRIDGE_BINARY, "admin-token", "x", "root"}, {}, "", 30s);
  CHECK(bad.status == 2);
  CHECK(bad.err == "radbridge admin-token: the role is viewer, reviewer, operator or phi, not 'root'\n");
}
