#include "deliver/fhir_sender.hpp"

#include <exception>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "core/result_identity.hpp"
#include "deliver/text.hpp"
#include "net/http_client.hpp"
#include "net/http_endpoint.hpp"
#include "net/http_error.hpp"

namespace radbridge::deliver {

namespace {

constexpr std::string_view fhir_json = "application/fhir+json";
// An Observation or an OperationOutcome is a few kilobytes; a body past this
// is not a FHIR server's answer to one create.
constexpr std::size_t max_response_bytes = std::size_t{16} << 20;

attempt_result result_of(unsigned status) {
  if (status >= 200 && status < 300) return attempt_result::sent;
  if (status == 408 || status == 429 || status >= 500) return attempt_result::retry;
  if (status >= 400) return attempt_result::rejected;
  return attempt_result::retry;  // 1xx, 3xx
}

}  // namespace

namespace {

net::http_endpoint endpoint_of(const fhir_sender_options& options) {
  if (options.timeout.count() <= 0) throw std::invalid_argument("FHIR sender: the timeout must be positive");
  return net::make_http_endpoint({options.base_url, options.auth, options.ca_file, true, options.cert_file,
                                  options.key_file, options.timeout, options.timeout},
                                 "FHIR");
}

}  // namespace

fhir_sender::fhir_sender(fhir_sender_options options)
    : endpoint_(endpoint_of(options)),
      target_(endpoint_.prefix + "/Observation"),
      url_(endpoint_.client->server().origin() + target_) {}

fhir_sender::~fhir_sender() = default;

std::string fhir_sender::if_none_exist(std::string_view identity) {
  std::string escaped;
  for (const char c : identity) {
    if (c == '\\' || c == ',' || c == '|' || c == '$') escaped += '\\';
    escaped += c;
  }
  return fmt::format("identifier={}|{}", net::percent_encode(work::fhir_identifier_system, ":/"), net::percent_encode(escaped, ":/"));
}

attempt_outcome fhir_sender::send(const outbound_item& item) {
  if (item.identity.empty()) {
    return {attempt_result::rejected, fmt::format("FHIR POST {}: the item has no identity for If-None-Exist", url_), {}};
  }
  net::http_request request;
  const bool update = item.revision != work::revision::original;
  request.method = update ? "PUT" : "POST";
  request.target = update ? target_ + "?" + if_none_exist(item.identity) : target_;
  request.headers.emplace_back("Content-Type", std::string(fhir_json));
  request.headers.emplace_back("Accept", std::string(fhir_json));
  if (!update) request.headers.emplace_back("If-None-Exist", if_none_exist(item.identity));
  endpoint_.authorize(request);
  request.body = item.payload;
  try {
    net::http_response response = endpoint_.client->send(request, max_response_bytes);
    const unsigned status = response.head.status;
    std::string detail =
        fmt::format("FHIR {} {}: HTTP {} {}", request.method, url_, status, printable(response.head.reason));
    if (status >= 300 && status < 400) detail += " (redirects are not followed)";
    return {result_of(status), std::move(detail), std::move(response.body)};
  } catch (const net::http_error& e) {
    // unreachable, timeout, too_large, bad_response: nothing usable came back.
    return {attempt_result::retry, e.what(), {}};
  } catch (const std::exception& e) {
    return {attempt_result::retry, fmt::format("FHIR {} {}: {}", request.method, url_, e.what()), {}};
  }
}

}  // namespace radbridge::deliver
