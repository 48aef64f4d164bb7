#include "net/http_client.hpp"

// net/asio.hpp first: it includes <utility> before any Boost.Asio header.
#include "net/asio.hpp"
#include "net/tls.hpp"

#include <openssl/ssl.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <charconv>
#include <exception>
#include <stdexcept>

#include <fmt/format.h>

#include "net/http_error.hpp"

namespace radbridge::net {

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;

constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::uint32_t header_limit = 64 * 1024;
constexpr const char* user_agent = "radbridge/0.1";

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string to_std(beast::string_view s) { return std::string(s.data(), s.size()); }

bool is_ip_address(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

// What one request knows while it runs.
struct exchange_state {
  const http_url& server;
  const http_request& request;
  std::size_t max_body;
  const std::function<bool(const http_head&)>& on_head;
  const std::function<void(std::string_view)>& on_data;
  clock_type::time_point connect_deadline;
  clock_type::time_point request_deadline;
  std::chrono::milliseconds connect_timeout;
  std::chrono::milliseconds request_timeout;

  std::string where() const { return fmt::format("{} {}{}", request.method, server.origin(), request.target); }

  [[noreturn]] void fail(http_errc code, const std::string& why, bool transient) const {
    throw http_error(code, where(), why, transient);
  }
  [[noreturn]] void connect_timed_out() const {
    fail(http_errc::timeout, fmt::format("no connection within {} ms", connect_timeout.count()), true);
  }
  [[noreturn]] void request_timed_out() const {
    fail(http_errc::timeout, fmt::format("no complete response within {} ms", request_timeout.count()), true);
  }
};

asio::awaitable<tcp::resolver::results_type> resolve(const exchange_state& st) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  asio::steady_timer timer(executor);
  // The timer's handler may run after this coroutine is gone (it had expired
  // just as the resolve completed): `armed` tells it not to touch anything.
  auto armed = std::make_shared<bool>(true);
  auto fired = std::make_shared<bool>(false);
  timer.expires_at(st.connect_deadline);
  timer.async_wait([armed, fired, &resolver](const error_code& ec) {
    if (ec || !*armed) return;
    *fired = true;
    resolver.cancel();
  });
  error_code ec;
  auto results = co_await resolver.async_resolve(st.server.host, std::to_string(st.server.port),
                                                 asio::redirect_error(asio::use_awaitable, ec));
  *armed = false;
  timer.cancel();
  if (*fired) st.connect_timed_out();
  if (ec) st.fail(http_errc::unreachable, fmt::format("cannot resolve {}: {}", st.server.host, ec.message()), true);
  co_return results;
}

// Sends the request and reads the response on a connected (and, for TLS,
// handshaken) stream.
template <class Stream>
asio::awaitable<void> exchange(Stream& stream, const exchange_state& st) {
  beast::get_lowest_layer(stream).expires_at(st.request_deadline);

  http::request<http::string_body> req;
  req.version(11);
  req.method_string(st.request.method);
  req.target(st.request.target);
  const bool default_port = st.server.port == (st.server.tls ? 443 : 80);
  const std::string host = st.server.host.find(':') != std::string::npos ? "[" + st.server.host + "]" : st.server.host;
  req.set(http::field::host, default_port ? host : fmt::format("{}:{}", host, st.server.port));
  req.set(http::field::user_agent, user_agent);
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : st.request.headers) req.insert(name, value);
  if (!st.request.body.empty() || st.request.method == "POST" || st.request.method == "PUT") {
    req.body() = st.request.body;
    req.prepare_payload();
  }

  error_code ec;
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) st.request_timed_out();
  if (ec) st.fail(http_errc::unreachable, fmt::format("cannot send the request: {}", ec.message()), true);

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(st.max_body);

  auto read_failed = [&](const error_code& e) {
    if (e == beast::error::timeout) st.request_timed_out();
    if (e == http::error::body_limit)
      st.fail(http_errc::too_large, fmt::format("the response body exceeds the cap of {} bytes", st.max_body), false);
    if (e == http::error::end_of_stream && !parser.got_some())
      st.fail(http_errc::unreachable, "the server closed the connection without answering", true);
    if (e.category() == http::make_error_code(http::error::end_of_stream).category() &&
        e != http::error::end_of_stream &&
        e != http::error::partial_message)
      st.fail(http_errc::bad_response, fmt::format("malformed HTTP response: {}", e.message()), false);
    st.fail(http_errc::bad_response, fmt::format("the connection broke mid-response: {}", e.message()), true);
  };

  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) read_failed(ec);

  http_head head;
  head.status = parser.get().result_int();
  head.reason = to_std(parser.get().reason());
  for (const auto& field : parser.get()) head.headers.emplace_back(to_std(field.name_string()), to_std(field.value()));
  if (!st.on_head(head)) co_return;

  std::vector<char> chunk(read_chunk);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec == asio::ssl::error::stream_truncated && parser.is_header_done() && parser.need_eof()) {
      // A TLS peer that closed without close_notify where the body runs to
      // the end of the connection: take it as the end. The contents we read
      // (JSON, multipart) carry their own end, so truncation still shows.
      ec = {};
      parser.put_eof(ec);
    }
    if (ec) read_failed(ec);
    const std::size_t n = chunk.size() - parser.get().body().size;
    if (n > 0) st.on_data(std::string_view(chunk.data(), n));
  }
}

asio::awaitable<void> run(const exchange_state& st, asio::ssl::context* tls) {
  auto executor = co_await asio::this_coro::executor;
  const auto endpoints = co_await resolve(st);

  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_at(st.connect_deadline);
  error_code ec;
  co_await tcp_stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) st.connect_timed_out();
  if (ec) st.fail(http_errc::unreachable, fmt::format("cannot connect: {}", ec.message()), true);
  tcp_stream.socket().set_option(tcp::no_delay(true), ec);

  if (tls == nullptr) {
    co_await exchange(tcp_stream, st);
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return;
  }

  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls);
  if (!is_ip_address(st.server.host)) SSL_set_tlsext_host_name(stream.native_handle(), st.server.host.c_str());
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) st.connect_timed_out();
  if (ec) st.fail(http_errc::unreachable, fmt::format("TLS handshake failed: {}", ec.message()), true);
  co_await exchange(stream, st);
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

std::string percent_encode(std::string_view text, std::string_view also_keep) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved || also_keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 0x0F];
    }
  }
  return out;
}

std::string http_url::origin() const {
  const bool default_port = port == (tls ? 443 : 80);
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return fmt::format("{}://{}{}", tls ? "https" : "http", h, default_port ? "" : fmt::format(":{}", port));
}

http_url parse_http_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return std::invalid_argument(fmt::format("bad URL \"{}\": {}", url, why));
  };
  http_url result;
  std::string_view rest;
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) throw bad("expected http:// or https://");
  const std::string_view scheme = url.substr(0, scheme_end);
  if (iequals(scheme, "https")) {
    result.tls = true;
  } else if (!iequals(scheme, "http")) {
    throw bad("expected http:// or https://");
  }
  rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) throw bad("a query or fragment is not allowed");
  const std::size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) throw bad("user info is not allowed (use the auth settings)");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) throw bad("unclosed '[' in the host");
    result.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad("unexpected text after the host");
      port_text = after.substr(1);
      if (port_text.empty()) throw bad("empty port");
    }
  } else {
    const std::size_t colon = authority.find(':');
    result.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) throw bad("empty port");
    }
  }
  if (result.host.empty()) throw bad("no host");
  if (result.host.find_first_of(" \t\r\n/\\") != std::string::npos) throw bad("bad character in the host");
  result.port = result.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
      throw bad("the port must be a number from 1 to 65535");
    result.port = static_cast<std::uint16_t>(value);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.find_first_of(" \t\r\n") != std::string_view::npos) throw bad("white space in the path");
  result.path = std::string(path);
  return result;
}

std::optional<std::string_view> http_head::find(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

http_client::http_client(http_url server, http_client_options options)
    : server_(std::move(server)), options_(std::move(options)) {
  if (!server_.tls && (!options_.cert_file.empty() || !options_.key_file.empty()))
    throw std::invalid_argument("a client certificate needs an https address, not " + server_.origin());
  if (server_.tls) {
    tls_options tls;
    tls.ca_file = options_.ca_file;
    tls.cert_file = options_.cert_file;
    tls.key_file = options_.key_file;
    tls.verify_peer = options_.verify_peer;
    tls.server_name = server_.host;  // asio's host_name_verification also checks IP addresses
    tls_ = std::make_unique<asio::ssl::context>(make_client_context(tls));
  }
}

http_client::~http_client() = default;

void http_client::send(const http_request& request, std::size_t max_body_bytes,
                       const std::function<bool(const http_head&)>& on_head,
                       const std::function<void(std::string_view)>& on_data) const {
  const auto start = clock_type::now();
  const exchange_state st{server_,
                          request,
                          max_body_bytes,
                          on_head,
                          on_data,
                          std::min(start + options_.connect_timeout, start + options_.request_timeout),
                          start + options_.request_timeout,
                          std::min(options_.connect_timeout, options_.request_timeout),
                          options_.request_timeout};
  asio::io_context io(1);
  std::exception_ptr failure;
  asio::co_spawn(io, run(st, tls_.get()), [&failure](std::exception_ptr e) { failure = std::move(e); });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

http_response http_client::send(const http_request& request, std::size_t max_body_bytes) const {
  http_response response;
  send(
      request, max_body_bytes,
      [&response](const http_head& head) {
        response.head = head;
        return true;
      },
      [&response](std::string_view data) { response.body.append(data); });
  return response;
}

}  // namespace radbridge::net
