// `HOST:PORT` as written in configurations and on the command line.
//
// The port is the text after the last ':' (0 to 65535, digits only); the host
// is what comes before it, with IPv6 brackets removed (`[::1]:2575`). Port 0
// is accepted here (a listener may ask for any free port); callers that
// connect reject it themselves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace radbridge {

struct host_port {
  std::string host;
  std::uint16_t port = 0;
};

std::optional<host_port> parse_host_port(std::string_view text);

}  // namespace radbridge
