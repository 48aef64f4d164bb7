// A blocking HTTP/1.1 client on Boost.Beast over plain TCP or TLS, for the
// stages that speak HTTP from their own threads: fetch (DICOMweb QIDO and
// WADO-RS) and deliver (FHIR REST, STOW-RS).
//
// Each request opens its own connection on a private io_context, sends one
// request with `Connection: close`, reads the response and closes: no
// connection reuse, no redirects followed (a 3xx is returned like any other
// status), no proxies, no compression. Every request has two deadlines:
// connect (name resolution, TCP connect and TLS handshake) and the whole
// request (from the start to the last body byte). The response body is
// capped: a Content-Length over the cap, or the first byte past it, fails at
// once, before it is buffered. The body is handed over in pieces as it
// arrives (`on_data`), so a large response need not be held twice.
//
// Errors are http_error (net/http_error.hpp): unreachable (resolve, connect
// or TLS handshake failed, the request could not be sent, or the server
// closed without any answer; transient), timeout (a deadline passed; transient), too_large (the
// cap; permanent), bad_response (malformed HTTP: permanent; the connection
// broke mid-response: transient). HTTP statuses are not errors here: the
// caller decides what a 404 means. Messages name the method, scheme, host,
// port and target (path and query), never bodies. Exceptions thrown by the
// callbacks propagate unchanged after the connection is closed.
//
// Thread-safe: one client may serve concurrent calls (each has its own
// connection and io_context); the TLS context is only read after
// construction.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace radbridge::net {

struct http_url {
  bool tls = false;  // https
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 0;
  std::string path;  // starts with '/' unless empty; no trailing '/'; no query

  // "http://127.0.0.1:8042" (the default port left out, IPv6 in brackets).
  std::string origin() const;
};

// "http(s)://host[:port][/path]". Throws std::invalid_argument naming the
// problem: another scheme, user info, a query or fragment, a bad port.
http_url parse_http_url(std::string_view url);

// `text` for a URL path segment or query value: every byte but RFC 3986's
// unreserved characters (and those in `also_keep`) as %XX, upper-case hex.
std::string percent_encode(std::string_view text, std::string_view also_keep = {});

using http_fields = std::vector<std::pair<std::string, std::string>>;

struct http_client_options {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{300'000};  // the whole request, connect included
  std::string ca_file;      // https: PEM CA bundle; empty: the system's CAs
  bool verify_peer = true;  // https: check the chain and that it is issued for the host
  std::string cert_file;    // https: a client certificate (PEM chain) shown to servers that ask ...
  std::string key_file;     // ... and its key; both or neither
};

struct http_request {
  std::string method = "GET";
  std::string target;   // origin form: "/dicom-web/studies?AccessionNumber=A1"
  http_fields headers;  // added to Host, User-Agent, Connection (and Content-Length)
  std::string body;
};

struct http_head {
  unsigned status = 0;
  std::string reason;
  http_fields headers;

  // The first header with that name (case-insensitive), if any.
  std::optional<std::string_view> find(std::string_view name) const;
};

struct http_response {
  http_head head;
  std::string body;
};

class http_client {
 public:
  // Throws std::runtime_error ("TLS: ...") when the TLS settings cannot be
  // applied, std::invalid_argument for a client certificate on plain http.
  http_client(http_url server, http_client_options options);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Sends `request`; calls on_head once with the status and headers (return
  // false to stop there: the connection is closed, the rest unread), then
  // on_data with each piece of the body, then returns.
  void send(const http_request& request, std::size_t max_body_bytes,
            const std::function<bool(const http_head&)>& on_head,
            const std::function<void(std::string_view)>& on_data) const;

  // Sends `request` and collects the whole body.
  http_response send(const http_request& request, std::size_t max_body_bytes) const;

  const http_url& server() const noexcept { return server_; }

 private:
  http_url server_;
  http_client_options options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // https only
};

}  // namespace radbridge::net
