#include "fetch/fetch_error.hpp"

namespace radbridge::fetch {

std::string_view to_string(fetch_errc c) noexcept {
  switch (c) {
    case fetch_errc::unreachable: return "unreachable";
    case fetch_errc::timeout: return "timeout";
    case fetch_errc::http_status: return "http_status";
    case fetch_errc::unauthorized: return "unauthorized";
    case fetch_errc::not_found: return "not_found";
    case fetch_errc::too_large: return "too_large";
    case fetch_errc::bad_response: return "bad_response";
    case fetch_errc::no_matching_series: return "no_matching_series";
    case fetch_errc::wrong_modality: return "wrong_modality";
    case fetch_errc::undecodable: return "undecodable";
    case fetch_errc::inconsistent_series: return "inconsistent_series";
  }
  return "unknown";
}

}  // namespace radbridge::fetch
