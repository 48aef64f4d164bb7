// Errors of the HTTP client (net/http_client.hpp), with a code the caller
// can act on and whether trying again later may succeed. Only transport
// failures are errors: an HTTP status, 4xx and 5xx included, is an answer,
// and the caller decides what it means. Stages that speak HTTP translate
// these into their own errors (fetch_error, a delivery outcome). The
// message names the request (method, origin, target with its query) and the
// reason; `reason` is the reason alone, for a caller whose target holds
// values it must not repeat. Never bodies.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace radbridge::net {

enum class http_errc {
  unreachable,   // resolve, connect, TLS handshake or send failed, or closed without an answer (transient)
  timeout,       // the connect or the whole-request deadline passed (transient)
  too_large,     // the response body exceeds the caller's cap (permanent)
  bad_response,  // malformed HTTP (permanent), or the connection broke mid-response (transient)
};

std::string_view to_string(http_errc c) noexcept;

class http_error : public std::runtime_error {
 public:
  http_error(http_errc code, const std::string& request, std::string reason, bool transient)
      : std::runtime_error("HTTP " + request + ": " + reason), code_(code), reason_(std::move(reason)),
        transient_(transient) {}
  http_errc code() const noexcept { return code_; }
  const std::string& reason() const noexcept { return reason_; }
  bool transient() const noexcept { return transient_; }

 private:
  http_errc code_;
  std::string reason_;
  bool transient_;
};

}  // namespace radbridge::net
