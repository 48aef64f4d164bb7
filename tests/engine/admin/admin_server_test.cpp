// engine/admin/admin_server against a real PostgreSQL: /healthz, /readyz's
// verdicts (schema, models, database down) and /metrics checked by
// Debian's promtool.
#include "admin/admin_server.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "net/http_client.hpp"
#include "store/backlog_store.hpp"
#include "store/database.hpp"
#include "support.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace admin = radbridge::admin;
namespace net = radbridge::net;
namespace test = radbridge::test;
using namespace std::chrono_literals;

namespace {

admin::admin_sources sources() {
  admin::admin_sources s;
  s.version = "9.9.9-test";
  s.stage_metrics = [](radbridge::metrics::exposition& out) {
    out.family("radbridge_stage_things_total", "counter", "A stage's counter");
    out.sample("radbridge_stage_things_total", {{"interface", "ris"}}, 7);
  };
  s.destinations = {"ris", "fhir"};
  s.database_timeout = 10s;
  return s;
}

struct running_admin {
  running_admin(const std::string& conninfo, admin::admin_sources s)
      : server(settings(), conninfo, nullptr, std::move(s)),
        client(net::parse_http_url("http://127.0.0.1:" + std::to_string(server.local_endpoint().port())),
               net::http_client_options{}) {
    server.start();
  }
  static radbridge::config::admin_settings settings() {
    radbridge::config::admin_settings a;
    a.port = 0;
    return a;
  }
  net::http_response get(const std::string& target, const std::string& method = "GET") {
    net::http_request r;
    r.method = method;
    r.target = target;
    return client.send(r, 1 << 20);
  }
  admin::admin_server server;
  net::http_client client;
};

// promtool's verdict on a scrape: its exit status and what it printed.
test::captured promtool(const std::string& scrape) {
  return test::run_captured({"/usr/bin/promtool", "check", "metrics"}, {}, scrape, 30s);
}

}  // namespace

TEST_CASE("admin server: /healthz answers while the database is down; unknown paths 404, other methods 405") {
  running_admin a("host=127.0.0.1 port=1 dbname=none connect_timeout=2", sources());
  const net::http_response health = a.get("/healthz");
  CHECK(health.head.status == 200);
  CHECK(health.body == R"({"status":"alive"})");
  CHECK(health.head.find("Content-Type").value_or("") == "application/json");
  CHECK(a.get("/nothing").head.status == 404);
  const net::http_response post = a.get("/metrics", "POST");
  CHECK(post.head.status == 405);
  CHECK(post.head.find("Allow").value_or("") == "GET");

  const net::http_response ready = a.get("/readyz");
  CHECK(ready.head.status == 503);
  CHECK_MESSAGE(ready.body.find(R"("status":"not_ready","checks":{"database":{"ok":false,"error":")") !=
                    std::string::npos,
                ready.body);
  const net::http_response metrics = a.get("/metrics");
  CHECK(metrics.head.status == 200);
  CHECK_MESSAGE(metrics.body.find("\nradbridge_database_up 0\n") != std::string::npos, metrics.body);
  CHECK_MESSAGE(metrics.body.find("radbridge_outbound_pending") == std::string::npos, metrics.body);
  const test::captured check = promtool(metrics.body);
  CHECK_MESSAGE(check.status == 0, check.out, check.err, metrics.body);
}

TEST_CASE("admin server: /readyz is 503 until the schema is migrated, then 200 with the destinations' backlog") {
  test::postgres_server pg;
  running_admin a(pg.conninfo(), sources());
  const net::http_response before = a.get("/readyz");
  CHECK(before.head.status == 503);
  CHECK_MESSAGE(before.body ==
                    R"({"status":"not_ready","checks":{"database":{"ok":false,"schema_version":0,"expected_schema_version":)" +
                        std::to_string(radbridge::store::latest_schema_version()) +
                        R"(,"error":"the database's schema is older than this build's: run radbridge migrate"}},)"
                        R"("destinations":[{"name":"ris"},{"name":"fhir"}],"drift":[]})",
                before.body);

  radbridge::store::database db(pg.conninfo());
  db.migrate();
  const net::http_response after = a.get("/readyz");
  CHECK(after.head.status == 200);
  const std::string v = std::to_string(radbridge::store::latest_schema_version());
  CHECK_MESSAGE(after.body == R"({"status":"ready","checks":{"database":{"ok":true,"schema_version":)" + v +
                                  R"(,"expected_schema_version":)" + v +
                                  R"(}},"destinations":[{"name":"ris","pending":0,"oldest_pending_seconds":0.0,)"
                                  R"("dead_letters":0},{"name":"fhir","pending":0,"oldest_pending_seconds":0.0,)"
                                  R"("dead_letters":0}],"drift":[]})",
                after.body);
}

TEST_CASE("admin server: a model whose file does not match its hash makes /readyz 503 and shows in /metrics") {
  test::postgres_server pg;
  radbridge::store::database(pg.conninfo()).migrate();
  admin::admin_sources s = sources();
  s.models = {{"ich_classifier", "1.0.0", "aaaa", true, ""}, {"ich_volume", "1.0.0", "bbbb", false, "x.pt has sha256 cccc"}};
  running_admin a(pg.conninfo(), s);
  const net::http_response ready = a.get("/readyz");
  CHECK(ready.head.status == 503);
  CHECK_MESSAGE(ready.body.find(R"("models":{"ok":false,"models":[{"id":"ich_classifier","version":"1.0.0",)"
                                R"("sha256":"aaaa","verified":true},{"id":"ich_volume","version":"1.0.0",)"
                                R"("sha256":"bbbb","verified":false,"error":"x.pt has sha256 cccc"}]})") !=
                    std::string::npos,
                ready.body);
  const net::http_response metrics = a.get("/metrics");
  CHECK_MESSAGE(metrics.body.find("\nradbridge_model_info{model=\"ich_volume\",version=\"1.0.0\",sha256=\"bbbb\"} 0\n") !=
                    std::string::npos,
                metrics.body);
}

TEST_CASE("admin server: /metrics passes promtool with the stages', the backlog's and the process's figures") {
  test::postgres_server pg;
  radbridge::store::database(pg.conninfo()).migrate();
  pg.psql(
      "INSERT INTO inbound_messages (interface, sending_application, sending_facility, control_id, message_type, "
      "trigger_event, payload, payload_sha256, ack_code, ack) VALUES "
      "('ris', 'A', 'F', 'C1', 'ADT', 'A01', 'x', 'x', 'AA', 'x'), ('ris', 'A', 'F', 'C2', 'ADT', 'A01', 'x', 'x', "
      "'AA', 'x')");
  running_admin a(pg.conninfo(), sources());
  const net::http_response metrics = a.get("/metrics");
  CHECK(metrics.head.status == 200);
  CHECK(metrics.head.find("Content-Type").value_or("") == "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = metrics.body;
  for (const std::string& line : std::vector<std::string>
       {"radbridge_stage_things_total{interface=\"ris\"} 7", "radbridge_build_info{version=\"9.9.9-test\"} 1",
        "radbridge_database_up 1", "radbridge_inbound_messages{state=\"received\"} 2",
        "radbridge_inbound_messages{state=\"failed\"} 0", "radbridge_jobs{state=\"queued\"} 0",
        "radbridge_outbound_pending{destination=\"fhir\"} 0", "radbridge_dead_letters{destination=\"ris\"} 0",
        "radbridge_schema_version " + std::to_string(radbridge::store::latest_schema_version())}) {
    CHECK_MESSAGE(text.find("\n" + line + "\n") != std::string::npos, line, "\n", text);
  }
  CHECK_MESSAGE(text.find("\nradbridge_process_resident_memory_bytes ") != std::string::npos, text);
  CHECK_MESSAGE(text.find("\nradbridge_process_open_fds ") != std::string::npos, text);
  const test::captured check = promtool(text);
  CHECK_MESSAGE(check.status == 0, check.out, check.err, text);
}

TEST_CASE("admin server: /readyz turns 503 when the database stops and 200 when it is back") {
  test::postgres_server pg;
  radbridge::store::database(pg.conninfo()).migrate();
  running_admin a(pg.conninfo(), sources());
  CHECK(a.get("/readyz").head.status == 200);
  pg.stop();
  const net::http_response down = a.get("/readyz");
  CHECK(down.head.status == 503);
  CHECK_MESSAGE(down.body.find(R"("database":{"ok":false,"error":")") != std::string::npos, down.body);
  CHECK(a.get("/healthz").head.status == 200);
  pg.start();
  const net::http_response back = a.get("/readyz");
  CHECK_MESSAGE(back.head.status == 200, back.body);
}
