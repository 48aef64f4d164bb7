#include "net/loopback.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>

#include "net/http_client.hpp"

namespace radbridge::net {

bool is_loopback_host(std::string_view host) {
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "localhost" || lower.ends_with(".localhost")) return true;
  unsigned char v4[4];
  if (inet_pton(AF_INET, lower.c_str(), v4) == 1) return v4[0] == 127;
  unsigned char v6[16];
  if (inet_pton(AF_INET6, lower.c_str(), v6) != 1) return false;
  static constexpr unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static constexpr unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(v6, v6 + 16, loopback)) return true;
  return std::equal(v6, v6 + 12, v4_mapped) && v6[12] == 127;
}

bool plain_http_off_host(std::string_view url) {
  try {
    const http_url parsed = parse_http_url(url);
    return !parsed.tls && !is_loopback_host(parsed.host);
  } catch (const std::invalid_argument&) {
    return false;
  }
}

}  // namespace radbridge::net
