#include "core/host_port.hpp"

#include <charconv>

namespace radbridge {

std::optional<host_port> parse_host_port(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  const std::string_view digits = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (host.empty() || digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || port > 65535) {
    return std::nullopt;
  }
  return host_port{std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace radbridge
