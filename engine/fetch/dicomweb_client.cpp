#include "fetch/dicomweb_client.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "dicom_json/dicom_json.hpp"
#include "fetch/fetch_error.hpp"
#include "json/json_document.hpp"
#include "multipart/multipart.hpp"
#include "net/http_auth.hpp"
#include "net/http_client.hpp"
#include "net/http_endpoint.hpp"
#include "net/http_error.hpp"

namespace radbridge::fetch {

namespace {

// Tags, as DICOM JSON (PS3.18 F.2) spells them.
constexpr std::string_view tag_study_date = "00080020";
constexpr std::string_view tag_study_time = "00080030";
constexpr std::string_view tag_accession = "00080050";
constexpr std::string_view tag_modality = "00080060";
constexpr std::string_view tag_modalities_in_study = "00080061";
constexpr std::string_view tag_study_description = "00081030";
constexpr std::string_view tag_series_description = "0008103E";
constexpr std::string_view tag_patient_id = "00100020";
constexpr std::string_view tag_body_part = "00180015";
constexpr std::string_view tag_slice_thickness = "00180050";
constexpr std::string_view tag_study_uid = "0020000D";
constexpr std::string_view tag_series_uid = "0020000E";
constexpr std::string_view tag_series_number = "00200011";
constexpr std::string_view tag_series_instances = "00201209";

constexpr std::string_view dicom_json_type = "application/dicom+json";
constexpr std::string_view dicom_media_type = "application/dicom";
constexpr std::string_view accept_dicom_series = R"(multipart/related; type="application/dicom"; transfer-syntax=*)";
constexpr std::size_t part10_magic_offset = 128;

using dicom_json::is_uid;
using dicom_json::trim;

// A server-supplied header value fit for a message: printable ASCII, bounded.
std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  return out;
}

// One request, for messages: "GET http://127.0.0.1:8042/dicom-web/studies?AccessionNumber=sha256:...".
// `shown` is the request's URL with each accession number, patient ID and UID
// replaced by its reference_of and without the includefield parameters: the
// request itself (with the values) is never put in a message.
struct request_context {
  std::string method;
  std::string shown;

  [[noreturn]] void fail(fetch_errc code, const std::string& why, bool transient = false) const {
    throw fetch_error(code, fmt::format("DICOMweb {} {}: {}", method, shown, why), transient);
  }

  // A DICOM JSON reading whose shape problem is a bad_response of this request.
  template <class F>
  auto read(F&& f) const -> decltype(f()) {
    try {
      return f();
    } catch (const dicom_json::shape_error& e) {
      fail(fetch_errc::bad_response, e.what());
    }
  }
};

// Maps an HTTP status other than 200 to the error it means.
[[noreturn]] void fail_status(const request_context& rq, const net::http_head& head) {
  const net::status_meaning meaning = net::meaning_of(head.status);
  const fetch_errc code = meaning.kind == net::status_kind::unauthorized ? fetch_errc::unauthorized
                          : meaning.kind == net::status_kind::not_found  ? fetch_errc::not_found
                                                                         : fetch_errc::http_status;
  rq.fail(code, net::status_line(head), meaning.transient);
}

// The HTTP client's transport errors as fetch errors of the same name; the
// message and the transient flag are kept. Errors the callbacks throw are
// fetch errors already and pass unchanged.
fetch_errc code_of(net::http_errc c) {
  switch (c) {
    case net::http_errc::unreachable: return fetch_errc::unreachable;
    case net::http_errc::timeout: return fetch_errc::timeout;
    case net::http_errc::too_large: return fetch_errc::too_large;
    case net::http_errc::bad_response: return fetch_errc::bad_response;
  }
  return fetch_errc::bad_response;
}


net::http_response send(const request_context& rq, const net::http_client& http, const net::http_request& request,
                        std::size_t max_body) {
  try {
    return http.send(request, max_body);
  } catch (const net::http_error& e) {
    // Its message names the target with the query's values: the reason only.
    rq.fail(code_of(e.code()), e.reason(), e.transient());
  }
}

void send(const request_context& rq, const net::http_client& http, const net::http_request& request,
          std::size_t max_body, const std::function<bool(const net::http_head&)>& on_head,
          const std::function<void(std::string_view)>& on_data) {
  try {
    http.send(request, max_body, on_head, on_data);
  } catch (const net::http_error& e) {
    // Its message names the target with the query's values: the reason only.
    rq.fail(code_of(e.code()), e.reason(), e.transient());
  }
}

// --- DICOM JSON (parsers/dicom_json), shape problems named for the request --

std::string first_text(const request_context& rq, const json::value& dataset, std::string_view tag) {
  return rq.read([&] { return dicom_json::first_text(dataset, tag); });
}

std::vector<std::string> all_texts(const request_context& rq, const json::value& dataset, std::string_view tag) {
  return rq.read([&] { return dicom_json::all_texts(dataset, tag); });
}

std::optional<double> first_number(const request_context& rq, const json::value& dataset, std::string_view tag) {
  return rq.read([&] { return dicom_json::first_number(dataset, tag); });
}

// An IS attribute: absent is nullopt; a value that is not a finite integer
// from `min` to `max` is a bad_response naming the attribute and the value.
std::optional<long long> bounded_integer(const request_context& rq, const json::value& dataset, std::string_view tag,
                                         std::string_view name, long long min, long long max) {
  const auto n = first_number(rq, dataset, tag);
  if (!n) return std::nullopt;
  if (!std::isfinite(*n) || *n != std::trunc(*n) || *n < static_cast<double>(min) || *n > static_cast<double>(max))
    rq.fail(fetch_errc::bad_response, fmt::format("{} ({}) {} is not an integer from {} to {}", name, tag, *n, min, max));
  return static_cast<long long>(*n);
}

std::string required_uid(const request_context& rq, const json::value& dataset, std::string_view tag) {
  std::string uid = first_text(rq, dataset, tag);
  if (!is_uid(uid)) rq.fail(fetch_errc::bad_response, fmt::format("a result without a valid UID in {}", tag));
  return uid;
}

bool iequals(std::string_view a, std::string_view b) { return multipart::iequals(a, b); }

}  // namespace

dicomweb_client::dicomweb_client(dicomweb_settings settings)
    : settings_(std::move(settings)),
      endpoint_(net::make_http_endpoint({settings_.base_url, settings_.auth, settings_.ca_file, settings_.verify_peer,
                                         settings_.cert_file, settings_.key_file, settings_.connect_timeout,
                                         settings_.read_timeout},
                                        "DICOMweb")) {}

dicomweb_client::~dicomweb_client() = default;

std::string dicomweb_client::shown(std::string_view rest) const {
  return endpoint_.client->server().origin() + endpoint_.prefix + std::string(rest);
}

namespace {

// A QIDO-RS search: the array of result datasets (empty for 204).
std::vector<json::value> qido(const net::http_endpoint& endpoint, std::size_t max_bytes, const std::string& target,
                              const request_context& rq) {
  net::http_request request;
  request.target = target;
  request.headers.emplace_back("Accept", std::string(dicom_json_type));
  endpoint.authorize(request);
  const net::http_response response = send(rq, *endpoint.client, request, max_bytes);
  if (response.head.status == 204) return {};
  if (response.head.status != 200) fail_status(rq, response.head);
  if (trim(response.body).empty()) return {};

  json::parse_options options;
  options.max_bytes = max_bytes;
  auto document = json::parse_document(response.body, options);
  if (!document)
    rq.fail(fetch_errc::bad_response, "malformed JSON: " + json::format_error("response", document.error()));
  const json::value& root = document.value();
  if (!root.is_array()) rq.fail(fetch_errc::bad_response, fmt::format("the answer is a {}, not an array", root.kind_name()));
  std::vector<json::value> results(root.elements().begin(), root.elements().end());
  for (const auto& r : results)
    if (!r.is_object()) rq.fail(fetch_errc::bad_response, fmt::format("a result is a {}, not an object", r.kind_name()));
  return results;
}

std::string includes(std::initializer_list<std::string_view> tags) {
  std::string out;
  for (const auto tag : tags) out += fmt::format("&includefield={}", tag);
  return out;
}

}  // namespace

std::string dicomweb_client::find_study_by_accession(std::string_view accession) const {
  const std::string target = fmt::format("{}/studies?AccessionNumber={}{}", endpoint_.prefix, net::percent_encode(accession),
                                         includes({tag_accession, tag_study_uid}));
  const request_context rq{"GET", shown(fmt::format("/studies?AccessionNumber={}", reference_of(accession)))};
  if (trim(accession).empty()) rq.fail(fetch_errc::not_found, "no accession number given");
  std::vector<std::string> found;
  for (const auto& study : qido(endpoint_, settings_.max_query_bytes, target, rq)) {
    if (first_text(rq, study, tag_accession) != accession) continue;  // a wildcard match, or a server that ignored the key
    std::string uid = required_uid(rq, study, tag_study_uid);
    if (std::find(found.begin(), found.end(), uid) == found.end()) found.push_back(std::move(uid));
  }
  if (found.empty()) rq.fail(fetch_errc::not_found, "no study with that accession number");
  if (found.size() > 1)
    rq.fail(fetch_errc::bad_response, fmt::format("{} studies have that accession number", found.size()));
  return found.front();
}

std::vector<series_info> dicomweb_client::list_series(std::string_view study_uid) const {
  const std::string study_target = fmt::format("{}/studies?StudyInstanceUID={}{}", endpoint_.prefix, net::percent_encode(study_uid),
                                               includes({tag_study_uid, tag_accession, tag_patient_id}));
  const request_context study_rq{"GET", shown(fmt::format("/studies?StudyInstanceUID={}", reference_of(study_uid)))};
  if (!is_uid(study_uid)) study_rq.fail(fetch_errc::not_found, "not a DICOM UID");

  const json::value* study = nullptr;
  const auto studies = qido(endpoint_, settings_.max_query_bytes, study_target, study_rq);
  for (const auto& s : studies)
    if (first_text(study_rq, s, tag_study_uid) == study_uid) study = &s;
  if (study == nullptr) study_rq.fail(fetch_errc::not_found, "no such study");
  const std::string accession = first_text(study_rq, *study, tag_accession);
  const std::string patient_id = first_text(study_rq, *study, tag_patient_id);

  const std::string target =
      fmt::format("{}/studies/{}/series?{}", endpoint_.prefix, study_uid,
                  includes({tag_series_uid, tag_modality, tag_body_part, tag_series_description, tag_series_number,
                            tag_series_instances, tag_slice_thickness})
                      .substr(1));
  const request_context rq{"GET", shown(fmt::format("/studies/{}/series", reference_of(study_uid)))};
  std::vector<series_info> result;
  for (const auto& s : qido(endpoint_, settings_.max_query_bytes, target, rq)) {
    series_info info;
    info.identity.study_uid = std::string(study_uid);
    info.identity.series_uid = required_uid(rq, s, tag_series_uid);
    info.identity.accession = accession;
    info.identity.patient_id = patient_id;
    info.identity.modality = first_text(rq, s, tag_modality);
    info.identity.body_part = first_text(rq, s, tag_body_part);
    info.identity.series_description = first_text(rq, s, tag_series_description);
    // IS holds a 32-bit signed integer (PS3.5 6.2); a count is not negative.
    constexpr long long is_min = std::numeric_limits<std::int32_t>::min();
    constexpr long long is_max = std::numeric_limits<std::int32_t>::max();
    if (const auto n = bounded_integer(rq, s, tag_series_number, "SeriesNumber", is_min, is_max))
      info.series_number = static_cast<int>(*n);
    if (const auto n = bounded_integer(rq, s, tag_series_instances, "NumberOfSeriesRelatedInstances", 0, is_max))
      info.instances = static_cast<std::size_t>(*n);
    info.slice_thickness = first_number(rq, s, tag_slice_thickness);
    if (info.slice_thickness && !std::isfinite(*info.slice_thickness))
      rq.fail(fetch_errc::bad_response,
              fmt::format("SliceThickness ({}) {} is not a finite number", tag_slice_thickness, *info.slice_thickness));
    result.push_back(std::move(info));
  }
  std::sort(result.begin(), result.end(), [](const series_info& a, const series_info& b) {
    if (a.series_number != b.series_number) return a.series_number < b.series_number;
    return a.identity.series_uid < b.identity.series_uid;
  });
  return result;
}

std::vector<std::string> dicomweb_client::retrieve_series(std::string_view study_uid,
                                                          std::string_view series_uid) const {
  const std::string target = fmt::format("{}/studies/{}/series/{}", endpoint_.prefix, net::percent_encode(study_uid),
                                         net::percent_encode(series_uid));
  const request_context rq{"GET", shown(fmt::format("/studies/{}/series/{}", reference_of(study_uid), reference_of(series_uid)))};
  if (!is_uid(study_uid) || !is_uid(series_uid)) rq.fail(fetch_errc::not_found, "not a DICOM UID");

  net::http_request request;
  request.target = target;
  request.headers.emplace_back("Accept", std::string(accept_dicom_series));
  endpoint_.authorize(request);

  multipart::limits limits;
  limits.max_bytes = settings_.max_series_bytes;
  limits.max_parts = settings_.max_instances;
  std::optional<multipart::reader> reader;
  std::vector<std::string> instances;

  auto fail_multipart = [&](const multipart::error& e) {
    if (e.code == multipart::errc::too_many_parts)
      rq.fail(fetch_errc::too_large, fmt::format("more than {} instances", settings_.max_instances));
    if (e.code == multipart::errc::too_large)
      rq.fail(fetch_errc::too_large, fmt::format("the series exceeds {} bytes", settings_.max_series_bytes));
    // A body that stops before its close delimiter is how a connection that
    // ends early looks when the body runs to the end of the connection (as
    // Orthanc sends it): worth another try.
    rq.fail(fetch_errc::bad_response, "malformed multipart body: " + e.to_string(),
            e.code == multipart::errc::no_closing_delimiter);
  };
  auto take_parts = [&] {
    while (auto part = reader->next()) {
      const std::string_view type = part->content_type();
      const std::string_view media_type = trim(type.substr(0, type.find(';')));
      if (!type.empty() && !iequals(media_type, dicom_media_type))
        rq.fail(fetch_errc::bad_response, fmt::format("part {} is {}, not {}", instances.size() + 1,
                                                      printable(media_type), dicom_media_type));
      if (part->body.size() < part10_magic_offset + 4 ||
          std::string_view(part->body).substr(part10_magic_offset, 4) != "DICM")
        rq.fail(fetch_errc::bad_response, fmt::format("part {} is not a DICOM Part 10 file", instances.size() + 1));
      instances.push_back(std::move(part->body));
    }
  };

  send(
      rq, *endpoint_.client, request, settings_.max_series_bytes,
      [&](const net::http_head& head) {
        if (head.status == 204) rq.fail(fetch_errc::not_found, "the series has no instances");
        if (head.status != 200) fail_status(rq, head);
        const std::string_view content_type = head.find("Content-Type").value_or(std::string_view{});
        auto type = multipart::parse_content_type(content_type);
        if (!type || type->media_type() != "multipart/related")
          rq.fail(fetch_errc::bad_response,
                  fmt::format("the answer is {}, not multipart/related", printable(content_type)));
        if (const auto related = type->find("type"); related && !iequals(*related, dicom_media_type))
          rq.fail(fetch_errc::bad_response, fmt::format("the parts are {}, not {}", printable(*related), dicom_media_type));
        auto boundary = multipart::boundary_of(*type);
        if (!boundary) fail_multipart(boundary.error());
        reader.emplace(std::move(*boundary), limits);
        return true;
      },
      [&](std::string_view data) {
        if (auto e = reader->feed(data)) fail_multipart(*e);
        take_parts();
      });
  if (auto e = reader->finish()) fail_multipart(*e);
  take_parts();
  if (instances.empty()) rq.fail(fetch_errc::not_found, "the series has no instances");
  return instances;
}

std::vector<study_summary> dicomweb_client::prior_studies(std::string_view patient_id, std::string_view modality,
                                                          std::string_view body_part,
                                                          std::string_view exclude_study_uid) const {
  std::string target = fmt::format("{}/studies?PatientID={}", endpoint_.prefix, net::percent_encode(patient_id));
  std::string described = shown(fmt::format("/studies?PatientID={}", reference_of(patient_id)));
  if (!modality.empty()) {
    target += fmt::format("&ModalitiesInStudy={}", net::percent_encode(modality));
    described += fmt::format("&ModalitiesInStudy={}", net::percent_encode(modality));
  }
  target += includes({tag_study_uid, tag_patient_id, tag_study_date, tag_study_time, tag_accession,
                      tag_study_description, tag_modalities_in_study});
  const request_context rq{"GET", std::move(described)};
  if (trim(patient_id).empty()) rq.fail(fetch_errc::not_found, "no patient ID given");

  std::vector<study_summary> candidates;
  std::optional<study_summary> current;
  for (const auto& s : qido(endpoint_, settings_.max_query_bytes, target, rq)) {
    if (first_text(rq, s, tag_patient_id) != patient_id) continue;  // wildcard or ignored key
    study_summary summary{required_uid(rq, s, tag_study_uid), first_text(rq, s, tag_study_date),
                          first_text(rq, s, tag_study_time), first_text(rq, s, tag_accession),
                          first_text(rq, s, tag_study_description)};
    if (summary.study_uid == exclude_study_uid) {
      current = summary;
      continue;
    }
    if (!modality.empty()) {
      const auto modalities = all_texts(rq, s, tag_modalities_in_study);
      if (std::none_of(modalities.begin(), modalities.end(), [&](const std::string& m) { return iequals(m, modality); }))
        continue;
    }
    candidates.push_back(std::move(summary));
  }

  if (!current && !exclude_study_uid.empty() && is_uid(exclude_study_uid)) {
    // The current study may lack the modality asked for; its date still bounds the priors.
    const std::string current_target =
        fmt::format("{}/studies?StudyInstanceUID={}{}", endpoint_.prefix, exclude_study_uid,
                    includes({tag_study_uid, tag_patient_id, tag_study_date, tag_study_time}));
    const request_context current_rq{"GET", shown(fmt::format("/studies?StudyInstanceUID={}", reference_of(exclude_study_uid)))};
    for (const auto& s : qido(endpoint_, settings_.max_query_bytes, current_target, current_rq))
      if (first_text(current_rq, s, tag_study_uid) == exclude_study_uid &&
          first_text(current_rq, s, tag_patient_id) == patient_id)
        current = study_summary{std::string(exclude_study_uid), first_text(current_rq, s, tag_study_date),
                                first_text(current_rq, s, tag_study_time), {}, {}};
  }
  if (current && !current->study_date.empty()) {
    std::erase_if(candidates, [&](const study_summary& s) {
      if (s.study_date.empty()) return false;
      if (s.study_date != current->study_date) return s.study_date > current->study_date;
      return !s.study_time.empty() && !current->study_time.empty() && s.study_time > current->study_time;
    });
  }

  if (!body_part.empty()) {
    std::erase_if(candidates, [&](const study_summary& s) {
      std::string series_target = fmt::format("{}/studies/{}/series?", endpoint_.prefix, s.study_uid);
      std::string series_shown = shown(fmt::format("/studies/{}/series", reference_of(s.study_uid)));
      if (!modality.empty()) {
        series_target += fmt::format("Modality={}&", net::percent_encode(modality));
        series_shown += fmt::format("?Modality={}", net::percent_encode(modality));
      }
      series_target += includes({tag_series_uid, tag_modality, tag_body_part}).substr(1);
      const request_context series_rq{"GET", std::move(series_shown)};
      for (const auto& series : qido(endpoint_, settings_.max_query_bytes, series_target, series_rq)) {
        const bool modality_matches = modality.empty() || iequals(first_text(series_rq, series, tag_modality), modality);
        if (modality_matches && iequals(first_text(series_rq, series, tag_body_part), body_part)) return false;
      }
      return true;
    });
  }

  std::sort(candidates.begin(), candidates.end(), [](const study_summary& a, const study_summary& b) {
    if (a.study_date != b.study_date) return a.study_date > b.study_date;
    if (a.study_time != b.study_time) return a.study_time > b.study_time;
    return a.study_uid < b.study_uid;
  });
  return candidates;
}

}  // namespace radbridge::fetch
