// ingest/listener: who may send what. Dedupe keys scoped per interface, and
// mutual TLS with per-interface allow-lists, MSH-3/MSH-4 bindings and CRLs,
// each refusal a `security_event` log line. Real sockets on 127.0.0.1, the
// shared private PostgreSQL, certificates made by tests/engine/net/test_certs.
#include <doctest/doctest.h>

#include <openssl/ssl.h>

#include <chrono>
#include <string>
#include <vector>

#include "engine/net/test_certs.hpp"
#include "engine/net/test_client_context.hpp"
#include "ingest/client_policy.hpp"
#include "listener_checks.hpp"
#include "listener_support.hpp"
#include "log_capture.hpp"
#include "net/tls.hpp"

namespace config = radbridge::config;
namespace ingest = radbridge::ingest;
namespace net = radbridge::net;
using namespace radbridge::test;  // NOLINT: test helpers

namespace {

config::tls_settings mutual_tls() {
  config::tls_settings t;
  t.cert_file = certs().server_cert;
  t.key_file = certs().server_key;
  t.ca_file = certs().ca;
  t.require_client_cert = true;
  return t;
}

config::allowed_client allowed(config::allowed_client::field match, std::string value,
                               std::vector<std::string> applications = {}, std::vector<std::string> facilities = {}) {
  config::allowed_client a;
  a.match = match;
  a.value = std::move(value);
  a.sending_applications = std::move(applications);
  a.sending_facilities = std::move(facilities);
  return a;
}

// Connects with `cert`, over TLS 1.2 and then over TLS 1.3, and expects
// the server to refuse both: with TLS 1.2 the handshake fails; with TLS 1.3
// the client may finish its side first and learn of the refusal when it
// reads. Nothing may be answered.
void check_refused(const net::tcp::endpoint& ep, const std::string& cert, const std::string& key,
                   const std::string& control_id) {
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    CAPTURE(version);
    auto ctx = client_context(cert, key, version);
    mllp_test_client c;
    if (c.connect_tls(ep, ctx)) continue;
    check_closed(c.exchange(order_as("RIS", "GENHOSP", control_id)));
  }
}

// A security_event line: its exact start, and its exact end after the
// connection id and peer address (which the test cannot know).
void check_event(const log_capture& log, const std::string& start, const std::string& end) {
  const std::string line = log.line_with({start, end});
  CHECK_MESSAGE(line.starts_with(start), "no log line starts with: ", start, "\ngot: ", line);
  CHECK_MESSAGE(line.ends_with(end), "no log line ends with: ", end, "\ngot: ", line);
  CHECK_MESSAGE(line.find(" peer=127.0.0.1:") != std::string::npos, "no peer address in: ", line);
}

}  // namespace

TEST_CASE("listener: the same MSH-3/MSH-4/MSH-10 on two interfaces is stored on each") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  const auto squat = fx.add(test_interface("ls_squat")).local_endpoint();
  const auto ris = fx.add(test_interface("ls_ris")).local_endpoint();
  fx.run();

  // Another peer sends the RIS's next control id first, on its own interface...
  mllp_test_client other;
  REQUIRE_FALSE(other.connect(squat));
  check_ack(other.exchange(order_as("LS-RIS", "GENHOSP", "LS-0001", "not the RIS")), "AA", "LS-0001");
  // ... and the RIS's real message is still stored and acknowledged.
  mllp_test_client real;
  REQUIRE_FALSE(real.connect(ris));
  const std::string message = order_as("LS-RIS", "GENHOSP", "LS-0001");
  check_ack(real.exchange(message), "AA", "LS-0001");
  CHECK(rows(pg, "ls_ris", "control_id = 'LS-0001'") == "1");
  CHECK(rows(pg, "ls_squat", "control_id = 'LS-0001'") == "1");
  CHECK(stored_payload_hex(pg, "ls_ris", "LS-0001") == to_hex(message));
  // On one interface the key still dedupes: a resend is a duplicate, another payload AE 205.
  check_ack(real.exchange(message), "AA", "LS-0001");
  const auto clash = real.exchange(order_as("LS-RIS", "GENHOSP", "LS-0001", "changed"));
  check_ack(clash, "AE", "LS-0001");
  CHECK(hl7_value(clash.payload, "ERR-3.1") == "205");
  CHECK(rows(pg, "ls_ris", "control_id = 'LS-0001'") == "1");
}

TEST_CASE("listener: an allow-list admits listed certificates only, each bound to the MSH-3/MSH-4 it may send as") {
  postgres_server& pg = shared_db();
  auto iface = test_interface("ls_allow");
  iface.tls = mutual_tls();
  iface.tls->allowed_clients = {
      allowed(config::allowed_client::field::cn, "ris-client", {"RIS"}, {"GENHOSP"}),
      allowed(config::allowed_client::field::dns, "RIS.radbridge.TEST", {"RIS-ADT"}),
  };
  auto server_tls = net::make_server_context(ingest::server_tls_options(*iface.tls));
  log_capture log;
  listener_fixture fx(pg.conninfo());
  ingest::listener& l = fx.add(iface, &server_tls);
  const auto ep = l.local_endpoint();
  fx.run();

  // The CA signed this client's certificate, but it is on no entry.
  check_refused(ep, certs().client_cert, certs().client_key, "LS-A-UNLISTED");
  check_event(log, "warn security_event kind=client_cert_not_allowed interface=ls_allow connection=",
              " subject=\"CN=radbridge-test-client\" detail=\"not on the allow-list\"");
  CHECK(reaches(l.stats().tls_failures, 2) == 2);
  CHECK(rows(pg, "ls_allow", "control_id = 'LS-A-UNLISTED'") == "0");

  // The listed certificate, as itself: AA, stored; as the DNS entry's MSH-3 too.
  auto ris = client_context(certs().ris_client_cert, certs().ris_client_key);
  mllp_test_client c;
  const auto ec = c.connect_tls(ep, ris);
  REQUIRE_MESSAGE(!ec, ec.message());
  check_ack(c.exchange(order_as("RIS", "GENHOSP", "LS-A-1")), "AA", "LS-A-1");
  check_ack(c.exchange(order_as("RIS-ADT", "ANYWHERE", "LS-A-2")), "AA", "LS-A-2");
  CHECK(rows(pg, "ls_allow", "control_id = 'LS-A-1'") == "1");
  CHECK(rows(pg, "ls_allow", "control_id = 'LS-A-2'") == "1");

  // Sending as the lab: AR with ERR-3 207 at MSH-3; nothing stored; the connection stays open.
  const auto lab = c.exchange(order_as("LAB", "GENHOSP", "LS-A-LAB"));
  check_ack(lab, "AR", "LS-A-LAB");
  CHECK(hl7_value(lab.payload, "ERR-2") == "MSH^1^3^1");
  CHECK(hl7_value(lab.payload, "ERR-3") == "207^Application internal error^HL70357");
  CHECK(hl7_value(lab.payload, "ERR-4") == "E");
  CHECK(hl7_value(lab.payload, "ERR-8") == "sending application not allowed for this client certificate");
  CHECK(hl7_value(lab.payload, "MSA-3") == "sending application not allowed for this client certificate");
  check_event(log, "warn security_event kind=sending_application_not_allowed interface=ls_allow connection=",
              " subject=\"CN=ris-client,OU=Radiology\\\\, West,O=General Hospital,C=US\" detail=\"\""
              " control_id=LS-A-LAB");
  // As the RIS from another facility: ERR-2 at MSH-4.
  const auto east = c.exchange(order_as("RIS", "EASTHOSP", "LS-A-EAST"));
  check_ack(east, "AR", "LS-A-EAST");
  CHECK(hl7_value(east.payload, "ERR-2") == "MSH^1^4^1");
  CHECK(hl7_value(east.payload, "ERR-3.1") == "207");
  CHECK(hl7_value(east.payload, "ERR-8") == "sending facility not allowed for this client certificate");
  check_event(log, "warn security_event kind=sending_facility_not_allowed interface=ls_allow connection=",
              " control_id=LS-A-EAST");
  CHECK(rows(pg, "ls_allow", "control_id = 'LS-A-LAB'") == "0");
  CHECK(rows(pg, "ls_allow", "control_id = 'LS-A-EAST'") == "0");
  check_ack(c.exchange(order_as("RIS", "GENHOSP", "LS-A-3")), "AA", "LS-A-3");
  CHECK(l.stats().stored.load() == 3);

  c.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
}

TEST_CASE("listener: a revoked certificate, TLS 1.1 and plain text are refused, each a security event") {
  postgres_server& pg = shared_db();
  auto iface = test_interface("ls_crl");
  iface.tls = mutual_tls();
  iface.tls->crl_file = certs().crl;
  iface.partial_frame_timeout = 3s;  // bounds the handshake of the plain-text client
  auto server_tls = net::make_server_context(ingest::server_tls_options(*iface.tls));
  log_capture log;
  listener_fixture fx(pg.conninfo());
  ingest::listener& l = fx.add(iface, &server_tls);
  const auto ep = l.local_endpoint();
  fx.run();

  check_refused(ep, certs().revoked_client_cert, certs().revoked_client_key, "LS-C-REVOKED");
  check_event(log, "warn security_event kind=client_cert_revoked interface=ls_crl connection=",
              " subject=\"CN=radbridge-revoked-client\" detail=\"certificate revoked\"");
  CHECK(rows(pg, "ls_crl", "control_id = 'LS-C-REVOKED'") == "0");

  {
    // A client that really offers TLS 1.1 and nothing newer.
    auto old = client_context(certs().client_cert, certs().client_key, TLS1_1_VERSION);
    SSL_CTX* native = old.native_handle();
    SSL_CTX_clear_options(native, SSL_OP_NO_TLSv1_1);
    SSL_CTX_set_security_level(native, 0);
    REQUIRE(SSL_CTX_set_min_proto_version(native, TLS1_1_VERSION) == 1);
    mllp_test_client c;
    CHECK_MESSAGE(c.connect_tls(ep, old), "a TLS 1.1 handshake succeeded");
    check_event(log, "warn security_event kind=tls_version interface=ls_crl connection=",
                " subject=\"\" detail=\"unsupported protocol\"");
  }
  {
    mllp_test_client plain;
    REQUIRE_FALSE(plain.connect(ep));
    check_closed(plain.exchange(order_as("RIS", "GENHOSP", "LS-C-PLAIN")));
    check_event(log, "warn security_event kind=not_tls interface=ls_crl connection=",
                " subject=\"\" detail=\"wrong version number\"");
  }

  // A current certificate from the same CA is served.
  auto current = client_context(certs().client_cert, certs().client_key);
  mllp_test_client c;
  const auto ec = c.connect_tls(ep, current);
  REQUIRE_MESSAGE(!ec, ec.message());
  check_ack(c.exchange(order_as("RIS", "GENHOSP", "LS-C-1")), "AA", "LS-C-1");
  CHECK(reaches(l.stats().tls_failures, 4) == 4);
  c.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
}
