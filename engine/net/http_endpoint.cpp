#include "net/http_endpoint.hpp"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace radbridge::net {

void http_endpoint::authorize(http_request& request) const {
  if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
}

http_endpoint make_http_endpoint(const http_endpoint_settings& settings, std::string_view what) {
  http_endpoint endpoint;
  http_url url = parse_http_url(settings.base_url);
  endpoint.prefix = url.path;
  try {
    endpoint.authorization = authorization_header(settings.auth);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: {}", what, e.what()));
  }
  http_client_options options;
  options.connect_timeout = settings.connect_timeout;
  options.request_timeout = settings.request_timeout;
  options.ca_file = settings.ca_file;
  options.verify_peer = settings.verify_peer;
  options.cert_file = settings.cert_file;
  options.key_file = settings.key_file;
  endpoint.client = std::make_unique<http_client>(std::move(url), std::move(options));
  return endpoint;
}

status_meaning meaning_of(unsigned status) noexcept {
  if (status == 401 || status == 403) return {status_kind::unauthorized, false};
  if (status == 404) return {status_kind::not_found, false};
  if (status == 408 || status == 429 || status >= 500) return {status_kind::other, true};
  return {status_kind::other, false};
}

std::string status_line(const http_head& head) {
  std::string reason;
  for (const char c : std::string_view(head.reason).substr(0, 64)) reason += (c >= 0x20 && c < 0x7F) ? c : '?';
  return fmt::format("HTTP {} {}", head.status, reason);
}

}  // namespace radbridge::net
