// A TLS client for tests against a server that uses the test certificates
// (test_certs.hpp): it trusts the test CA, expects the server at 127.0.0.1,
// presents `cert` with `key` (no certificate when both are empty) and offers
// at most TLS `max_version` (net::make_client_context sets the least: 1.2).
#pragma once

#include <doctest/doctest.h>

#include <openssl/ssl.h>

#include <string>

#include "engine/net/test_certs.hpp"
#include "net/tls.hpp"

namespace radbridge::test {

inline net::asio::ssl::context client_context(const std::string& cert, const std::string& key,
                                              int max_version = TLS1_3_VERSION) {
  net::tls_options o;
  o.ca_file = certs().ca;
  o.server_name = "127.0.0.1";
  o.cert_file = cert;
  o.key_file = key;
  net::asio::ssl::context ctx = net::make_client_context(o);
  REQUIRE(SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version) == 1);
  return ctx;
}

}  // namespace radbridge::test
