// Errors of the HTTP client (net/http_client.hpp), with a code the caller
// can act on and whether trying again later may succeed. Only transport
// failures are errors: an HTTP status, 4xx and 5xx included, is an answer,
// and the caller decides what it means. Stages that speak HTTP translate
// these into their own errors (fetch_error, a delivery outcome) and keep the
// message, which names the request (method, origin, target), never bodies.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

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
  http_error(http_errc code, const std::string& what, bool transient)
      : std::runtime_error(what), code_(code), transient_(transient) {}
  http_errc code() const noexcept { return code_; }
  bool transient() const noexcept { return transient_; }

 private:
  http_errc code_;
  bool transient_;
};

}  // namespace radbridge::net
