#include <doctest/doctest.h>

#include <openssl/ssl.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "engine/net/mllp_test_server.hpp"
#include "engine/net/test_certs.hpp"
#include "net/mllp_client.hpp"
#include "net/tls.hpp"

namespace asio = radbridge::net::asio;
using radbridge::net::make_client_context;
using radbridge::net::make_server_context;
using radbridge::net::mllp_client;
using radbridge::net::mllp_errc;
using radbridge::net::mllp_error;
using radbridge::net::tcp;
using radbridge::net::tls_options;
using radbridge::test::certs;
using radbridge::test::mllp_test_server;
using radbridge::test::run_sync;
using namespace std::chrono_literals;

namespace {

const std::string tls_order = "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|GENHOSP|20260101120000||ORM^O01|TLS0001|P|2.5\r";

tls_options server_options(bool require_client_cert = false) {
  tls_options o;
  o.cert_file = certs().server_cert;
  o.key_file = certs().server_key;
  o.ca_file = certs().ca;
  o.require_client_cert = require_client_cert;
  return o;
}

tls_options client_options(bool with_cert = false) {
  tls_options o;
  o.ca_file = certs().ca;
  o.server_name = "127.0.0.1";
  if (with_cert) {
    o.cert_file = certs().client_cert;
    o.key_file = certs().client_key;
  }
  return o;
}

// Connects and exchanges one message; the error, or nullopt when it worked.
std::optional<mllp_error> try_exchange(std::uint16_t port, asio::ssl::context& client_tls) {
  asio::io_context io;
  mllp_client client(io.get_executor());
  try {
    run_sync(io, client.connect("127.0.0.1", port, &client_tls, 5s));
    const std::string ack = run_sync(io, client.exchange(tls_order, 5s));
    CHECK(ack.find("MSA|AA|TLS0001") != std::string::npos);
    run_sync(io, client.shutdown());
  } catch (const mllp_error& e) {
    return e;
  }
  return std::nullopt;
}

std::string start_up_error(const tls_options& o, bool server) {
  try {
    if (server) {
      (void)make_server_context(o);
    } else {
      (void)make_client_context(o);
    }
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("tls: a TLS 1.3 handshake succeeds by default and the exchange works") {
  asio::ssl::context server_tls = make_server_context(server_options());
  mllp_test_server server(radbridge::test::answer_aa, &server_tls);
  asio::ssl::context client_tls = make_client_context(client_options());
  CHECK_FALSE(try_exchange(server.port(), client_tls));
  CHECK(server.last_tls_version() == "TLSv1.3");
  CHECK(server.frames() == 1);
}

TEST_CASE("tls: a client limited to TLS 1.2 gets TLS 1.2, with a configured cipher list") {
  tls_options so = server_options();
  so.ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305";
  asio::ssl::context server_tls = make_server_context(so);
  mllp_test_server server(radbridge::test::answer_aa, &server_tls);
  asio::ssl::context client_tls = make_client_context(client_options());
  SSL_CTX_set_max_proto_version(client_tls.native_handle(), TLS1_2_VERSION);
  CHECK_FALSE(try_exchange(server.port(), client_tls));
  CHECK(server.last_tls_version() == "TLSv1.2");
}

TEST_CASE("tls: the server refuses a client that offers at most TLS 1.1") {
  asio::ssl::context server_tls = make_server_context(server_options());
  mllp_test_server server(radbridge::test::answer_aa, &server_tls);

  // A raw client that really sends a TLS 1.1 ClientHello: Debian's default
  // security level would otherwise stop it before anything reaches the server.
  asio::io_context io;
  asio::ssl::context old(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_cipher_list(old.native_handle(), "DEFAULT:@SECLEVEL=0");
  old.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<tcp::socket> stream(io, old);
  stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), server.port()});
  boost::system::error_code ec;
  stream.handshake(asio::ssl::stream_base::client, ec);
  CHECK(ec);

  REQUIRE(mllp_test_server::eventually([&] { return server.handshake_failures() == 1; }));
  CHECK(server.last_handshake_error() == "unsupported protocol");
  CHECK(server.frames() == 0);
}

TEST_CASE("tls: a required client certificate: none is refused, one from the CA is accepted") {
  asio::ssl::context server_tls = make_server_context(server_options(true));
  mllp_test_server server(radbridge::test::answer_aa, &server_tls);

  SUBCASE("no certificate, TLS 1.3: the server fails the handshake, no message gets through") {
    asio::ssl::context client_tls = make_client_context(client_options(false));
    // In TLS 1.3 the client finishes its side first and hears the alert on its first read.
    const auto error = try_exchange(server.port(), client_tls);
    REQUIRE(error);
    CHECK(error->connection_lost());
    REQUIRE(mllp_test_server::eventually([&] { return server.handshake_failures() == 1; }));
    CHECK(server.last_handshake_error() == "peer did not return a certificate");
    CHECK(server.frames() == 0);
  }
  SUBCASE("no certificate, TLS 1.2: the client's handshake fails") {
    asio::ssl::context client_tls = make_client_context(client_options(false));
    SSL_CTX_set_max_proto_version(client_tls.native_handle(), TLS1_2_VERSION);
    const auto error = try_exchange(server.port(), client_tls);
    REQUIRE(error);
    CHECK(error->code() == mllp_errc::tls_handshake_failed);
    CHECK(std::string(error->what())
              .starts_with("MLLP: TLS handshake with 127.0.0.1:" + std::to_string(server.port()) + " failed: "));
    REQUIRE(mllp_test_server::eventually([&] { return server.handshake_failures() == 1; }));
    CHECK(server.frames() == 0);
  }
  SUBCASE("a certificate from another CA is refused") {
    tls_options co = client_options(false);
    co.cert_file = certs().other_client_cert;
    co.key_file = certs().other_client_key;
    asio::ssl::context client_tls = make_client_context(co);
    CHECK(try_exchange(server.port(), client_tls));
    REQUIRE(mllp_test_server::eventually([&] { return server.handshake_failures() == 1; }));
    CHECK(server.last_handshake_error() == "certificate verify failed");
    CHECK(server.frames() == 0);
  }
  SUBCASE("a certificate from the CA is accepted") {
    asio::ssl::context client_tls = make_client_context(client_options(true));
    CHECK_FALSE(try_exchange(server.port(), client_tls));
    CHECK(server.handshake_failures() == 0);
    CHECK(server.last_client_subject() == "/CN=radbridge-test-client");
    CHECK(server.frames() == 1);
  }
}

TEST_CASE("tls: the client checks the server's chain and name") {
  asio::ssl::context server_tls = make_server_context(server_options());
  mllp_test_server server(radbridge::test::answer_aa, &server_tls);

  SUBCASE("by name, localhost is in the certificate") {
    tls_options co = client_options();
    co.server_name = "localhost";
    asio::ssl::context client_tls = make_client_context(co);
    CHECK_FALSE(try_exchange(server.port(), client_tls));
  }
  SUBCASE("a name the certificate does not carry") {
    tls_options co = client_options();
    co.server_name = "ris.example.org";
    asio::ssl::context client_tls = make_client_context(co);
    const auto error = try_exchange(server.port(), client_tls);
    REQUIRE(error);
    CHECK(error->code() == mllp_errc::tls_handshake_failed);
    CHECK(std::string(error->what()).ends_with("failed: certificate verify failed"));
  }
  SUBCASE("a CA that did not sign the server certificate") {
    tls_options co = client_options();
    co.ca_file = certs().other_ca;
    asio::ssl::context client_tls = make_client_context(co);
    const auto error = try_exchange(server.port(), client_tls);
    REQUIRE(error);
    CHECK(error->code() == mllp_errc::tls_handshake_failed);
  }
  SUBCASE("verify_peer off accepts any server") {
    tls_options co = client_options();
    co.ca_file = certs().other_ca;
    co.verify_peer = false;
    asio::ssl::context client_tls = make_client_context(co);
    CHECK_FALSE(try_exchange(server.port(), client_tls));
  }
}

TEST_CASE("tls: configuration errors name the file or setting") {
  tls_options o = server_options();
  o.cert_file = "/nonexistent/server.pem";
  CHECK(start_up_error(o, true) == "TLS: cannot load certificate /nonexistent/server.pem: No such file or directory");

  o = server_options();
  o.key_file = "/nonexistent/server.key";
  CHECK(start_up_error(o, true) == "TLS: cannot load private key /nonexistent/server.key: No such file or directory");

  o = server_options();
  o.ca_file = "/nonexistent/ca.pem";
  CHECK(start_up_error(o, true) == "TLS: cannot load CA file /nonexistent/ca.pem: No such file or directory");

  o = server_options();
  o.key_file = certs().client_key;
  CHECK(start_up_error(o, true) == "TLS: private key " + certs().client_key + " does not match certificate " +
                                       certs().server_cert + ": key values mismatch");

  o = server_options();
  o.cert_file = certs().server_key;  // a key is not a certificate
  CHECK(start_up_error(o, true).starts_with("TLS: cannot load certificate " + certs().server_key + ": "));

  o = server_options();
  o.ciphers = "NO-SUCH-CIPHER";
  CHECK(start_up_error(o, true) == "TLS: bad TLS 1.2 cipher list NO-SUCH-CIPHER: no cipher match");

  o = server_options();
  o.ciphersuites = "TLS_NO_SUCH_SUITE";
  CHECK(start_up_error(o, true).starts_with("TLS: bad TLS 1.3 cipher suites TLS_NO_SUCH_SUITE: "));

  o = server_options(true);
  o.ca_file.clear();
  CHECK(start_up_error(o, true) == "TLS: require_client_cert needs a CA file to check client certificates against");

  o = tls_options{};
  CHECK(start_up_error(o, true) == "TLS: a server needs a certificate file and a key file");

  o = client_options();
  o.key_file = certs().client_key;
  CHECK(start_up_error(o, false) == "TLS: key " + certs().client_key + " given without a certificate");
}
