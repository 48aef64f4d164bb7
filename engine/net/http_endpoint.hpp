// One HTTP API's server as its clients see it (DICOMweb QIDO/WADO-RS in
// fetch, STOW-RS and FHIR in deliver): the base URL, credentials and TLS
// settings, made once into an http_client, the path every request starts
// with and the Authorization header every request carries; and what an HTTP
// status other than success means to such a client. Each client keeps its
// own error type and messages; this is only the part they share.
//
// make_http_endpoint refuses, before anything is sent, settings that could
// not work: std::invalid_argument for a base URL parse_http_url refuses (its
// message as is), a client certificate on plain http, or credentials
// authorization_header refuses (prefixed "{what}: ", e.g. "DICOMweb: bearer
// authentication needs a token"); std::runtime_error ("TLS: ...") for TLS
// files that cannot be used.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "net/http_auth.hpp"
#include "net/http_client.hpp"

namespace radbridge::net {

struct http_endpoint_settings {
  std::string base_url;  // "http(s)://host[:port][/path]"
  http_auth auth;
  std::string ca_file;  // https: PEM CA bundle; empty: the system's CAs
  bool verify_peer = true;
  std::string cert_file;  // https: a client certificate (PEM) ...
  std::string key_file;   // ... and its key
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{300'000};  // one whole request, connect included
};

struct http_endpoint {
  std::unique_ptr<http_client> client;
  std::string prefix;         // the base URL's path, e.g. "/dicom-web" (no trailing '/'), or empty
  std::string authorization;  // the Authorization header's value, or empty

  // Adds the Authorization header to `request` when there is one.
  void authorize(http_request& request) const;
};

http_endpoint make_http_endpoint(const http_endpoint_settings& settings, std::string_view what);

// What a status other than success means: 401 and 403 unauthorized; 404
// not_found; 408, 429 and 5xx other and transient (trying later may
// succeed); any other status other and permanent.
enum class status_kind { unauthorized, not_found, other };
struct status_meaning {
  status_kind kind = status_kind::other;
  bool transient = false;
};
status_meaning meaning_of(unsigned status) noexcept;

// "HTTP 404 Not Found": the reason phrase as printable ASCII ('?' for other
// bytes), at most 64 characters, fit for a message or a log line.
std::string status_line(const http_head& head);

}  // namespace radbridge::net
