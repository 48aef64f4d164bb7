// engine/admin/http_server: keep-alive, the caps and deadlines that keep a
// peer from pinning it, and the connection cap, over real sockets.
#include "admin/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <doctest/doctest.h>

namespace admin = radbridge::admin;
namespace asio = radbridge::net::asio;
using namespace std::chrono_literals;

namespace {

// A plain blocking TCP client; every read gives up after 10 s, so a server
// that never answers fails the test instead of hanging it.
class raw_client {
 public:
  explicit raw_client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~raw_client() { ::close(fd_); }

  // A refused connection may be reset already: what it answers (nothing) tells.
  void send(const std::string& bytes) { (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

  // Everything until the server closes; "timeout" when it did not in 10 s.
  std::string read_to_close() {
    std::string all;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n == 0) return all;
      if (n < 0) return errno == EAGAIN ? all + "timeout" : all;
      all.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // Reads until `marker` has come `count` times.
  std::string read_responses(int count, const std::string& marker) {
    std::string all;
    char buffer[4096];
    std::size_t found = 0;
    while (static_cast<int>(found) < count) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      all.append(buffer, static_cast<std::size_t>(n));
      found = 0;
      for (std::size_t at = all.find(marker); at != std::string::npos; at = all.find(marker, at + 1)) ++found;
    }
    return all;
  }

 private:
  int fd_;
};

// An http_server on a thread of its own, answering every request with
// "hello <target>".
struct running_server {
  explicit running_server(admin::http_limits limits)
      : server(io, radbridge::net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), nullptr, limits,
               [](const admin::request& req, const std::string&) -> asio::awaitable<admin::response> {
                 co_return admin::make_response(req, admin::http::status::ok,
                                                "hello " + std::string(req.target()) + "\n", "text/plain");
               }) {
    server.start();
    thread = std::thread([this] { io.run(); });
  }
  ~running_server() {
    io.stop();
    thread.join();
  }
  std::uint16_t port() const { return server.local_endpoint().port(); }

  asio::io_context io{1};
  admin::http_server server;
  std::thread thread;
};

admin::http_limits short_limits() {
  admin::http_limits l;
  l.idle_timeout = 300ms;
  l.read_timeout = 300ms;
  l.write_timeout = 300ms;
  l.max_header_bytes = 1024;
  l.max_body_bytes = 100;
  l.max_connections = 2;
  return l;
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("admin http_server: keep-alive answers requests in order on one connection, and close ends it") {
  running_server s(admin::http_limits{});
  raw_client c(s.port());
  c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string two = c.read_responses(2, "hello ");
  CHECK_MESSAGE(count_of(two, "HTTP/1.1 200 OK") == 2, two);
  CHECK_MESSAGE(two.find("hello /a") < two.find("hello /b"), two);
  CHECK_MESSAGE(two.find("Cache-Control: no-store") != std::string::npos, two);
  c.send("GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string last = c.read_to_close();
  CHECK_MESSAGE(last.find("hello /c") != std::string::npos, last);
  CHECK_MESSAGE(last.find("Connection: close") != std::string::npos, last);
}

TEST_CASE("admin http_server: a header over the cap gets 431 and a close") {
  running_server s(short_limits());
  raw_client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(2000, 'a') + "\r\n\r\n");
  const std::string answer = c.read_to_close();
  CHECK_MESSAGE(answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer);
}

TEST_CASE("admin http_server: a body over the cap gets 413 and a close, before the body is read") {
  running_server s(short_limits());
  raw_client c(s.port());
  c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + std::string(200, 'b'));
  const std::string answer = c.read_to_close();
  CHECK_MESSAGE(answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"), answer);
}

TEST_CASE("admin http_server: malformed HTTP gets 400 and a close") {
  running_server s(short_limits());
  raw_client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost x\r\n\r\n");  // a header line without a colon
  const std::string answer = c.read_to_close();
  CHECK_MESSAGE(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"), answer);
}

TEST_CASE("admin http_server: a request not complete within the read timeout is closed unanswered") {
  running_server s(short_limits());
  raw_client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n");  // the header never ends
  CHECK(c.read_to_close() == "");
}

TEST_CASE("admin http_server: an idle keep-alive connection is closed after the idle timeout") {
  running_server s(short_limits());
  raw_client c(s.port());
  c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string answer = c.read_to_close();  // the answer, then the close
  CHECK_MESSAGE(answer.find("hello /a") != std::string::npos, answer);
  CHECK_MESSAGE(answer.find("timeout") == std::string::npos, answer);
}

TEST_CASE("admin http_server: connections past max_connections are closed at once, the others still served") {
  admin::http_limits limits = short_limits();
  limits.idle_timeout = 10s;  // the first two stay open while the third comes
  running_server s(limits);
  raw_client a(s.port()), b(s.port());
  // Both are accepted once the server has answered on each.
  a.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  b.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string to_a = a.read_responses(1, "hello /a\n"), to_b = b.read_responses(1, "hello /b\n");
  CHECK_MESSAGE(to_a.find("hello /a") != std::string::npos, to_a);
  CHECK_MESSAGE(to_b.find("hello /b") != std::string::npos, to_b);
  raw_client third(s.port());
  third.send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(third.read_to_close() == "");
  a.send("GET /a2 HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string again = a.read_responses(1, "hello /a2\n");
  CHECK_MESSAGE(again.find("hello /a2") != std::string::npos, again);
}
