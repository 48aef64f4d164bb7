// The admin server's HTTP/1.1 listener on Boost.Beast: plain TCP or TLS,
// one coroutine per connection, keep-alive, every request answered by one
// handler coroutine.
//
// No peer can pin it: a keep-alive connection is closed when no request
// starts within the idle timeout; a request (TLS handshake included, for
// the first) must be read whole within the read timeout of its first byte,
// and each response written within the write timeout. The header and the
// body are capped (431 and 413, then close); malformed HTTP gets 400 and a
// close; connections past max_connections are closed at once. A request's
// header is shown to `check` before its body is read: a response from it
// (401, 403) is sent at once and the connection closed, the body unread.
// The handler runs on the server's io_context and must not block: blocking
// work goes to another thread and is awaited. `stop` stops accepting and
// cancels every connection; the io_context's run then returns.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include <boost/beast/http.hpp>

#include "net/asio.hpp"

namespace radbridge::admin {

namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;
using request_header = http::request_header<>;
// The peer's address, for the audit trail.
using handler = std::function<net::asio::awaitable<response>(const request&, const std::string& client)>;
using header_check = std::function<std::optional<response>(const request_header&)>;

struct http_limits {
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};  // for the next request to start
  std::chrono::milliseconds read_timeout{std::chrono::seconds(10)};  // a request from its first byte
  std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_connections = 32;
};

class http_server {
 public:
  // Binds and listens at once (so the port is known); `tls` may be null.
  http_server(net::asio::io_context& io, const net::tcp::endpoint& where, net::asio::ssl::context* tls,
              http_limits limits, handler h, header_check check = {});
  ~http_server();

  net::tcp::endpoint local_endpoint() const;
  void start();
  void stop();

 private:
  struct connection;
  net::asio::awaitable<void> accept_loop();
  net::asio::awaitable<void> run(std::shared_ptr<connection> c);
  template <class Stream>
  net::asio::awaitable<void> serve(Stream& stream, const std::string& client);

  net::asio::io_context& io_;
  net::asio::ssl::context* tls_;
  const http_limits limits_;
  const handler handler_;
  const header_check check_;
  net::tcp::acceptor acceptor_;
  std::list<std::shared_ptr<connection>> connections_;
  bool stopping_ = false;
};

// A response with a body and its content type, keep-alive as the request asked.
response make_response(const request& req, http::status status, std::string body, std::string_view content_type);

}  // namespace radbridge::admin
