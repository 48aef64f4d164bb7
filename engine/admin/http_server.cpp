#include "admin/http_server.hpp"

// net/asio.hpp first: it includes <utility> before any Boost.Asio header.
#include "net/asio.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <exception>
#include <limits>
#include <optional>
#include <type_traits>
#include <string>
#include <utility>

#include "core/log.hpp"
#include "net/accept_backoff.hpp"

namespace radbridge::admin {

namespace asio = net::asio;
namespace beast = boost::beast;
using boost::system::error_code;
using net::tcp;

struct http_server::connection {
  std::function<void()> close = [] {};  // ends the connection's pending operation
};

namespace {

// The answer to a request that could not be read (nothing: just close).
std::optional<http::status> status_for(const error_code& ec) {
  if (ec == http::error::header_limit) return http::status::request_header_fields_too_large;
  if (ec == http::error::body_limit) return http::status::payload_too_large;
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) return http::status::bad_request;
  return std::nullopt;  // closed, reset, timed out, cancelled
}

}  // namespace

response make_response(const request& req, http::status status, std::string body, std::string_view content_type) {
  response res(status, req.version());
  res.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http_server::http_server(asio::io_context& io, const tcp::endpoint& where, asio::ssl::context* tls,
                         http_limits limits, handler h, header_check check)
    : io_(io), tls_(tls), limits_(limits), handler_(std::move(h)), check_(std::move(check)), acceptor_(io) {
  acceptor_.open(where.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(where);
  acceptor_.listen();
}

http_server::~http_server() { stop(); }

tcp::endpoint http_server::local_endpoint() const { return acceptor_.local_endpoint(); }

void http_server::start() { asio::co_spawn(io_, accept_loop(), asio::detached); }

void http_server::stop() {
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  for (const auto& c : connections_) c->close();
}

asio::awaitable<void> http_server::accept_loop() {
  std::chrono::milliseconds backoff{0};
  asio::steady_timer retry(io_);
  while (!stopping_) {
    error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      backoff = net::next_accept_backoff(backoff);
      log::warn("admin_accept_failed", {{"error", ec.message()}, {"retry_ms", backoff.count()}});
      retry.expires_after(backoff);
      co_await retry.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    backoff = std::chrono::milliseconds{0};
    if (connections_.size() >= limits_.max_connections) {
      log::warn("admin_connection_refused", {{"reason", "max_connections"}});
      socket.close(ec);
      continue;
    }
    auto c = std::make_shared<connection>();
    connections_.push_back(c);
    asio::co_spawn(
        io_,
        [this, c, socket = std::move(socket)]() mutable -> asio::awaitable<void> {
          error_code ignored;
          const tcp::endpoint remote = socket.remote_endpoint(ignored);
          const std::string client = remote.address().to_string();
          beast::tcp_stream tcp_stream(std::move(socket));
          try {
            if (tls_ == nullptr) {
              c->close = [&tcp_stream] { tcp_stream.close(); };
              if (!stopping_) co_await serve(tcp_stream, client);
            } else {
              beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls_);
              c->close = [&stream] { beast::get_lowest_layer(stream).close(); };
              beast::get_lowest_layer(stream).expires_after(limits_.read_timeout);
              error_code handshake;
              co_await stream.async_handshake(asio::ssl::stream_base::server,
                                              asio::redirect_error(asio::use_awaitable, handshake));
              if (handshake) {
                log::warn("admin_tls_handshake_failed", {{"error", handshake.message()}});
              } else if (!stopping_) {
                co_await serve(stream, client);
              }
            }
          } catch (const std::exception& e) {
            log::error("admin_connection_failed", {{"error", e.what()}});
          }
          c->close = [] {};
          connections_.remove(c);
        },
        asio::detached);
  }
}

template <class Stream>
asio::awaitable<void> http_server::serve(Stream& stream, const std::string& client) {
  beast::tcp_stream& tcp_stream = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  for (;;) {
    error_code ec;
    if (buffer.size() == 0) {  // keep-alive: wait for the next request's first byte
      tcp_stream.expires_after(limits_.idle_timeout);
      const std::size_t n = co_await stream.async_read_some(buffer.prepare(4096),
                                                            asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      buffer.commit(n);
    }
    tcp_stream.expires_after(limits_.read_timeout);
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    // The body's cap applies once the header passed the check: a request
    // refused there is refused for who sent it, whatever its size. (Not
    // boost::none: Boost 1.74 then takes any Content-Length as over it.)
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && check_) {
      if (std::optional<response> refused = check_(parser.get())) {
        refused->keep_alive(false);
        tcp_stream.expires_after(limits_.write_timeout);
        co_await http::async_write(stream, *refused, asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
    }
    if (!ec) {
      const auto length = parser.content_length();
      if (length && *length > limits_.max_body_bytes) ec = http::error::body_limit;
      parser.body_limit(limits_.max_body_bytes);
    }
    if (!ec) co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      const std::optional<http::status> status = status_for(ec);
      if (!status) break;
      request none;
      none.keep_alive(false);
      response res = make_response(none, *status, std::string(http::obsolete_reason(*status)) + "\n", "text/plain");
      tcp_stream.expires_after(limits_.write_timeout);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      break;
    }
    const request req = parser.release();
    response res;
    try {
      res = co_await handler_(req, client);
    } catch (const std::exception& e) {
      log::error("admin_request_failed", {{"method", std::string(req.method_string())}, {"error", e.what()}});
      res = make_response(req, http::status::internal_server_error, "internal error\n", "text/plain");
    }
    tcp_stream.expires_after(limits_.write_timeout);
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive() || stopping_) break;
  }
  tcp_stream.expires_after(limits_.write_timeout);
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    error_code ignored;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  } else {
    error_code ignored;
    co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

}  // namespace radbridge::admin
