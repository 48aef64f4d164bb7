// net/client_identity with net/tls: a client certificate's identity, the
// server's client filter and CRLs, and why a server handshake was refused.
// Both sides of each handshake run on one io_context over loopback TCP.
#include <doctest/doctest.h>

#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/net/test_certs.hpp"
#include "engine/net/test_client_context.hpp"
#include "net/client_identity.hpp"
#include "net/tls.hpp"

namespace asio = radbridge::net::asio;
namespace net = radbridge::net;
using radbridge::net::tcp;
using radbridge::test::certs;
using radbridge::test::client_context;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

namespace {

net::tls_options server_options(bool require_client_cert = true) {
  net::tls_options o;
  o.cert_file = certs().server_cert;
  o.key_file = certs().server_key;
  o.ca_file = certs().ca;
  o.require_client_cert = require_client_cert;
  return o;
}

struct server_side {
  error_code ec;
  std::optional<net::handshake_refusal> refusal;
  std::optional<net::cert_identity> peer;
};

// One handshake against a server built from `options`: what the server saw.
// Without `client_tls` the client sends the start of a plain MLLP frame.
server_side handshake(const net::tls_options& options, asio::ssl::context* client_tls) {
  asio::ssl::context server_tls = net::make_server_context(options);
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ssl::stream<tcp::socket> server(io, server_tls);
  std::optional<asio::ssl::stream<tcp::socket>> client;
  if (client_tls != nullptr) client.emplace(io, *client_tls);
  tcp::socket plain(io);
  tcp::socket& client_socket = client ? client->next_layer() : plain;
  server_side seen;
  bool done = false;
  acceptor.async_accept(server.next_layer(), [&](error_code accepted) {
    REQUIRE_FALSE(accepted);
    server.async_handshake(asio::ssl::stream_base::server, [&](error_code ec) {
      seen.ec = ec;
      if (ec) {
        seen.refusal = net::refusal_of(server.native_handle(), ec);
      } else {
        seen.peer = net::peer_identity(server.native_handle());
      }
      done = true;
      error_code ignored;
      server.next_layer().close(ignored);
    });
  });
  const std::string mllp_start = "\x0bMSH|^~\\&|RIS|GENHOSP|||20260101||ORM^O01|P1|P|2.5\r";
  client_socket.async_connect(acceptor.local_endpoint(), [&](error_code connected) {
    REQUIRE_FALSE(connected);
    if (client) {
      client->async_handshake(asio::ssl::stream_base::client, [](error_code) {});
    } else {
      asio::async_write(plain, asio::buffer(mllp_start), [](error_code, std::size_t) {});
    }
  });
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  while (!done && std::chrono::steady_clock::now() < give_up) io.run_one_for(100ms);
  REQUIRE_MESSAGE(done, "the server's handshake did not finish");
  return seen;
}

// What came of one handshake, in one line a CHECK can show: "served CN",
// or "refused kind=... subject=\"...\" detail=\"...\"" as the server's
// security log writes it, or a failure the server could not explain.
std::string outcome_of(const net::tls_options& options, asio::ssl::context* client_tls) {
  const server_side seen = handshake(options, client_tls);
  if (!seen.ec) return "served " + (seen.peer ? seen.peer->common_name : std::string("(no identity)"));
  if (!seen.refusal) return "failed without a refusal: " + seen.ec.message();
  return "refused kind=" + seen.refusal->kind + " subject=\"" + seen.refusal->subject + "\" detail=\"" +
         seen.refusal->detail + "\"";
}

std::string start_up_error(const net::tls_options& o) {
  try {
    (void)net::make_server_context(o);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("client identity: the RFC 2253 subject, the last CN and the subjectAltNames") {
  auto ris = client_context(certs().ris_client_cert, certs().ris_client_key);
  const server_side seen = handshake(server_options(), &ris);
  REQUIRE_MESSAGE(!seen.ec, seen.ec.message());
  REQUIRE(seen.peer);
  CHECK(seen.peer->subject == "CN=ris-client,OU=Radiology\\, West,O=General Hospital,C=US");
  CHECK(seen.peer->common_name == "ris-client");
  CHECK(seen.peer->dns_names == std::vector<std::string>{"ris.radbridge.test"});
  CHECK(seen.peer->uris == std::vector<std::string>{"urn:oid:1.2.3.4.5"});
  CHECK(seen.peer->emails == std::vector<std::string>{"ris@radbridge.test"});

  auto plain_cn = client_context(certs().client_cert, certs().client_key);
  const server_side other = handshake(server_options(), &plain_cn);
  REQUIRE(other.peer);
  CHECK(other.peer->subject == "CN=radbridge-test-client");
  CHECK(other.peer->common_name == "radbridge-test-client");
  CHECK(other.peer->dns_names.empty());
  CHECK(other.peer->uris.empty());
  CHECK(other.peer->emails.empty());
}

TEST_CASE("client identity: a client filter refuses a verified certificate in the handshake") {
  net::tls_options o = server_options();
  std::vector<std::string> asked;
  o.admit_client = [&asked](const net::cert_identity& id) {
    asked.push_back(id.common_name);
    return id.common_name == "ris-client";
  };
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    CAPTURE(version);
    asked.clear();
    auto refused = client_context(certs().client_cert, certs().client_key, version);
    CHECK(outcome_of(o, &refused) ==
          "refused kind=client_cert_not_allowed subject=\"CN=radbridge-test-client\" detail=\"not on the allow-list\"");
    CHECK(asked == std::vector<std::string>{"radbridge-test-client"});

    auto admitted = client_context(certs().ris_client_cert, certs().ris_client_key, version);
    CHECK(outcome_of(o, &admitted) == "served ris-client");
  }
  // The filter only sees certificates that verified.
  asked.clear();
  auto other_ca = client_context(certs().other_client_cert, certs().other_client_key);
  CHECK(outcome_of(o, &other_ca) == "refused kind=client_cert_untrusted subject=\"CN=radbridge-other-client\""
                                    " detail=\"unable to get local issuer certificate\"");
  CHECK(asked.empty());
}

TEST_CASE("client identity: with a CRL a revoked certificate is refused, a current one is served") {
  net::tls_options o = server_options();
  o.crl_file = certs().crl;
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    CAPTURE(version);
    auto revoked = client_context(certs().revoked_client_cert, certs().revoked_client_key, version);
    CHECK(outcome_of(o, &revoked) ==
          "refused kind=client_cert_revoked subject=\"CN=radbridge-revoked-client\" detail=\"certificate revoked\"");

    auto current = client_context(certs().client_cert, certs().client_key, version);
    CHECK(outcome_of(o, &current) == "served radbridge-test-client");
  }
  // Without the CRL the same certificate is served: the CRL is what refused it.
  auto revoked = client_context(certs().revoked_client_cert, certs().revoked_client_key);
  CHECK(outcome_of(server_options(), &revoked) == "served radbridge-revoked-client");
}

TEST_CASE("client identity: each refused handshake says why; a peer that hangs up is no refusal") {
  SUBCASE("no client certificate") {
    auto none = client_context("", "", TLS1_2_VERSION);
    CHECK(outcome_of(server_options(), &none) ==
          "refused kind=no_client_cert subject=\"\" detail=\"peer did not return a certificate\"");
  }
  SUBCASE("plain MLLP sent to a TLS port") {
    CHECK(outcome_of(server_options(false), nullptr) ==
          "refused kind=not_tls subject=\"\" detail=\"wrong version number\"");
  }
  SUBCASE("a client that offers at most TLS 1.1") {
    asio::ssl::context old(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
    SSL_CTX_set_cipher_list(old.native_handle(), "DEFAULT:@SECLEVEL=0");
    old.set_verify_mode(asio::ssl::verify_none);
    CHECK(outcome_of(server_options(false), &old) ==
          "refused kind=tls_version subject=\"\" detail=\"unsupported protocol\"");
  }
  SUBCASE("the peer closes before finishing") {
    asio::io_context io;
    asio::ssl::context server_tls = net::make_server_context(server_options(false));
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ssl::stream<tcp::socket> server(io, server_tls);
    tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server.next_layer());
    client.close();
    error_code ec;
    server.handshake(asio::ssl::stream_base::server, ec);
    CHECK_MESSAGE(ec, "the handshake with a peer that hung up succeeded");
    const auto refusal = net::refusal_of(server.native_handle(), ec);
    CHECK_MESSAGE(!refusal, "refused kind=", refusal ? refusal->kind : "", " detail=", refusal ? refusal->detail : "");
  }
}

TEST_CASE("client identity: CRL and client filter settings are checked at start-up") {
  net::tls_options o = server_options();
  o.crl_file = "/nonexistent/ca.crl";
  CHECK(start_up_error(o) == "TLS: cannot load CRL file /nonexistent/ca.crl: No such file or directory");
  o.crl_file = certs().ca;  // a certificate, not a CRL
  CHECK(start_up_error(o) == "TLS: cannot load CRL file " + certs().ca + ": it holds no CRL");
  o.crl_file = certs().expired_crl;
  CHECK(start_up_error(o) == "TLS: CRL file " + certs().expired_crl +
                                 ": the CRL of CN=radbridge-test-ca expired at 2020-01-02T00:00:00Z"
                                 " (every client would be refused)");
  o = server_options(false);
  o.crl_file = certs().crl;
  CHECK(start_up_error(o) == "TLS: a CRL file or a client filter needs require_client_cert");
  o = server_options(false);
  o.admit_client = [](const net::cert_identity&) { return true; };
  CHECK(start_up_error(o) == "TLS: a CRL file or a client filter needs require_client_cert");
}
