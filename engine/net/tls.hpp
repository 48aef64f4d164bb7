// TLS contexts for radbridge's MLLP connections (the ingest listener, the
// delivery stage and `radbridge replay`).
//
// Both factories build an asio::ssl::context that speaks TLS 1.2 and TLS 1.3
// only (the minimum protocol version is set on the OpenSSL context, so older
// versions are refused during the handshake whatever the peer offers), with
// compression and renegotiation disabled. Certificate chains, keys and CA
// files are PEM. Any problem with the configuration (a missing or unreadable
// file, a key that does not match its certificate, a cipher list OpenSSL does
// not accept) throws std::runtime_error at once with a message that names the
// file or setting, because these errors happen at start-up and an operator
// has to fix them: "TLS: cannot load certificate /etc/rb/server.pem: No such
// file or directory".
//
// Server side: cert_file and key_file are required. With require_client_cert
// the server asks for a client certificate, verifies it against ca_file
// (required then) and fails the handshake when none is presented (mutual TLS);
// without it no client certificate is requested. With crl_file (PEM, one or
// more CRLs; only with require_client_cert) every certificate of the
// client's chain must have a current CRL from its issuer in that file
// (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) and a revoked one is
// refused; a file that cannot be read, holds no CRL or holds an expired one
// is a start-up error. admit_client, when set, then decides on a
// certificate that verified: false fails the handshake. With mutual TLS
// there is no session resumption, so every connection's certificate is
// checked in full. client_identity.hpp says why a handshake was refused.
//
// Client side: verify_peer (the default) checks the server's chain against
// ca_file, or the system's default CA paths when ca_file is empty, and, when
// server_name is set, that the certificate is issued for that name (SNI is
// set per connection by the caller, see mllp_client). cert_file/key_file,
// when given, are presented to servers that ask for a client certificate.
//
// Not provided: certificate or CRL reloading (restart to load new files),
// OCSP, session ticket keys.
// A context is safe to share between connections once built.
#pragma once

#include <string>

#include "net/asio.hpp"
#include "net/client_identity.hpp"

namespace radbridge::net {

struct tls_options {
  std::string cert_file;             // PEM certificate chain (leaf first)
  std::string key_file;              // PEM private key for cert_file
  std::string ca_file;               // PEM CA bundle for verifying the peer
  std::string ciphers;               // TLS 1.2 cipher list; empty = OpenSSL's default secure list
  std::string ciphersuites;          // TLS 1.3 cipher suites; empty = OpenSSL's default
  bool require_client_cert = false;  // server: mutual TLS against ca_file
  std::string crl_file;              // server: PEM CRLs checked for the client's whole chain
  client_filter admit_client;        // server: which verified client certificates may connect; empty: all
  bool verify_peer = true;           // client: verify the server's certificate
  std::string server_name;           // client: expected host name in the server's certificate
};

// Throws std::runtime_error ("TLS: ...") when the options cannot be applied.
asio::ssl::context make_server_context(const tls_options& options);
asio::ssl::context make_client_context(const tls_options& options);

}  // namespace radbridge::net
