#include "deliver/stow_client.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "core/sha256.hpp"
#include "deliver/text.hpp"
#include "dicom_json/dicom_json.hpp"
#include "json/json_document.hpp"
#include "net/http_client.hpp"
#include "net/http_endpoint.hpp"
#include "net/http_error.hpp"

namespace radbridge::deliver {

namespace {

// Tags, as DICOM JSON (PS3.18 F.2) spells them.
constexpr std::string_view tag_referenced_sop_class = "00081150";
constexpr std::string_view tag_referenced_sop_instance = "00081155";
constexpr std::string_view tag_retrieve_url = "00081190";
constexpr std::string_view tag_warning_reason = "00081196";
constexpr std::string_view tag_failure_reason = "00081197";
constexpr std::string_view tag_failed_sop_sequence = "00081198";
constexpr std::string_view tag_referenced_sop_sequence = "00081199";

constexpr std::string_view dicom_json_type = "application/dicom+json";
constexpr std::string_view dicom_media_type = "application/dicom";
constexpr std::size_t part10_magic_offset = 128;

bool is_part10(std::string_view file) {
  return file.size() >= part10_magic_offset + 4 && file.substr(part10_magic_offset, 4) == "DICM";
}

// One request, for messages: "DICOMweb POST http://127.0.0.1:8042/dicom-web/studies: ...".
struct request_context {
  std::string url;

  [[noreturn]] void fail(stow_errc code, const std::string& why, bool transient = false) const {
    throw stow_error(code, fmt::format("DICOMweb POST {}: {}", url, why), transient);
  }

  // A DICOM JSON reading whose shape problem is a bad_response of this request.
  template <class F>
  auto read(F&& f) const -> decltype(f()) {
    try {
      return f();
    } catch (const dicom_json::shape_error& e) {
      fail(stow_errc::bad_response, e.what());
    }
  }
};

stow_errc code_of(net::http_errc c) {
  switch (c) {
    case net::http_errc::unreachable: return stow_errc::unreachable;
    case net::http_errc::timeout: return stow_errc::timeout;
    case net::http_errc::too_large: return stow_errc::too_large;
    case net::http_errc::bad_response: return stow_errc::bad_response;
  }
  return stow_errc::bad_response;
}

// Maps a status that store() does not read the answer of to the error it means.
[[noreturn]] void fail_status(const request_context& rq, const net::http_head& head) {
  const net::status_meaning meaning = net::meaning_of(head.status);
  const stow_errc code = meaning.kind == net::status_kind::unauthorized ? stow_errc::unauthorized
                         : meaning.kind == net::status_kind::not_found  ? stow_errc::not_found
                                                                        : stow_errc::http_status;
  rq.fail(code, net::status_line(head), meaning.transient);
}

// A boundary that occurs in none of the parts (RFC 2046: the delimiter must
// not appear inside the encapsulated parts).
std::string boundary_for(const std::vector<std::string>& parts) {
  std::string boundary = "radbridge-stow-f8c1d2";
  for (int n = 1; std::any_of(parts.begin(), parts.end(),
                              [&](const std::string& p) { return p.find(boundary) != std::string::npos; });
       ++n)
    boundary = fmt::format("radbridge-stow-f8c1d2-{}", n);
  return boundary;
}

std::string multipart_body(const std::vector<std::string>& parts, std::string_view boundary) {
  std::string body;
  for (const auto& p : parts) {
    body += fmt::format("--{}\r\nContent-Type: {}\r\n\r\n", boundary, dicom_media_type);
    body += p;
    body += "\r\n";
  }
  body += fmt::format("--{}--\r\n", boundary);
  return body;
}

// PS3.4 Table B.2-1 and PS3.18 failure reasons, as words for messages.
std::string_view failure_meaning(unsigned reason) {
  if (reason == 0x0110) return "processing failure";
  if (reason == 0x0122) return "SOP class not supported";
  if (reason == 0x0124) return "not authorized";
  if (reason == 0xC122) return "transfer syntax not supported";
  if ((reason & 0xFF00) == 0xA700) return "out of resources";
  if ((reason & 0xFF00) == 0xA900) return "data set does not match SOP class";
  if ((reason & 0xF000) == 0xC000) return "cannot understand";
  return "unknown reason";
}

}  // namespace

std::string_view to_string(stow_errc c) noexcept {
  switch (c) {
    case stow_errc::unreachable: return "unreachable";
    case stow_errc::timeout: return "timeout";
    case stow_errc::http_status: return "http_status";
    case stow_errc::unauthorized: return "unauthorized";
    case stow_errc::not_found: return "not_found";
    case stow_errc::too_large: return "too_large";
    case stow_errc::bad_response: return "bad_response";
    case stow_errc::rejected: return "rejected";
  }
  return "unknown";
}

stow_client::stow_client(stow_settings settings)
    : settings_(std::move(settings)),
      endpoint_(net::make_http_endpoint({settings_.base_url, settings_.auth, settings_.ca_file, settings_.verify_peer,
                                         settings_.cert_file, settings_.key_file, settings_.connect_timeout,
                                         settings_.read_timeout},
                                        "DICOMweb")),
      studies_url_(endpoint_.client->server().origin() + endpoint_.prefix + "/studies") {}

stow_client::~stow_client() = default;

std::string stow_client::shown_url(std::string_view study_uid) const {
  return study_uid.empty() ? studies_url_ : studies_url_ + "/" + reference_of(study_uid);
}

store_result stow_client::store(const std::vector<std::string>& part10_files, std::string_view study_uid) const {
  std::string target = endpoint_.prefix + "/studies";
  if (!study_uid.empty()) target += "/" + net::percent_encode(study_uid);
  const request_context rq{shown_url(study_uid)};
  if (!study_uid.empty() && !dicom_json::is_uid(study_uid)) rq.fail(stow_errc::not_found, "not a DICOM UID");
  if (part10_files.empty()) throw std::invalid_argument("DICOMweb store: no instances to store");
  for (std::size_t i = 0; i < part10_files.size(); ++i)
    if (!is_part10(part10_files[i]))
      throw std::invalid_argument(fmt::format("DICOMweb store: file {} is not a DICOM Part 10 file", i + 1));

  const std::string boundary = boundary_for(part10_files);
  net::http_request request;
  request.method = "POST";
  request.target = target;
  request.headers.emplace_back(
      "Content-Type", fmt::format("multipart/related; type=\"{}\"; boundary={}", dicom_media_type, boundary));
  request.headers.emplace_back("Accept", std::string(dicom_json_type));
  endpoint_.authorize(request);
  request.body = multipart_body(part10_files, boundary);

  net::http_response response;
  try {
    response = endpoint_.client->send(request, settings_.max_response_bytes);
  } catch (const net::http_error& e) {
    throw stow_error(code_of(e.code()), e.what(), e.transient());
  }
  const unsigned status = response.head.status;
  const bool answered = status == 200 || status == 202 || status == 400 || status == 409;
  if (!answered) fail_status(rq, response.head);
  const std::string why = net::status_line(response.head);

  // Orthanc sends its JSON without a Content-Type on 409: read the body whatever it is labelled.
  std::optional<json::value> document;
  if (!dicom_json::trim(response.body).empty()) {
    json::parse_options options;
    options.max_bytes = settings_.max_response_bytes;
    auto parsed = json::parse_document(response.body, options);
    if (parsed && parsed.value().is_object()) {
      document.emplace(std::move(parsed).value());
    } else if (status == 200 || status == 202) {
      rq.fail(stow_errc::bad_response,
              parsed ? fmt::format("the answer is a {}, not an object", parsed.value().kind_name())
                     : "malformed JSON: " + json::format_error("response", parsed.error()));
    }
  }

  store_result result;
  std::vector<std::string> failures;
  bool transient = false;
  if (document) {
    const json::value& root = *document;
    rq.read([&] {
      using dicom_json::first_text;
      result.retrieve_url = first_text(root, tag_retrieve_url);
      for (const auto& item : dicom_json::items_of(root, tag_referenced_sop_sequence)) {
        stored_instance stored;
        stored.sop_class_uid = first_text(item, tag_referenced_sop_class);
        stored.sop_instance_uid = first_text(item, tag_referenced_sop_instance);
        stored.retrieve_url = first_text(item, tag_retrieve_url);
        stored.warning_reason = dicom_json::first_uint16(item, tag_warning_reason);
        result.stored.push_back(std::move(stored));
      }
      for (const auto& item : dicom_json::items_of(root, tag_failed_sop_sequence)) {
        const auto reason = dicom_json::first_uint16(item, tag_failure_reason);
        const std::string instance = first_text(item, tag_referenced_sop_instance);
        std::string failure = fmt::format("instance {} (SOP class {}) failed: ",
                                          instance.empty() ? "(unnamed)" : reference_of(instance),
                                          printable(first_text(item, tag_referenced_sop_class)));
        if (reason) {
          failure += fmt::format("0x{:04X} {}", *reason, failure_meaning(*reason));
          transient = transient || (*reason & 0xFF00) == 0xA700;
        } else {
          failure += "no FailureReason given";
        }
        failures.push_back(std::move(failure));
      }
    });
  }

  if (!failures.empty()) {
    std::string message = why;
    for (const auto& f : failures) message += "; " + f;
    rq.fail(stow_errc::rejected, message, transient);
  }
  if (status == 400 || status == 409 || result.stored.size() < part10_files.size())
    rq.fail(stow_errc::rejected, fmt::format("{}; the server stored {} of {} instances, naming no failure", why,
                                             result.stored.size(), part10_files.size()));
  return result;
}

}  // namespace radbridge::deliver
