// The HTTP client's URL parsing, Authorization headers and transport errors
// (net/http_client.hpp, net/http_auth.hpp, net/http_error.hpp). What it does
// against real servers (statuses, caps, stalls, TLS) is tested through its
// users: tests/engine/fetch/dicomweb_errors_test.cpp, the deliver senders.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "net/http_auth.hpp"
#include "net/http_client.hpp"
#include "net/http_error.hpp"

using radbridge::net::auth_scheme;
using radbridge::net::authorization_header;
using radbridge::net::http_auth;
using radbridge::net::http_client;
using radbridge::net::http_errc;
using radbridge::net::http_error;
using radbridge::net::parse_http_url;

namespace {

// A loopback port with nothing listening: bound, then closed.
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

TEST_CASE("http: parse_http_url") {
  auto u = parse_http_url("http://127.0.0.1:8042/dicom-web/");
  CHECK_FALSE(u.tls);
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 8042);
  CHECK(u.path == "/dicom-web");
  CHECK(u.origin() == "http://127.0.0.1:8042");

  u = parse_http_url("HTTPS://pacs.example.org");
  CHECK(u.tls);
  CHECK(u.host == "pacs.example.org");
  CHECK(u.port == 443);
  CHECK(u.path.empty());
  CHECK(u.origin() == "https://pacs.example.org");

  u = parse_http_url("http://[::1]:8080/wado/rs");
  CHECK(u.host == "::1");
  CHECK(u.port == 8080);
  CHECK(u.path == "/wado/rs");
  CHECK(u.origin() == "http://[::1]:8080");

  for (const char* bad : {"ftp://host/", "host:8042/dicom-web", "http://", "http://:80/", "http://h:0/",
                          "http://h:65536/", "http://h:x/", "http://h:/", "http://user:pw@h/", "http://h/a?b=c",
                          "http://h/a#f", "http://[::1/", "http://h/a b"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_http_url(bad), std::invalid_argument);
  }
}

TEST_CASE("http: Authorization headers") {
  CHECK(authorization_header({}).empty());
  // RFC 7617 section 2's example.
  CHECK(authorization_header({auth_scheme::basic, "Aladdin", "open sesame", {}}) == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(authorization_header({auth_scheme::basic, "a", "", {}}) == "Basic YTo=");
  CHECK(authorization_header({auth_scheme::basic, "ab", "", {}}) == "Basic YWI6");
  CHECK(authorization_header({auth_scheme::basic, "u", "pw", {}}) == "Basic dTpwdw==");
  CHECK(authorization_header({auth_scheme::bearer, {}, {}, "t0k3n"}) == "Bearer t0k3n");
  CHECK(radbridge::net::base64("") == "");
  CHECK(radbridge::net::base64(std::string_view("\xff\x00\x10", 3)) == "/wAQ");

  CHECK_THROWS_WITH_AS(authorization_header({auth_scheme::basic, "", "pw", {}}),
                       "basic authentication needs a user name", std::invalid_argument);
  CHECK_THROWS_WITH_AS(authorization_header({auth_scheme::basic, "a:b", "pw", {}}),
                       "a basic authentication user name cannot hold ':'", std::invalid_argument);
  CHECK_THROWS_WITH_AS(authorization_header({auth_scheme::bearer, {}, {}, ""}), "bearer authentication needs a token",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(authorization_header({auth_scheme::bearer, {}, {}, "abc\r\nX-Injected: 1"}),
                       "the bearer token holds a line break", std::invalid_argument);
}

TEST_CASE("http: nothing listening is an http_error (unreachable, transient) naming the request") {
  const std::string origin = "http://127.0.0.1:" + std::to_string(closed_port());
  radbridge::net::http_client_options options;
  options.connect_timeout = std::chrono::seconds(5);
  const http_client client(parse_http_url(origin + "/base"), options);
  radbridge::net::http_request request;
  request.target = "/base/x?y=1";
  try {
    (void)client.send(request, 1024);
    FAIL("no http_error thrown");
  } catch (const http_error& e) {
    CHECK(e.code() == http_errc::unreachable);
    CHECK(e.transient());
    CHECK(std::string(e.what()).rfind("HTTP GET " + origin + "/base/x?y=1: cannot connect: ", 0) == 0);
  }
  CHECK(to_string(http_errc::too_large) == "too_large");
}

TEST_CASE("percent_encode: unreserved characters stay, every other byte is %XX; a caller may keep more") {
  CHECK(radbridge::net::percent_encode("A1-._~z") == "A1-._~z");
  CHECK(radbridge::net::percent_encode("A 1&b=c/d?\xC3\xA9") == "A%201%26b%3Dc%2Fd%3F%C3%A9");
  CHECK(radbridge::net::percent_encode("urn:radbridge:result/x|y", ":/") == "urn:radbridge:result/x%7Cy");
}
