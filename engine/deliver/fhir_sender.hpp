// Delivery of a FHIR R4 Observation by conditional create, or conditional
// update for a correction or withdrawal.
//
// An original is `POST {base}/Observation` with the payload (the Observation
// JSON) as built, `Content-Type` and `Accept: application/fhir+json`, and
// `If-None-Exist: identifier=urn:radbridge:result|{identity}` (the system is
// work::fhir_identifier_system, core/result_identity.hpp), so a resend
// finds the Observation the first send created instead of making a second
// (FHIR R4 3.1.0.8.1: one match → 200 and nothing created). A correction
// (status amended) or withdrawal (entered-in-error) is `PUT
// {base}/Observation?identifier=...` (3.1.0.9.1): the Observation with that
// identifier gets a new version; a resend makes one more version of the
// same content. Over https when
// the base URL is, verified against ca_file (or the system's CAs). One
// connection per send (net/http_client.hpp); connect plus the whole
// exchange are bounded by `timeout`.
//
// What the answer means (outbound.hpp): 2xx → sent; 408, 429, 5xx, no
// connection, no complete answer in time, a broken or malformed HTTP answer,
// and 1xx/3xx (redirects are not followed; the address is wrong, which an
// operator fixes without losing the message) → retry; other 4xx → rejected.
// `detail` is "FHIR POST URL: HTTP STATUS REASON" (transport failures carry
// the HTTP client's message instead); `response` is the body as received
// (the Observation, or the OperationOutcome).
//
// Thread-safe like http_client: sends may run concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "deliver/sender.hpp"
#include "net/http_auth.hpp"
#include "net/http_endpoint.hpp"

namespace radbridge::deliver {

struct fhir_sender_options {
  std::string base_url;  // "http(s)://host[:port]/path", e.g. "http://127.0.0.1:8080/fhir"
  std::string ca_file;   // https: PEM CA bundle; empty: the system's CAs
  std::chrono::milliseconds timeout{10'000};
  net::http_auth auth;    // none, basic or bearer: sent as Authorization with every request
  std::string cert_file;  // https: a client certificate (PEM) and its key
  std::string key_file;
};

class fhir_sender final : public sender {
 public:
  // Throws std::invalid_argument for a bad base URL, a timeout that is not
  // positive, credentials that cannot work ("FHIR: bearer authentication
  // needs a token") or a client certificate on http, std::runtime_error
  // ("TLS: ...") for a CA, certificate or key file that cannot be used.
  explicit fhir_sender(fhir_sender_options options);
  ~fhir_sender() override;
  fhir_sender(const fhir_sender&) = delete;
  fhir_sender& operator=(const fhir_sender&) = delete;

  attempt_outcome send(const outbound_item& item) override;

  // The If-None-Exist value for an identity: "identifier=SYSTEM|VALUE" with
  // FHIR search escaping (\ , | $ get a backslash) and then percent-encoding
  // of anything outside A-Z a-z 0-9 - . _ ~ : / in the value.
  static std::string if_none_exist(std::string_view identity);

 private:
  net::http_endpoint endpoint_;
  std::string target_;  // "{path}/Observation"
  std::string url_;     // origin + target, for details
};

}  // namespace radbridge::deliver
