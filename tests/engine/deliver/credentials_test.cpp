// Outbound credentials and client certificates, through make_sender as
// `serve` builds its senders from a mapping file's destinations: bearer and
// basic Authorization (secrets read from files) arriving exactly at a real
// HTTP receiver, client certificates accepted by receivers that require them
// (python-hl7's MLLP server, Node's https; the PACS client too) and refused
// without; which destinations count as plain text off the host.
#include <doctest/doctest.h>

#include <chrono>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/sha256.hpp"
#include "deliver/sender.hpp"
#include "fetch/dicomweb_client.hpp"
#include "fetch/fetch_error.hpp"
#include "engine/net/test_certs.hpp"
#include "engine/route/destination_files.hpp"
#include "json/json_document.hpp"
#include "route/mapping_loader.hpp"
#include "support.hpp"
#include "support/delivery_peers.hpp"
#include "support/process.hpp"

namespace {

namespace test = radbridge::test;
namespace deliver = radbridge::deliver;
namespace route = radbridge::route;
namespace json = radbridge::json;
using deliver::attempt_result;
using deliver::outbound_item;
using test::deliver::fhir_server;
using test::deliver::hl7_receiver;
using namespace std::chrono_literals;

// The destinations of a mapping file written into `dir` (one per line),
// loaded as serve loads them.
route::mapping_set load_destinations(const test::temp_folder& dir, const std::vector<std::string>& lines) {
  return route::load_mappings({test::destinations_file(dir, lines)}, test::shipped_registry());
}

outbound_item observation_item(const std::string& id) {
  outbound_item item;
  item.type = radbridge::work::output_kind::observation;
  item.identity = id;
  item.payload = R"({"resourceType":"Observation","identifier":[{"system":"urn:radbridge:result","value":")" + id +
                 R"("}],"status":"preliminary","code":{"coding":[{"system":"http://radelement.org","code":"RDES194"}]}})";
  return item;
}

outbound_item oru_item(const std::string& control_id) {
  outbound_item item;
  item.type = radbridge::work::output_kind::oru;
  item.identity = control_id;
  item.payload = "MSH|^~\\&|RADBRIDGE|HOSP|RIS|HOSP|20250301120000||ORU^R01^ORU_R01|" + control_id +
                 "|P|2.5.1\rPID|1||MRN1^^^HOSP^MR\rOBR|1||ACC1|24727-0^CT head^LN\r";
  return item;
}

// A destination of `type` at `address` that trusts the test CA and presents
// the test client certificate.
route::destination with_client_cert(const std::string& name, route::destination::kind type,
                                    const std::string& address) {
  route::destination d;
  d.name = name;
  d.type = type;
  d.address = address;
  d.ca_file = test::certs().ca;
  d.cert_file = test::certs().client_cert;
  d.key_file = test::certs().client_key;
  return d;
}

// The Authorization header of each request the FHIR test server recorded ("(none)" when absent).
std::vector<std::string> authorizations(const fhir_server& server) {
  std::vector<std::string> out;
  const json::value state = server.control("GET", "/control/state");
  for (const json::value& r : state.find("requests")->elements()) {
    const json::value* a = r.find("authorization");
    out.push_back(a != nullptr && a->is_string() ? a->as_string() : "(none)");
  }
  return out;
}

}  // namespace

TEST_CASE("credentials: bearer and basic secrets read from files arrive exactly as Authorization (FHIR, STOW-RS)") {
  // One FHIR test server (it takes seconds to start) for both kinds: it
  // records every request it gets, also the STOW-RS POST it has no route
  // for (404, so that sender rejects it), which is enough to see the header.
  const test::temp_folder dir("radbridge-credentials");
  test::secret_file(dir, "fhir.token", "tok-3f9a.b_c~\n");
  test::secret_file(dir, "fhir.pw", "open sesame\n");
  test::secret_file(dir, "pacs.token", "pacs-tok-1\n");
  fhir_server server;
  const std::string origin = "http://127.0.0.1:" + std::to_string(server.port());
  const route::mapping_set m = load_destinations(
      dir, {R"({"name": "bearer", "type": "fhir", "address": ")" + server.base_url() +
                R"(", "auth": {"scheme": "bearer", "token_file": "fhir.token"}})",
            R"({"name": "basic", "type": "fhir", "address": ")" + server.base_url() +
                R"(", "auth": {"scheme": "basic", "user": "Aladdin", "password_file": "fhir.pw"}})",
            R"({"name": "none", "type": "fhir", "address": ")" + server.base_url() + R"("})",
            R"({"name": "pacs", "type": "dicomweb", "address": ")" + origin +
                R"(/dicom-web", "auth": {"scheme": "bearer", "token_file": "pacs.token"}})"});

  for (const auto& [name, id] :
       std::initializer_list<std::pair<const char*, const char*>>{{"bearer", "a1"}, {"basic", "a2"}, {"none", "a3"}}) {
    CAPTURE(name);
    const auto sent = deliver::make_sender(*m.find_destination(name), 10s)->send(observation_item(id));
    CHECK_MESSAGE(sent.result == attempt_result::sent, sent.detail);
  }
  outbound_item sr;
  sr.type = radbridge::work::output_kind::sr;
  sr.identity = "1.2.3.4";
  sr.study_uid = "1.2.3";
  sr.payload = std::string(128, '\0') + "DICM" + "not really a data set";
  const auto stored = deliver::make_sender(*m.find_destination("pacs"), 10s)->send(sr);
  CHECK(stored.result == attempt_result::rejected);
  CHECK(stored.detail == "DICOMweb POST " + origin + "/dicom-web/studies/" + radbridge::reference_of("1.2.3") +
                         ": HTTP 404 Not Found");
  // RFC 7617 section 2's example for the basic one.
  CHECK(authorizations(server) == std::vector<std::string>{"Bearer tok-3f9a.b_c~", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
                                                           "(none)", "Bearer pacs-tok-1"});
}

TEST_CASE("client certificates: an MLLP-over-TLS receiver that requires one takes the sender with it, refuses it without") {
  const auto& certs = test::certs();
  hl7_receiver peer(true, certs.server_cert, certs.server_key, certs.ca);
  route::destination d = with_client_cert("ris", route::destination::kind::mllp, peer.address());
  const auto outcome = deliver::make_sender(d, 10s)->send(oru_item("RB0101"));
  CHECK(outcome.result == attempt_result::sent);
  CHECK(outcome.detail == "MLLP " + peer.address() + ": ACK AA");

  d.cert_file.clear();
  d.key_file.clear();
  const auto without = deliver::make_sender(d, 10s)->send(oru_item("RB0102"));
  CHECK(without.result == attempt_result::retry);
  // python's asyncio closes without sending its alert: the handshake reads an end of stream.
  CHECK(without.detail == "MLLP: TLS handshake with " + peer.address() + " failed: stream truncated");

  d.cert_file = certs.other_client_cert;  // issued by a CA the receiver does not trust
  d.key_file = certs.other_client_key;
  const auto untrusted = deliver::make_sender(d, 10s)->send(oru_item("RB0103"));
  CHECK(untrusted.result == attempt_result::retry);
  CHECK(untrusted.detail == "MLLP: TLS handshake with " + peer.address() + " failed: stream truncated");

  const auto records = peer.records();
  REQUIRE(records.size() == 1);
  CHECK(records[0].control_id == "RB0101");
}

TEST_CASE("client certificates: an https FHIR receiver that requires one takes the sender with it, refuses it without") {
  const auto& certs = test::certs();
  fhir_server server(certs.server_cert, certs.server_key, certs.ca);
  route::destination d = with_client_cert("fhir", route::destination::kind::fhir, server.base_url());
  const auto outcome = deliver::make_sender(d, 10s)->send(observation_item("b1"));
  CHECK(outcome.result == attempt_result::sent);
  CHECK(outcome.detail == "FHIR POST " + server.base_url() + "/Observation: HTTP 201 Created");

  d.cert_file.clear();
  d.key_file.clear();
  const auto without = deliver::make_sender(d, 10s)->send(observation_item("b2"));
  CHECK(without.result == attempt_result::retry);
  CHECK(without.detail ==
        "HTTP POST " + server.base_url() + "/Observation: TLS handshake failed: sslv3 alert handshake failure");

  // The PACS client (fetch, built from the config's "pacs" the same way,
  // net/http_endpoint.hpp): with the certificate the handshake passes and
  // the server's answer comes back (404: it is no PACS); without, it fails.
  radbridge::fetch::dicomweb_settings pacs;
  pacs.base_url = "https://127.0.0.1:" + std::to_string(server.port()) + "/dicom-web";
  pacs.ca_file = certs.ca;
  pacs.cert_file = certs.client_cert;
  pacs.key_file = certs.client_key;
  auto error_of = [](const radbridge::fetch::dicomweb_settings& settings) {
    try {
      (void)radbridge::fetch::dicomweb_client(settings).find_study_by_accession("A1");
    } catch (const radbridge::fetch::fetch_error& e) {
      return e;
    }
    FAIL("no fetch_error");
    return radbridge::fetch::fetch_error(radbridge::fetch::fetch_errc::bad_response, "", false);
  };
  const radbridge::fetch::fetch_error with_cert = error_of(pacs);
  CHECK_MESSAGE(with_cert.code() == radbridge::fetch::fetch_errc::not_found, with_cert.what());
  pacs.cert_file.clear();
  pacs.key_file.clear();
  const radbridge::fetch::fetch_error without_cert = error_of(pacs);
  CHECK_MESSAGE(without_cert.code() == radbridge::fetch::fetch_errc::unreachable, without_cert.what());
  CHECK_MESSAGE(std::string(without_cert.what()).ends_with(": TLS handshake failed: sslv3 alert handshake failure"),
                without_cert.what());
}

TEST_CASE("client certificates: a certificate needs its key, and https for HTTP destinations") {
  const auto& certs = test::certs();
  route::destination d;
  d.name = "fhir";
  d.type = route::destination::kind::fhir;
  d.address = "http://127.0.0.1:8080/fhir";
  d.cert_file = certs.client_cert;
  d.key_file = certs.client_key;
  CHECK_THROWS_WITH_AS(deliver::make_sender(d, 10s),
                       "destination \"fhir\": a client certificate needs an https address, not http://127.0.0.1:8080",
                       std::invalid_argument);
  d.address = "https://127.0.0.1:8443/fhir";
  d.key_file.clear();
  CHECK_THROWS_WITH_AS(deliver::make_sender(d, 10s),
                       ("destination \"fhir\": TLS: certificate " + certs.client_cert + " given without a key").c_str(),
                       std::runtime_error);
  d.type = route::destination::kind::mllp;
  d.address = "127.0.0.1:6661";
  CHECK_THROWS_WITH_AS(deliver::make_sender(d, 10s),
                       ("destination \"fhir\": TLS: certificate " + certs.client_cert + " given without a key").c_str(),
                       std::runtime_error);
}

TEST_CASE("plain text off the host: mllp without TLS and http:// to a host that is not loopback (net/loopback.hpp)") {
  struct example {
    route::destination::kind type;
    const char* address;
    bool tls;
    const char* ca_file;
    bool off_host;
  };
  using kind = route::destination::kind;
  const example examples[] = {
      {kind::mllp, "10.1.2.3:6661", false, "", true},
      {kind::mllp, "ris.example.org:6661", false, "", true},
      {kind::mllp, "[::1]:6661", false, "", false},
      {kind::mllp, "127.0.0.1:6661", false, "", false},
      {kind::mllp, "10.1.2.3:6661", true, "", false},
      {kind::mllp, "10.1.2.3:6661", false, "/etc/ca.pem", false},
      {kind::fhir, "http://fhir.example.org/fhir", false, "", true},
      {kind::fhir, "http://[::1]:8080/fhir", false, "", false},
      {kind::fhir, "https://fhir.example.org/fhir", false, "", false},
      {kind::dicomweb, "http://10.0.0.9:8042/dicom-web", false, "", true},
      {kind::dicomweb, "http://localhost:8042/dicom-web", false, "", false},
      {kind::folder, "/var/out", false, "", false},
  };
  for (const example& e : examples) {
    CAPTURE(e.address);
    route::destination d;
    d.type = e.type;
    d.address = e.address;
    d.tls = e.tls;
    d.ca_file = e.ca_file;
    CHECK(deliver::plain_text_off_host(d) == e.off_host);
  }
}
