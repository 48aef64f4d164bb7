// Delivery of a DICOM SR (Part 10 bytes) to a PACS by STOW-RS, through
// stow_client::store (stow_client.hpp): `POST {base}/studies/{study_uid}` (or
// `{base}/studies` when the item names no study), one instance per send.
// Storing an instance the PACS already holds is harmless (same SOP Instance
// UID; Orthanc answers 200). Connect plus the whole request are bounded by
// `timeout`; https is verified against ca_file (or the system's CAs).
//
// What the answer means (outbound.hpp): stored → sent; a refusal of this
// instance (FailedSOPSequence, 400, 409; 401/403/404 and other statuses
// store() does not call transient), or bytes that are not a Part 10 file →
// rejected; unreachable, timeout, 5xx, 408, 429, out-of-resources failures
// (0xA7xx) and malformed answers → retry.
//
// store() hands back what the server answered parsed, not as bytes, so
// `response` holds the stored instance's RetrieveURL on success (empty when
// the server gave none) and is empty otherwise; `detail` carries store()'s
// message, which names every FailedSOPSequence entry with its reason.
//
// Thread-safe like stow_client: sends may run concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "deliver/sender.hpp"
#include "net/http_auth.hpp"

namespace radbridge::deliver {

class stow_client;

struct stow_sender_options {
  std::string base_url;  // DICOMweb root, e.g. "http://127.0.0.1:8042/dicom-web"
  std::string ca_file;   // https: PEM CA bundle; empty: the system's CAs
  std::chrono::milliseconds timeout{60'000};
  net::http_auth auth;    // none, basic or bearer: sent as Authorization
  std::string cert_file;  // https: a client certificate (PEM) and its key
  std::string key_file;
};

class stow_sender final : public sender {
 public:
  // Throws std::invalid_argument for a bad base URL, a timeout that is not
  // positive, credentials that cannot work or a client certificate on http,
  // std::runtime_error ("TLS: ...") for a CA, certificate or key file that
  // cannot be used.
  explicit stow_sender(stow_sender_options options);
  ~stow_sender() override;
  stow_sender(const stow_sender&) = delete;
  stow_sender& operator=(const stow_sender&) = delete;

  attempt_outcome send(const outbound_item& item) override;

 private:
  std::unique_ptr<stow_client> client_;
};

}  // namespace radbridge::deliver
