// A STOW-RS client (PS3.18 10.5): stores DICOM Part 10 files in a PACS with
// `POST {base}/studies[/{study_uid}]`, for the SR sender (stow_sender.hpp).
// Blocking, one connection per request, on net::http_client.
//
// Guarantees: every file goes as one part of `multipart/related;
// type="application/dicom"` (a boundary found in no part), with `Accept:
// application/dicom+json`. store() succeeds only when the server answers 200
// or 202 listing every file sent in ReferencedSOPSequence and none in
// FailedSOPSequence (warnings, WarningReason, are returned). Otherwise it
// throws stow_error:
// - rejected: each FailedSOPSequence entry named by the reference of its SOP
//   Instance UID, its SOP Class UID and FailureReason (hex and its PS3.4
//   meaning), or, without entries, how many of the files the server stored
//   (Orthanc answers 400 to a part it cannot parse, 409 to an instance of
//   another study than the one in the URL); permanent except out of
//   resources (0xA7xx), transient;
// - unauthorized (401/403), not_found (404, or a study_uid that is not a
//   UID), http_status (other statuses; 408, 429 and 5xx transient);
// - unreachable, timeout, too_large, bad_response: the HTTP client's error of
//   that name (net/http_error.hpp), or an answer that is not DICOM JSON.
// Messages start "DICOMweb POST {url}: ", the study UID in the URL replaced
// by its reference_of (core/sha256.hpp: "sha256:" and 12 hex digits), and
// never carry bodies or instance UIDs. Storing an instance the server
// already holds is the server's choice (Orthanc answers 200). Thread-safe:
// one client may serve several threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_auth.hpp"
#include "net/http_endpoint.hpp"

namespace radbridge::deliver {

enum class stow_errc { unreachable, timeout, http_status, unauthorized, not_found, too_large, bad_response, rejected };

std::string_view to_string(stow_errc c) noexcept;

class stow_error : public std::runtime_error {
 public:
  stow_error(stow_errc code, const std::string& what, bool transient = false)
      : std::runtime_error(what), code_(code), transient_(transient) {}
  stow_errc code() const noexcept { return code_; }
  bool transient() const noexcept { return transient_; }

 private:
  stow_errc code_;
  bool transient_;
};

struct stow_settings {
  std::string base_url;  // the DICOMweb root, "http://127.0.0.1:8042/dicom-web" (https: TLS)
  net::http_auth auth;
  std::string ca_file;   // https: PEM CA bundle; empty: the system's CAs
  bool verify_peer = true;
  std::string cert_file;  // https: a client certificate (PEM) and its key
  std::string key_file;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{300'000};          // one whole request, connect included
  std::size_t max_response_bytes = std::size_t{16} << 20;  // the server's answer
};

// One instance the server stored (an item of ReferencedSOPSequence).
struct stored_instance {
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string retrieve_url;                     // (0008,1190); empty when not given
  std::optional<std::uint16_t> warning_reason;  // (0008,1196), e.g. 0xB000 coercion
};

struct store_result {
  std::string retrieve_url;             // the study's (0008,1190); empty when not given
  std::vector<stored_instance> stored;  // in the server's order
};

class stow_client {
 public:
  // Throws std::invalid_argument for a bad base URL, missing credentials or
  // a client certificate on http, std::runtime_error ("TLS: ...") for TLS
  // settings that cannot be applied (net/http_endpoint.hpp).
  explicit stow_client(stow_settings settings);
  ~stow_client();
  stow_client(const stow_client&) = delete;
  stow_client& operator=(const stow_client&) = delete;

  // Stores the files into `study_uid` when given (the server then refuses
  // instances of other studies). Throws std::invalid_argument, before any
  // request, when there is nothing to send or a file is not a Part 10 file
  // ("DICM" at byte 128).
  store_result store(const std::vector<std::string>& part10_files, std::string_view study_uid = {}) const;

  // "{origin}{path}/studies[/{reference_of(study_uid)}]": the URL as messages name it.
  std::string shown_url(std::string_view study_uid) const;

 private:
  stow_settings settings_;
  net::http_endpoint endpoint_;
  std::string studies_url_;
};

}  // namespace radbridge::deliver
