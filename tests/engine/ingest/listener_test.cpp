// ingest/listener: real sockets (TCP and TLS on 127.0.0.1) against a real,
// private PostgreSQL. Clients are blocking sockets on the test thread with a
// deadline on every read; the listener runs on its own io_context thread.
//
// Tests that never restart the database share one server (each uses its own
// interface name and MSH-3, so their rows and dedupe keys never meet); the
// database-down test has a server of its own. No assertion depends on how
// fast anything is: waits are bounded generously and only behaviour is checked.
#include <doctest/doctest.h>

#include <openssl/ssl.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "listener_checks.hpp"
#include "listener_support.hpp"
#include "net/tls.hpp"
#include "store/database.hpp"
#include "support.hpp"
#include "support/postgres_server.hpp"

namespace config = radbridge::config;
namespace ingest = radbridge::ingest;
namespace mllp = radbridge::mllp;
namespace net = radbridge::net;
namespace store = radbridge::store;
using namespace radbridge::test;  // NOLINT: test helpers
using outcome = mllp_test_client::outcome;

TEST_CASE("listener: a message sent one byte at a time gets AA after it is stored byte for byte") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  ingest::listener& l = fx.add(test_interface("lt_bytewise"));
  const auto ep = l.local_endpoint();
  CHECK(ep.address().to_string() == "127.0.0.1");
  CHECK(ep.port() != 0);
  fx.run();

  const std::string msg = order("LT-BYTEWISE", "BW-1", "sent one byte per write");
  const std::string framed = mllp::wrap(msg);
  mllp_test_client c;
  REQUIRE_FALSE(c.connect(ep));
  for (const char& b : framed) {
    REQUIRE_FALSE(c.send(std::string_view(&b, 1)));
    std::this_thread::sleep_for(1ms);
  }
  const auto r = c.read_frame();
  check_ack(r, "AA", "BW-1");
  // Stored before the ACK left: the row is there as soon as the AA is.
  CHECK(rows(pg, "lt_bytewise") == "1");
  CHECK(stored_payload_hex(pg, "lt_bytewise", "BW-1") == to_hex(msg));
  CHECK(pg.psql("SELECT concat_ws('|', sending_application, sending_facility, control_id, message_type, "
                "trigger_event, status, ack_code) FROM inbound_messages WHERE interface = 'lt_bytewise'") ==
        "LT-BYTEWISE|GENHOSP|BW-1|ORM|O01|received|AA");
  // The ACK kept for resends is the one that was sent.
  CHECK(pg.psql("SELECT encode(ack, 'hex') FROM inbound_messages WHERE interface = 'lt_bytewise'") ==
        to_hex(r.payload));

  c.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().connections == 1);
  CHECK(l.stats().frames == 1);
  CHECK(l.stats().stored == 1);
  CHECK(l.stats().discarded_bytes == 0);
  CHECK_FALSE(fx.io_failed());
}

TEST_CASE("listener: 64 concurrent connections with interleaved partial writes each get their own AA") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  auto iface = test_interface("lt_concurrent");
  iface.max_connections_per_peer = 64;  // all from 127.0.0.1
  ingest::listener& l = fx.add(iface);
  const auto ep = l.local_endpoint();
  fx.run();

  constexpr std::size_t connections = 64;
  constexpr std::size_t pieces = 4;
  std::vector<std::unique_ptr<mllp_test_client>> clients;
  std::vector<std::string> ids;
  std::vector<std::string> frames;
  std::size_t payload_bytes = 0;
  for (std::size_t i = 0; i < connections; ++i) {
    ids.push_back("CC-" + std::to_string(100 + i));
    const std::string msg = order("LT-CONCURRENT", ids.back(), "connection " + std::to_string(i));
    payload_bytes += msg.size();
    frames.push_back(mllp::wrap(msg));
    clients.push_back(std::make_unique<mllp_test_client>());
    REQUIRE_FALSE(clients.back()->connect(ep));
  }
  // Round robin: piece 1 of every frame, then piece 2 of every frame, ...
  for (std::size_t p = 0; p < pieces; ++p) {
    for (std::size_t i = 0; i < connections; ++i) {
      const std::string& f = frames[i];
      const std::size_t from = f.size() * p / pieces;
      const std::size_t to = f.size() * (p + 1) / pieces;
      REQUIRE_FALSE(clients[i]->send(std::string_view(f).substr(from, to - from)));
    }
    std::this_thread::sleep_for(20ms);
  }
  for (std::size_t i = 0; i < connections; ++i) check_ack(clients[i]->read_frame(), "AA", ids[i]);

  CHECK(rows(pg, "lt_concurrent") == std::to_string(connections));
  std::string expected_ids;
  for (const std::string& id : ids) expected_ids += (expected_ids.empty() ? "" : ",") + id;
  CHECK(pg.psql("SELECT string_agg(control_id, ',' ORDER BY control_id) FROM inbound_messages "
                "WHERE interface = 'lt_concurrent'") == expected_ids);
  CHECK(pg.psql("SELECT sum(length(payload)) FROM inbound_messages WHERE interface = 'lt_concurrent'") ==
        std::to_string(payload_bytes));
  // Every row's payload is its own message (MSH-10 inside the payload matches the key).
  CHECK(rows(pg, "lt_concurrent", "position(('|' || control_id || '|P|')::bytea in payload) > 0") ==
        std::to_string(connections));

  clients.clear();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().connections == connections);
  CHECK(l.stats().stored == connections);
  CHECK(l.stats().refused_connections == 0);
}

TEST_CASE("listener: messages of 1 MB from 12 connections, more than the database socket takes at once, each get AA") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  config::interface_settings iface = test_interface("lt_large");
  iface.max_frame_bytes = 2 * 1024 * 1024;
  ingest::listener& l = fx.add(iface);
  const auto ep = l.local_endpoint();
  fx.run();

  // The committer's connection is non-blocking: a group of several MB goes
  // out in parts, each when the socket has room again.
  constexpr std::size_t connections = 12;
  std::vector<std::unique_ptr<mllp_test_client>> clients;
  std::vector<std::string> ids;
  std::size_t payload_bytes = 0;
  for (std::size_t i = 0; i < connections; ++i) {
    ids.push_back("LG-" + std::to_string(100 + i));
    const std::string msg = order("LT-LARGE", ids.back(), std::string(1024 * 1024, static_cast<char>('a' + i)));
    payload_bytes += msg.size();
    clients.push_back(std::make_unique<mllp_test_client>());
    REQUIRE_FALSE(clients.back()->connect(ep));
    REQUIRE_FALSE(clients.back()->send(mllp::wrap(msg)));
  }
  for (std::size_t i = 0; i < connections; ++i) check_ack(clients[i]->read_frame(), "AA", ids[i]);

  CHECK(rows(pg, "lt_large") == std::to_string(connections));
  CHECK(pg.psql("SELECT sum(length(payload)) FROM inbound_messages WHERE interface = 'lt_large'") ==
        std::to_string(payload_bytes));
  // Each row holds its own note: 1 MB of the letter its connection sent.
  CHECK(rows(pg, "lt_large",
             "position(repeat(chr(97 + substr(control_id, 4)::int - 100), 1024 * 1024)::bytea in payload) > 0") ==
        std::to_string(connections));

  clients.clear();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().stored == connections);
}

TEST_CASE("listener: garbage before and between frames is discarded and counted; both frames get AA") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  ingest::listener& l = fx.add(test_interface("lt_garbage"));
  const auto ep = l.local_endpoint();
  fx.run();

  const std::string before = "GET / HTTP/1.0\r\n\r\n";
  const std::string between = "\x1c\r stray end block and noise \r\n";
  const std::string m1 = order("LT-GARBAGE", "GB-1");
  const std::string m2 = order("LT-GARBAGE", "GB-2");
  mllp_test_client c;
  REQUIRE_FALSE(c.connect(ep));
  REQUIRE_FALSE(c.send(before + mllp::wrap(m1) + between + mllp::wrap(m2)));
  check_ack(c.read_frame(), "AA", "GB-1");
  check_ack(c.read_frame(), "AA", "GB-2");
  CHECK(rows(pg, "lt_garbage") == "2");
  CHECK(stored_payload_hex(pg, "lt_garbage", "GB-1") == to_hex(m1));
  CHECK(stored_payload_hex(pg, "lt_garbage", "GB-2") == to_hex(m2));

  c.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().discarded_bytes == before.size() + between.size());
  CHECK(l.stats().frames == 2);
  CHECK(l.stats().stored == 2);
}

TEST_CASE("listener: a frame over max_frame_bytes closes the connection without an ACK and stores nothing") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  auto iface = test_interface("lt_oversize");
  iface.max_frame_bytes = 512;
  ingest::listener& l = fx.add(iface);
  const auto ep = l.local_endpoint();
  fx.run();

  // A message under the limit is fine on the same interface.
  const std::string small = order("LT-OVERSIZE", "OS-1");
  REQUIRE(small.size() < 512);
  {
    mllp_test_client c;
    REQUIRE_FALSE(c.connect(ep));
    check_ack(c.exchange(small), "AA", "OS-1");
  }

  const std::string big = order("LT-OVERSIZE", "OS-2", std::string(2000, 'x'));
  mllp_test_client c;
  REQUIRE_FALSE(c.connect(ep));
  REQUIRE_FALSE(c.send(mllp::wrap(big)));
  check_closed(c.read_frame());
  CHECK(reaches(l.stats().oversize_frames, 1) == 1);
  CHECK(rows(pg, "lt_oversize") == "1");
  CHECK(rows(pg, "lt_oversize", "control_id = 'OS-2'") == "0");

  c.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().oversize_frames == 1);
  CHECK(l.stats().stored == 1);
}

TEST_CASE("listener: idle and partial-frame timeouts close the connection") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  auto idle_iface = test_interface("lt_idle");
  idle_iface.idle_timeout = 1s;
  idle_iface.partial_frame_timeout = 60s;
  ingest::listener& idle = fx.add(idle_iface);
  auto partial_iface = test_interface("lt_partial");
  partial_iface.idle_timeout = 60s;
  partial_iface.partial_frame_timeout = 300ms;
  ingest::listener& partial = fx.add(partial_iface);
  const auto idle_ep = idle.local_endpoint();
  const auto partial_ep = partial.local_endpoint();
  fx.run();

  // An idle connection is closed once the idle timeout has passed (EOF, no frame).
  mllp_test_client a;
  REQUIRE_FALSE(a.connect(idle_ep));
  check_closed(a.read_frame(20s));
  CHECK(reaches(idle.stats().timeouts, 1) == 1);

  // A frame in progress is governed by the partial-frame timeout, not the idle
  // one: the rest may come later than the idle timeout and still gets AA; then
  // the connection is idle again and is closed.
  const std::string framed = mllp::wrap(order("LT-IDLE", "ID-1"));
  mllp_test_client b;
  REQUIRE_FALSE(b.connect(idle_ep));
  REQUIRE_FALSE(b.send(std::string_view(framed).substr(0, 20)));
  std::this_thread::sleep_for(2500ms);
  REQUIRE_FALSE(b.send(std::string_view(framed).substr(20)));
  check_ack(b.read_frame(), "AA", "ID-1");
  check_closed(b.read_frame(20s));
  CHECK(reaches(idle.stats().timeouts, 2) == 2);

  // A frame that never ends is abandoned after the partial-frame timeout.
  mllp_test_client c;
  REQUIRE_FALSE(c.connect(partial_ep));
  REQUIRE_FALSE(c.send("\x0bMSH|^~\\&|LT-PARTIAL|GENHOSP|RADBRIDGE|AI|20261123120000||ORM^O01|PT-1|P|2.5.1\r"));
  check_closed(c.read_frame(20s));
  CHECK(reaches(partial.stats().timeouts, 1) == 1);
  CHECK(rows(pg, "lt_partial") == "0");
  CHECK(rows(pg, "lt_idle") == "1");

  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(idle.stats().timeouts + partial.stats().timeouts == 3);
  CHECK(partial.stats().frames == 0);
}

TEST_CASE("listener: a resend gets the stored ACK byte for byte; the same key with another payload gets AE 205") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  ingest::listener& l = fx.add(test_interface("lt_dedupe"));
  const auto ep = l.local_endpoint();
  fx.run();

  const std::string msg = order("LT-DEDUPE", "DD-1", "first version");
  std::string first_ack;
  {
    mllp_test_client c;
    REQUIRE_FALSE(c.connect(ep));
    const auto r = c.exchange(msg);
    check_ack(r, "AA", "DD-1");
    first_ack = r.payload;
  }
  // Later, on a new connection (as a sender that lost the ACK would do). A
  // freshly built ACK would differ in MSH-7 and MSH-10; the stored one does not.
  std::this_thread::sleep_for(20ms);
  mllp_test_client c;
  REQUIRE_FALSE(c.connect(ep));
  const auto again = c.exchange(msg);
  check_ack(again, "AA", "DD-1");
  CHECK(again.payload == first_ack);
  CHECK(hl7_value(again.payload, "MSH-10") == hl7_value(first_ack, "MSH-10"));
  CHECK(hl7_value(again.payload, "MSH-7") == hl7_value(first_ack, "MSH-7"));
  CHECK(rows(pg, "lt_dedupe") == "1");

  // Same MSH-3/4/10, different payload: not stored, AE with ERR-3 205 on MSH-10.
  const auto clash = c.exchange(order("LT-DEDUPE", "DD-1", "second version"));
  check_ack(clash, "AE", "DD-1");
  CHECK(hl7_value(clash.payload, "ERR-3.1") == "205");
  CHECK(hl7_value(clash.payload, "ERR-2.1") == "MSH");
  CHECK(hl7_value(clash.payload, "ERR-2.3") == "10");
  CHECK(rows(pg, "lt_dedupe") == "1");
  CHECK(stored_payload_hex(pg, "lt_dedupe", "DD-1") == to_hex(msg));

  c.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().stored == 1);
  CHECK(l.stats().duplicates == 1);
  CHECK(l.stats().rejected == 1);
}

TEST_CASE("listener: malformed HL7 gets AE, XML gets AR, an unknown type AR 200; the connection stays open") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  ingest::listener& l = fx.add(test_interface("lt_errors"));
  const auto ep = l.local_endpoint();
  fx.run();

  mllp_test_client c;
  REQUIRE_FALSE(c.connect(ep));

  // A bad escape in PID-3, second repetition, component 2: ERR-2 says so.
  const std::string bad = "MSH|^~\\&|LT-ERRORS|GENHOSP|RADBRIDGE|AI|20261123120000||ORM^O01|ER-1|P|2.5.1\r"
                          "PID|1||MRN1~MRN2^\\Q\\\r";
  const auto malformed = c.exchange(bad);
  check_ack(malformed, "AE", "ER-1");
  CHECK(hl7_value(malformed.payload, "ERR-2.1") == "PID");
  CHECK(hl7_value(malformed.payload, "ERR-2.3") == "3");
  CHECK(hl7_value(malformed.payload, "ERR-2.4") == "2");
  CHECK(hl7_value(malformed.payload, "ERR-2.5") == "2");
  CHECK(hl7_value(malformed.payload, "ERR-3.1") == "102");

  const auto xml = c.exchange("<?xml version=\"1.0\"?><ORM_O01 xmlns=\"urn:hl7-org:v2xml\"><MSH>"
                              "<MSH.10>ER-2</MSH.10></MSH></ORM_O01>");
  REQUIRE(xml.what == outcome::frame);
  CHECK(hl7_value(xml.payload, "MSH-9.1") == "ACK");
  CHECK(hl7_value(xml.payload, "MSA-1") == "AR");

  std::string unsupported = order("LT-ERRORS", "ER-3");
  unsupported.replace(unsupported.find("ORM^O01"), 7, "SIU^S12");
  const auto type = c.exchange(unsupported);
  check_ack(type, "AR", "ER-3");
  CHECK(hl7_value(type.payload, "ERR-3.1") == "200");

  // Still the same connection: a good message is accepted.
  check_ack(c.exchange(order("LT-ERRORS", "ER-4")), "AA", "ER-4");
  CHECK(rows(pg, "lt_errors") == "1");
  CHECK(rows(pg, "lt_errors", "control_id = 'ER-4'") == "1");

  c.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().connections == 1);
  CHECK(l.stats().rejected == 3);
  CHECK(l.stats().stored == 1);
}

TEST_CASE("listener: with the database stopped there is never an AA; ingestion resumes when it is back") {
  postgres_server pg;  // its own: this test stops and starts it
  store::database(pg.conninfo()).migrate();
  listener_fixture fx(pg.conninfo());
  ingest::listener& l = fx.add(test_interface("lt_down"));
  auto reject_iface = test_interface("lt_down_reject");
  reject_iface.on_database_down = config::database_down_policy::reject;
  ingest::listener& rejecting = fx.add(reject_iface);
  const auto ep = l.local_endpoint();
  const auto reject_ep = rejecting.local_endpoint();
  fx.run();

  mllp_test_client c;
  REQUIRE_FALSE(c.connect(ep));
  check_ack(c.exchange(order("LT-DOWN", "DN-1")), "AA", "DN-1");

  pg.stop();
  // Default policy: no ACK at all, the connection is closed so the sender retries.
  const std::string pending = order("LT-DOWN", "DN-2");
  check_closed(c.exchange(pending));
  // The sender reconnects and resends while the database is still down: the
  // same, no ACK and a close (the committer is backing off, not hanging).
  {
    mllp_test_client early;
    REQUIRE_FALSE(early.connect(ep));
    check_closed(early.exchange(pending));
  }

  // Reject policy: AR with ERR-3 207, and the connection stays open.
  const std::string rejected = order("LT-DOWN", "DN-3");
  mllp_test_client d;
  REQUIRE_FALSE(d.connect(reject_ep));
  for (int attempt = 0; attempt < 2; ++attempt) {
    CAPTURE(attempt);
    const auto r = d.exchange(rejected);
    check_ack(r, "AR", "DN-3");
    CHECK(hl7_value(r.payload, "ERR-3.1") == "207");
  }

  pg.start();
  // The sender's retry loop: reconnect and resend until AA (bounded).
  int attempts = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  const auto resent = reply_on_new_connection(ep, pending, 30s, 100ms, &attempts);
  INFO("attempts after restart: ", attempts);
  check_ack(resent, "AA", "DN-2");
  // The rejecting interface's connection survived the outage.
  bool accepted = false;
  while (!accepted && std::chrono::steady_clock::now() < deadline + 15s) {
    const auto r = d.exchange(rejected);
    REQUIRE(r.what == outcome::frame);
    if (hl7_value(r.payload, "MSA-1") == "AA") {
      check_ack(r, "AA", "DN-3");
      accepted = true;
    } else {
      check_ack(r, "AR", "DN-3");
      std::this_thread::sleep_for(100ms);
    }
  }
  REQUIRE(accepted);

  CHECK(rows(pg, "lt_down") == "2");
  CHECK(rows(pg, "lt_down", "control_id = 'DN-2'") == "1");
  CHECK(stored_payload_hex(pg, "lt_down", "DN-2") == to_hex(pending));
  CHECK(rows(pg, "lt_down_reject") == "1");

  d.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().unacknowledged >= 1);
  CHECK(rejecting.stats().unacknowledged >= 2);
  CHECK(l.stats().stored == 2);
}

TEST_CASE("listener: stop finishes the frame in flight, closes idle connections and refuses new ones") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  ingest::listener& l = fx.add(test_interface("lt_stop"));
  const auto ep = l.local_endpoint();
  fx.run();

  mllp_test_client idle;
  REQUIRE_FALSE(idle.connect(ep));
  check_ack(idle.exchange(order("LT-STOP", "ST-1")), "AA", "ST-1");

  // Half a frame, behind a little garbage: once the server has counted the
  // garbage it has read (and buffered) the half frame that came with it.
  const std::string noise = "noise";
  const std::string framed = mllp::wrap(order("LT-STOP", "ST-2"));
  const std::size_t half = framed.size() / 2;
  mllp_test_client busy;
  REQUIRE_FALSE(busy.connect(ep));
  REQUIRE_FALSE(busy.send(noise + framed.substr(0, half)));
  REQUIRE(reaches(l.stats().discarded_bytes, noise.size()) == noise.size());
  std::this_thread::sleep_for(100ms);

  fx.request_stop();
  // The idle connection is closed by the server (which also shows stop() ran).
  check_closed(idle.read_frame(20s));
  // No new connections.
  mllp_test_client late;
  CHECK(late.connect(ep) == net::asio::error::connection_refused);
  // The frame in flight is finished: AA, then the server closes.
  REQUIRE_FALSE(busy.send(std::string_view(framed).substr(half)));
  check_ack(busy.read_frame(), "AA", "ST-2");
  check_closed(busy.read_frame(20s));

  CHECK(fx.finished_within(30s));
  fx.join();
  CHECK(rows(pg, "lt_stop") == "2");
  CHECK(l.stats().stored == 2);
}

TEST_CASE("listener: over max_connections a connection is closed at once and counted") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  auto iface = test_interface("lt_maxconn");
  iface.max_connections = 2;
  ingest::listener& l = fx.add(iface);
  const auto ep = l.local_endpoint();
  fx.run();

  mllp_test_client a;
  mllp_test_client b;
  REQUIRE_FALSE(a.connect(ep));
  REQUIRE_FALSE(b.connect(ep));
  // Both are served (so both are sessions of the listener).
  check_ack(a.exchange(order("LT-MAXCONN", "MC-1")), "AA", "MC-1");
  check_ack(b.exchange(order("LT-MAXCONN", "MC-2")), "AA", "MC-2");

  mllp_test_client third;
  REQUIRE_FALSE(third.connect(ep));  // the kernel accepts; the listener closes it
  check_closed(third.read_frame(20s));
  CHECK(reaches(l.stats().refused_connections, 1) == 1);
  CHECK(l.stats().refused_connections == 1);
  CHECK(l.stats().connections == 2);

  // When one leaves, there is room again (the listener notices the close
  // asynchronously, so a few attempts may still be refused).
  a.close();
  check_ack(reply_on_new_connection(ep, order("LT-MAXCONN", "MC-3")), "AA", "MC-3");
  CHECK(rows(pg, "lt_maxconn") == "3");

  b.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
}

namespace {

// A throwaway PKI made with the openssl command line: a CA, a server
// certificate for 127.0.0.1 (CN and SAN) and a client certificate.
struct test_pki {
  std::filesystem::path dir;
  std::filesystem::path file(const char* name) const { return dir / name; }

  test_pki() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "radbridge-listener-tls-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
    dir = tmpl;
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string script =
        "cd '" + dir.string() + "' && { "
        "openssl req -x509 " + key + " -keyout ca.key -out ca.pem -days 2 -subj '/CN=radbridge test CA' && "
        "openssl req -new " + key + " -keyout server.key -out server.csr -subj '/CN=127.0.0.1' && "
        "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\nbasicConstraints=CA:FALSE\\n'"
        " > server.ext && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext"
        " -out server.pem && "
        "openssl req -new " + key + " -keyout client.key -out client.csr -subj '/CN=radbridge test client' && "
        "printf 'extendedKeyUsage=clientAuth\\nbasicConstraints=CA:FALSE\\n' > client.ext && "
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext"
        " -out client.pem; } > openssl.log 2>&1";
    if (std::system(script.c_str()) != 0) {
      const std::string log = read_file(dir / "openssl.log");
      std::filesystem::remove_all(dir);
      throw std::runtime_error("openssl failed to make the test certificates:\n" + log);
    }
  }
  ~test_pki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  test_pki(const test_pki&) = delete;
  test_pki& operator=(const test_pki&) = delete;
};

const test_pki& pki() {
  static const test_pki made;
  return made;
}

net::asio::ssl::context server_context(bool require_client_cert) {
  net::tls_options o;
  o.cert_file = pki().file("server.pem").string();
  o.key_file = pki().file("server.key").string();
  if (require_client_cert) {
    o.ca_file = pki().file("ca.pem").string();
    o.require_client_cert = true;
  }
  return net::make_server_context(o);
}

net::asio::ssl::context client_context(bool with_cert) {
  net::tls_options o;
  o.ca_file = pki().file("ca.pem").string();
  o.server_name = "127.0.0.1";
  if (with_cert) {
    o.cert_file = pki().file("client.pem").string();
    o.key_file = pki().file("client.key").string();
  }
  return net::make_client_context(o);
}

}  // namespace

TEST_CASE("listener: TLS 1.2 and TLS 1.3 clients get AA; a TLS 1.1 client is refused in the handshake") {
  postgres_server& pg = shared_db();
  auto server_tls = server_context(false);
  listener_fixture fx(pg.conninfo());
  auto iface = test_interface("lt_tls");
  // Also bounds the handshake and the wait for a peer's close_notify at stop.
  iface.partial_frame_timeout = 3s;
  ingest::listener& l = fx.add(iface, &server_tls);
  const auto ep = l.local_endpoint();
  fx.run();

  {
    auto ctx = client_context(false);
    REQUIRE(SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION) == 1);
    mllp_test_client c;
    const auto ec = c.connect_tls(ep, ctx);
    REQUIRE_MESSAGE(!ec, ec.message());
    CHECK(c.tls_version() == TLS1_2_VERSION);
    check_ack(c.exchange(order("LT-TLS", "TL-12")), "AA", "TL-12");
  }

  auto ctx13 = client_context(false);
  REQUIRE(SSL_CTX_set_min_proto_version(ctx13.native_handle(), TLS1_3_VERSION) == 1);
  mllp_test_client c13;
  {
    const auto ec = c13.connect_tls(ep, ctx13);
    REQUIRE_MESSAGE(!ec, ec.message());
  }
  CHECK(c13.tls_version() == TLS1_3_VERSION);
  check_ack(c13.exchange(order("LT-TLS", "TL-13")), "AA", "TL-13");

  {
    // A client that really offers TLS 1.1 (and nothing newer): our client
    // factory refuses < 1.2 itself, so that is undone here, and security
    // level 0 lets OpenSSL use TLS 1.1 at all.
    auto ctx = client_context(false);
    SSL_CTX* native = ctx.native_handle();
    SSL_CTX_clear_options(native, SSL_OP_NO_TLSv1_1);
    SSL_CTX_set_security_level(native, 0);
    REQUIRE(SSL_CTX_set_min_proto_version(native, TLS1_1_VERSION) == 1);
    REQUIRE(SSL_CTX_set_max_proto_version(native, TLS1_1_VERSION) == 1);
    mllp_test_client old;
    const auto ec = old.connect_tls(ep, ctx);
    CHECK(ec);
    INFO("client's handshake error: ", ec.message());
    // The server's refusal, not the client's: it answered with an alert.
    CHECK(ec.message().find("protocol version") != std::string::npos);
    CHECK(reaches(l.stats().tls_failures, 1) == 1);
  }
  CHECK(rows(pg, "lt_tls") == "2");

  // An idle TLS connection open at stop is closed by the server, and the
  // listener finishes even though this client never answers the close_notify
  // (the server waits for it at most the partial-frame timeout).
  fx.request_stop();
  check_closed(c13.read_frame(20s));
  CHECK(fx.finished_within(30s));
  c13.close();
  fx.join();
  CHECK(l.stats().tls_failures == 1);
  CHECK(l.stats().stored == 2);
}

TEST_CASE("listener: with require_client_cert only a client with a CA-signed certificate is served") {
  postgres_server& pg = shared_db();
  auto server_tls = server_context(true);
  listener_fixture fx(pg.conninfo());
  ingest::listener& l = fx.add(test_interface("lt_mtls"), &server_tls);
  const auto ep = l.local_endpoint();
  fx.run();

  // Without a certificate. With TLS 1.2 the handshake itself fails; with 1.3
  // the client may finish its side first and learn of the failure on reading.
  std::uint64_t failures = 0;
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    CAPTURE(version);
    auto ctx = client_context(false);
    REQUIRE(SSL_CTX_set_max_proto_version(ctx.native_handle(), version) == 1);
    mllp_test_client c;
    const auto ec = c.connect_tls(ep, ctx);
    bool served = false;
    if (!ec) {
      const auto r = c.exchange(order("LT-MTLS", "MT-NOCERT"));
      served = r.what == outcome::frame;
      CHECK(r.what == outcome::closed);
    }
    CHECK_FALSE(served);
    ++failures;
    CHECK(reaches(l.stats().tls_failures, failures) == failures);
  }
  CHECK(rows(pg, "lt_mtls") == "0");

  auto ctx = client_context(true);
  mllp_test_client c;
  const auto ec = c.connect_tls(ep, ctx);
  REQUIRE_MESSAGE(!ec, ec.message());
  check_ack(c.exchange(order("LT-MTLS", "MT-CERT")), "AA", "MT-CERT");
  CHECK(rows(pg, "lt_mtls") == "1");

  c.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().tls_failures == 2);
}

TEST_CASE("listener: python-hl7's mllp_send, a client we did not write, gets AA and the message is stored") {
  const std::filesystem::path tool = "/usr/bin/mllp_send";
  REQUIRE_MESSAGE(std::filesystem::exists(tool), "mllp_send is missing: apt-get install python3-hl7");
  const std::filesystem::path sample = source_dir() / "samples/hl7/orm_o01_ct_head_noncontrast_stroke.hl7";
  REQUIRE_MESSAGE(std::filesystem::exists(sample), sample.string(), " not found (set RADBRIDGE_SOURCE_DIR)");
  const std::string text = read_file(sample);
  const std::string control_id = hl7_value(text, "MSH-10");
  REQUIRE(control_id == "EPC20240312142815001");

  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  auto iface = test_interface("lt_mllp_send");
  iface.message_types = {"ORM^O01"};
  ingest::listener& l = fx.add(iface);
  const auto ep = l.local_endpoint();
  fx.run();

  // --loose reads a plain .hl7 file (CR or CRLF segments, no MLLP framing)
  // and sends each message without its trailing segment terminator.
  const std::string command = tool.string() + " --loose --port " + std::to_string(ep.port()) + " --file '" +
                              sample.string() + "' 127.0.0.1 2>&1";
  std::string output;
  int status = -1;
  if (FILE* p = popen(command.c_str(), "r")) {
    char chunk[4096];
    std::size_t n = 0;
    while ((n = std::fread(chunk, 1, sizeof chunk, p)) > 0) output.append(chunk, n);
    status = pclose(p);
  }
  INFO("mllp_send said: ", output);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(output.find("MSA|AA|" + control_id) != std::string::npos);

  std::string expected = text;
  while (!expected.empty() && (expected.back() == '\r' || expected.back() == '\n' || expected.back() == ' ')) {
    expected.pop_back();
  }
  CHECK(rows(pg, "lt_mllp_send") == "1");
  CHECK(stored_payload_hex(pg, "lt_mllp_send", control_id) == to_hex(expected));

  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().stored == 1);
}
