// deliver/fhir_sender against a FHIR server that validates with Medplum
// (tests/support/fhir/fhir_server.mjs): conditional create makes one
// Observation however often it is sent; the server's statuses and failures
// come to the outcomes outbound.hpp names, with exact details.
#include "deliver/fhir_sender.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "deliver/sender.hpp"
#include "support/delivery_peers.hpp"
#include "engine/net/test_certs.hpp"
#include "core/result_identity.hpp"
#include "json/json_document.hpp"
#include "support/process.hpp"

namespace {

namespace test = radbridge::test;
namespace deliver = radbridge::deliver;
namespace json = radbridge::json;
using deliver::attempt_result;
using deliver::outbound_item;
using test::deliver::fhir_server;
using namespace std::chrono_literals;

const std::string observation_identity = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

std::string observation(const std::string& id, bool with_code = true) {
  std::string code = with_code ? R"("code":{"coding":[{"system":"http://radelement.org","code":"RDES194","display":"Intracranial hemorrhage"}]},)"
                               : "";
  return R"({"resourceType":"Observation","identifier":[{"system":"urn:radbridge:result","value":")" + id +
         R"("}],"status":"preliminary",)" + code +
         R"("subject":{"identifier":{"system":"urn:oid:2.16.840.1.113883.19.5","value":"MRN123"}},)"
         R"("valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"1386000"}]}})";
}

outbound_item item_for(const std::string& id, std::string payload) {
  outbound_item item;
  item.type = radbridge::work::output_kind::observation;
  item.identity = id;
  item.payload = std::move(payload);
  return item;
}

deliver::fhir_sender sender_for(const fhir_server& server, std::chrono::milliseconds timeout = 10s) {
  return deliver::fhir_sender({server.base_url(), {}, timeout, {}, {}, {}});
}

std::string url_of(const fhir_server& server) { return server.base_url() + "/Observation"; }

json::value parsed(const std::string& text) {
  auto doc = json::parse_document(text);
  REQUIRE_MESSAGE(doc, "not JSON: " << text);
  return doc.value();
}

std::string text_at(const json::value& v, const char* key) {
  const json::value* x = v.find(key);
  return x != nullptr && x->is_string() ? x->as_string() : std::string("(none)");
}

double number_at(const json::value& v, const char* key) {
  const json::value* x = v.find(key);
  return x != nullptr && x->is_number() ? x->as_number() : -1;
}

}  // namespace

TEST_CASE("fhir sender: the identifier system is results' one, escaped for If-None-Exist") {
  CHECK(deliver::fhir_sender::if_none_exist("abc") ==
        "identifier=" + std::string(radbridge::work::fhir_identifier_system) + "|abc");
  CHECK(deliver::fhir_sender::if_none_exist("a|b c,d$") == "identifier=urn:radbridge:result|a%5C%7Cb%20c%5C%2Cd%5C%24");
}

TEST_CASE("fhir sender: created (201), then the same identifier again is sent (200) and still one Observation") {
  fhir_server server;
  auto sender = sender_for(server);

  const auto created = sender.send(item_for(observation_identity, observation(observation_identity)));
  CHECK(created.result == attempt_result::sent);
  CHECK(created.detail == "FHIR POST " + url_of(server) + ": HTTP 201 Created");
  const json::value stored = parsed(created.response);
  CHECK(text_at(stored, "resourceType") == "Observation");
  CHECK(text_at(stored, "id") == "1");

  const auto again = sender.send(item_for(observation_identity, observation(observation_identity)));
  CHECK(again.result == attempt_result::sent);
  CHECK(again.detail == "FHIR POST " + url_of(server) + ": HTTP 200 OK");
  CHECK(text_at(parsed(again.response), "id") == "1");

  const json::value state = server.control("GET", "/control/state");
  CHECK(number_at(state, "observations") == 1);
  const auto requests = state.find("requests")->elements();
  REQUIRE(requests.size() == 2);
  for (const json::value& r : requests) {
    CHECK(text_at(r, "method") == "POST");
    CHECK(text_at(r, "path") == "/fhir/Observation");
    CHECK(text_at(r, "contentType") == "application/fhir+json");
    CHECK(text_at(r, "accept") == "application/fhir+json");
    CHECK(text_at(r, "ifNoneExist") == "identifier=urn:radbridge:result|" + observation_identity);
  }
  CHECK(number_at(requests[0], "status") == 201);
  CHECK(number_at(requests[1], "status") == 200);

  // Another identity is another Observation.
  const std::string other = "1111111111111111aaaaaaaaaaaaaaaa";
  CHECK(sender.send(item_for(other, observation(other))).detail == "FHIR POST " + url_of(server) + ": HTTP 201 Created");
  CHECK(number_at(server.control("GET", "/control/state"), "observations") == 2);
}

TEST_CASE("fhir sender: an invalid Observation is rejected with the server's OperationOutcome kept") {
  fhir_server server;
  auto sender = sender_for(server);
  const auto outcome = sender.send(item_for(observation_identity, observation(observation_identity, false)));
  CHECK(outcome.result == attempt_result::rejected);
  CHECK(outcome.detail == "FHIR POST " + url_of(server) + ": HTTP 400 Bad Request");
  const json::value oo = parsed(outcome.response);
  CHECK(text_at(oo, "resourceType") == "OperationOutcome");
  const auto issues = oo.find("issue")->elements();
  REQUIRE(issues.size() == 1);
  CHECK(text_at(issues[0], "severity") == "error");
  CHECK(text_at(*issues[0].find("details"), "text") == "Missing required property");
  CHECK(issues[0].find("expression")->elements()[0].as_string() == "Observation.code");
  CHECK(number_at(server.control("GET", "/control/state"), "observations") == 0);
}

TEST_CASE("fhir sender: 408, 429 and 5xx are retry; other 4xx are rejected; a retry then succeeds") {
  fhir_server server;
  auto sender = sender_for(server);
  struct expectation {
    int status;
    attempt_result result;
    const char* reason;
  };
  const expectation cases[] = {
      {503, attempt_result::retry, "Service Unavailable"},   {500, attempt_result::retry, "Internal Server Error"},
      {408, attempt_result::retry, "Request Timeout"},       {429, attempt_result::retry, "Too Many Requests"},
      {401, attempt_result::rejected, "Unauthorized"},       {404, attempt_result::rejected, "Not Found"},
      {422, attempt_result::rejected, "Unprocessable Entity"},
  };
  for (const expectation& e : cases) {
    CAPTURE(e.status);
    server.control("POST", "/control/fail?count=1&status=" + std::to_string(e.status));
    const auto outcome = sender.send(item_for(observation_identity, observation(observation_identity)));
    CHECK(outcome.result == e.result);
    CHECK(outcome.detail == "FHIR POST " + url_of(server) + ": HTTP " + std::to_string(e.status) + " " + e.reason);
    CHECK(text_at(parsed(outcome.response), "resourceType") == "OperationOutcome");
  }
  CHECK(number_at(server.control("GET", "/control/state"), "observations") == 0);
  const auto outcome = sender.send(item_for(observation_identity, observation(observation_identity)));
  CHECK(outcome.result == attempt_result::sent);
  CHECK(outcome.detail == "FHIR POST " + url_of(server) + ": HTTP 201 Created");
  CHECK(number_at(server.control("GET", "/control/state"), "observations") == 1);
}

TEST_CASE("fhir sender: no answer in time is retry") {
  fhir_server server;
  auto sender = sender_for(server, 500ms);
  server.control("POST", "/control/hang?count=1");
  const auto outcome = sender.send(item_for(observation_identity, observation(observation_identity)));
  CHECK(outcome.result == attempt_result::retry);
  CHECK(outcome.detail == "HTTP POST " + url_of(server) + ": no complete response within 500 ms");
  CHECK(outcome.response.empty());
}

TEST_CASE("fhir sender: a server that is down is retry naming the connect failure") {
  fhir_server server;
  auto sender = sender_for(server);
  CHECK(sender.send(item_for(observation_identity, observation(observation_identity))).result == attempt_result::sent);
  server.stop();
  const auto outcome = sender.send(item_for(observation_identity, observation(observation_identity)));
  CHECK(outcome.result == attempt_result::retry);
  CHECK(outcome.detail == "HTTP POST " + url_of(server) + ": cannot connect: Connection refused");
  CHECK(outcome.response.empty());
}

TEST_CASE("fhir sender over https (make_sender): verified against the destination's CA; another CA is retry") {
  const auto& certs = test::certs();
  fhir_server server(certs.server_cert, certs.server_key);
  radbridge::route::destination d;
  d.name = "ehr-fhir";
  d.type = radbridge::route::destination::kind::fhir;
  d.address = server.base_url();
  d.ca_file = certs.ca;
  const auto sender = deliver::make_sender(d, 10s);
  const auto created = sender->send(item_for(observation_identity, observation(observation_identity)));
  CHECK(created.result == attempt_result::sent);
  CHECK(created.detail == "FHIR POST " + url_of(server) + ": HTTP 201 Created");

  d.ca_file = certs.other_ca;
  const auto untrusting = deliver::make_sender(d, 10s);
  const auto refused = untrusting->send(item_for(observation_identity, observation(observation_identity)));
  CHECK(refused.result == attempt_result::retry);
  CHECK(refused.detail == "HTTP POST " + url_of(server) + ": TLS handshake failed: certificate verify failed");
}
