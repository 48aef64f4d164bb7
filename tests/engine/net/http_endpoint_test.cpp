// net/http_endpoint: what the HTTP API clients (DICOMweb fetch, STOW-RS,
// FHIR) share: the client made from settings, its prefix and Authorization,
// the refusals before anything is sent, and what a status means.
#include "net/http_endpoint.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "engine/net/test_certs.hpp"

namespace net = radbridge::net;

TEST_CASE("http endpoint: the base path, the Authorization header and the client, from settings") {
  net::http_endpoint_settings s;
  s.base_url = "http://127.0.0.1:8042/dicom-web/";
  s.auth = {net::auth_scheme::bearer, {}, {}, "t0k"};
  const net::http_endpoint e = net::make_http_endpoint(s, "DICOMweb");
  CHECK(e.prefix == "/dicom-web");
  CHECK(e.authorization == "Bearer t0k");
  CHECK(e.client->server().origin() == "http://127.0.0.1:8042");
  net::http_request request;
  e.authorize(request);
  CHECK(request.headers == net::http_fields{{"Authorization", "Bearer t0k"}});

  s.auth = {};
  net::http_request plain;
  net::make_http_endpoint(s, "DICOMweb").authorize(plain);
  CHECK(plain.headers.empty());
}

TEST_CASE("http endpoint: settings that cannot work are refused before anything is sent") {
  const auto& certs = radbridge::test::certs();
  net::http_endpoint_settings s;
  s.base_url = "http://127.0.0.1:8080/fhir";
  s.auth = {net::auth_scheme::bearer, {}, {}, ""};
  CHECK_THROWS_WITH_AS(net::make_http_endpoint(s, "FHIR"), "FHIR: bearer authentication needs a token",
                       std::invalid_argument);
  s.auth = {};
  s.cert_file = certs.client_cert;
  s.key_file = certs.client_key;
  CHECK_THROWS_WITH_AS(net::make_http_endpoint(s, "FHIR"),
                       "a client certificate needs an https address, not http://127.0.0.1:8080", std::invalid_argument);
  s.base_url = "https://127.0.0.1:8443/fhir";
  CHECK(net::make_http_endpoint(s, "FHIR").client->server().tls);
  s.key_file = certs.other_client_key;
  CHECK_THROWS_WITH_AS(net::make_http_endpoint(s, "FHIR"),
                       ("TLS: private key " + certs.other_client_key + " does not match certificate " + certs.client_cert +
                        ": key values mismatch")
                           .c_str(),
                       std::runtime_error);
  s.base_url = "ftp://h/x";
  CHECK_THROWS_AS(net::make_http_endpoint(s, "FHIR"), std::invalid_argument);
}

TEST_CASE("http endpoint: what a status means, and its line for messages") {
  using net::status_kind;
  struct expectation {
    unsigned status;
    status_kind kind;
    bool transient;
  };
  const expectation table[] = {
      {401, status_kind::unauthorized, false}, {403, status_kind::unauthorized, false},
      {404, status_kind::not_found, false},    {400, status_kind::other, false},
      {409, status_kind::other, false},        {302, status_kind::other, false},
      {408, status_kind::other, true},         {429, status_kind::other, true},
      {500, status_kind::other, true},         {503, status_kind::other, true},
  };
  for (const expectation& e : table) {
    CAPTURE(e.status);
    CHECK(net::meaning_of(e.status).kind == e.kind);
    CHECK(net::meaning_of(e.status).transient == e.transient);
  }
  net::http_head head;
  head.status = 404;
  head.reason = "Not Found";
  CHECK(net::status_line(head) == "HTTP 404 Not Found");
  head.reason = "Bad\r\nX: \x01" + std::string(100, 'y');
  CHECK(net::status_line(head) == "HTTP 404 Bad??X: ?" + std::string(55, 'y'));  // 64 characters of reason
}
