// Errors from fetching and decoding a study, with a code the caller can act
// on and whether trying again later may succeed (`transient`: the server was
// unreachable, timed out or answered 5xx/408/429, or a body was cut short).
// Messages end up in jobs.error and in logs: they say which step failed and
// why (HTTP status, attribute, limit) and name the study, series or
// instance only by `reference_of` its identifier, never by an accession
// number, patient ID, UID or free text from the PACS.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "core/sha256.hpp"

namespace radbridge::fetch {

enum class fetch_errc {
  unreachable,           // connect failed or TLS handshake failed
  timeout,               // connect or read deadline passed
  http_status,           // an unexpected HTTP status (message says which)
  unauthorized,          // 401/403
  not_found,             // no study with that accession / UID (or no such folder)
  too_large,             // the study or series exceeds the size cap
  bad_response,          // malformed JSON, multipart or headers, or a number out of range, from the server
  no_matching_series,    // the selection rule matched nothing
  wrong_modality,        // the series is not what the caller (model) accepts
  undecodable,           // DCMTK cannot read or decompress an instance
  inconsistent_series,   // mixed sizes/orientation, missing or duplicate slices
};

std::string_view to_string(fetch_errc c) noexcept;

// How messages name an identifier: "sha256:" and the first 12 hex digits of
// its SHA-256 (core/sha256.hpp). The same identifier always gives the same
// reference, so an operator can match errors to a study.
using radbridge::reference_of;

class fetch_error : public std::runtime_error {
 public:
  fetch_error(fetch_errc code, const std::string& what, bool transient = false)
      : std::runtime_error(what), code_(code), transient_(transient) {}
  fetch_errc code() const noexcept { return code_; }
  bool transient() const noexcept { return transient_; }

 private:
  fetch_errc code_;
  bool transient_;
};

}  // namespace radbridge::fetch
