// A DICOMweb client for the fetch stage: find a study (QIDO-RS), list its
// series, retrieve one series as DICOM Part 10 files (WADO-RS), and find a
// patient's prior studies. Blocking, for worker threads; HTTP/1.1 on
// Boost.Beast (net/http_client.hpp), one connection per request; DICOM JSON
// read with parsers/dicom_json. Storing (STOW-RS) is delivery's:
// deliver/stow_client.hpp.
//
// Guarantees:
// - Every request has a connect deadline and a whole-request deadline
//   (`read_timeout`); a retrieved series is capped at `max_series_bytes`
//   and `max_instances` while it is read (too_large before buffering more),
//   and QIDO answers at `max_query_bytes`.
// - Retrieval asks for `multipart/related; type="application/dicom";
//   transfer-syntax=*`, so instances come in their stored transfer syntax,
//   compressed or not; each returned string is one Part 10 file (checked:
//   "DICM" at byte 128), in the server's order.
// - Query values are matched exactly: QIDO treats `*` and `?` as wildcards,
//   so every answer is filtered again on our side (an accession of "A*"
//   never matches "A1"), and empty values are refused. UIDs are checked
//   (digits and dots, at most 64) before they go into a path.
// - Errors are fetch_error (the HTTP client's net::http_error becomes the
//   fetch_errc of the same name, message and transient flag kept):
//   unreachable, timeout, 5xx, 408 and 429 are transient;
//   401/403 unauthorized; 404 not_found; other statuses http_status;
//   malformed JSON, multipart or DICOM JSON shapes bad_response (transient
//   when a multipart body ends before its close delimiter: a connection cut
//   short looks like that); caps too_large. Messages name the request
//   (method, URL path, query keys) with each accession number, patient ID
//   and UID replaced by its reference_of (fetch_error.hpp), never those
//   values, patient names or bodies.
// - Numbers from the server are checked before use: a SeriesNumber that is
//   not an integer in IS's 32-bit range, a NumberOfSeriesRelatedInstances
//   that is not one from 0 up, or a SliceThickness that is not finite
//   (NaN, inf) is a bad_response naming the attribute and the value.
//
// Rules where DICOMweb leaves a choice (documented, tested):
// - find_study_by_accession: several studies with one accession number is an
//   error (bad_response naming the count), not a guess.
// - list_series checks the study exists with a study-level query (QIDO
//   answers an unknown study's series query with an empty list) and takes
//   accession and patient ID from it. Series are sorted by SeriesNumber,
//   then UID. SliceThickness is asked for; it is left empty where the server
//   does not give it at series level.
// - prior_studies: the patient's other studies whose modality is `modality`
//   (ModalitiesInStudy) and, when `body_part` is not empty, that have a
//   series of that modality with that BodyPartExamined (compared
//   case-insensitively; one series query per candidate study, because body
//   part is a series attribute). Studies dated after the excluded (current)
//   study are left out when both dates are known. Newest first (StudyDate,
//   StudyTime, then UID).
//
// Thread-safe: one client may serve several worker threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fetch/series.hpp"
#include "net/http_auth.hpp"
#include "net/http_endpoint.hpp"

namespace radbridge::fetch {

struct dicomweb_settings {
  std::string base_url;  // "http://127.0.0.1:8042/dicom-web" (https: TLS)
  net::http_auth auth;   // none, basic (user, password) or bearer (token)
  std::string ca_file;   // https: PEM CA bundle; empty: the system's CAs
  bool verify_peer = true;
  std::string cert_file;  // https: a client certificate (PEM) and its key
  std::string key_file;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{300'000};  // one whole request, connect included
  std::size_t max_series_bytes = std::size_t{2} << 30;
  std::size_t max_instances = 10'000;                  // per series
  std::size_t max_query_bytes = std::size_t{16} << 20;  // one QIDO answer
};

struct study_summary {
  std::string study_uid;
  std::string study_date;  // DA, "YYYYMMDD"; empty when absent
  std::string study_time;  // TM, "HHMMSS[.frac]"; empty when absent
  std::string accession;
  std::string description;  // StudyDescription
};

class dicomweb_client {
 public:
  // Throws std::invalid_argument for a bad base URL or missing credentials,
  // std::runtime_error ("TLS: ...") for TLS settings that cannot be applied.
  explicit dicomweb_client(dicomweb_settings settings);
  ~dicomweb_client();
  dicomweb_client(const dicomweb_client&) = delete;
  dicomweb_client& operator=(const dicomweb_client&) = delete;

  // QIDO-RS GET {base}/studies?AccessionNumber=...: the Study Instance UID.
  // not_found when there is none (or the accession is empty).
  std::string find_study_by_accession(std::string_view accession) const;

  // QIDO-RS GET {base}/studies/{uid}/series. not_found for an unknown study.
  std::vector<series_info> list_series(std::string_view study_uid) const;

  // WADO-RS GET {base}/studies/{uid}/series/{uid}: every instance as a Part
  // 10 file. not_found for an unknown or empty series.
  std::vector<std::string> retrieve_series(std::string_view study_uid, std::string_view series_uid) const;

  // See the rules above. `exclude_study_uid` may be empty.
  std::vector<study_summary> prior_studies(std::string_view patient_id, std::string_view modality,
                                           std::string_view body_part, std::string_view exclude_study_uid) const;

  const dicomweb_settings& settings() const noexcept { return settings_; }

 private:
  dicomweb_settings settings_;
  net::http_endpoint endpoint_;

  // "{origin}{path}{rest}": a request as messages show it.
  std::string shown(std::string_view rest) const;
};

}  // namespace radbridge::fetch
