// Whether a host named in an address is this machine's loopback, for the
// start-up warnings about plain text sent off the host (destinations, the
// PACS): "localhost" and names under ".localhost" (RFC 6761), 127.0.0.0/8,
// ::1 and ::ffff:127.0.0.0/104, compared without case. Names are not
// resolved: a name that happens to resolve to 127.0.0.1 counts as off the
// host, which errs on the side of a warning.
#pragma once

#include <string_view>

namespace radbridge::net {

bool is_loopback_host(std::string_view host);

// An http:// URL (not https) to a host that is not loopback; false too for a
// URL parse_http_url refuses (whoever uses it reports that).
bool plain_http_off_host(std::string_view url);

}  // namespace radbridge::net
