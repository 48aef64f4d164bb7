#include "net/http_error.hpp"

namespace radbridge::net {

std::string_view to_string(http_errc c) noexcept {
  switch (c) {
    case http_errc::unreachable: return "unreachable";
    case http_errc::timeout: return "timeout";
    case http_errc::too_large: return "too_large";
    case http_errc::bad_response: return "bad_response";
  }
  return "unknown";
}

}  // namespace radbridge::net
