// Who a TLS client is, read from its certificate, and why a server's
// handshake refused one: what the ingest listener needs to apply an
// interface's allow-list and to log each refusal as a security event.
//
// `identity_of` reads a certificate's subject (RFC 2253, exactly as
// `openssl x509 -noout -subject -nameopt RFC2253` prints it after
// "subject="), its most specific common name (the last CN of the subject)
// and its subjectAltName DNS names, URIs and email addresses, as written in
// the certificate. `peer_identity` is the identity of the certificate the
// client presented, after a successful handshake.
//
// `refusal_of` classifies a failed server handshake: which rule refused the
// client (plain text on a TLS port, a TLS version below 1.2, no client
// certificate, an untrusted, revoked or otherwise invalid certificate, one
// that verified but that the server's client filter did not admit) and the
// subject of the certificate, when one was presented (make_server_context's
// verify callback notes it through `note_client_certificate`). A failure
// that is no refusal (the peer closed or reset the connection, a timeout)
// gives nullopt: not a security event.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/asio.hpp"

namespace radbridge::net {

struct cert_identity {
  std::string subject;      // RFC 2253: "CN=ris-client,O=General Hospital,C=US"
  std::string common_name;  // the subject's last CN; empty when it has none
  std::vector<std::string> dns_names;
  std::vector<std::string> uris;
  std::vector<std::string> emails;
};

cert_identity identity_of(X509* cert);
// A distinguished name in RFC 2253 form, as in cert_identity::subject.
std::string name_text(const X509_NAME* name);
// nullopt when the client presented no certificate.
std::optional<cert_identity> peer_identity(SSL* ssl);

// A server's decision on a client certificate that its chain, dates and
// CRLs have passed; false refuses the handshake.
using client_filter = std::function<bool(const cert_identity&)>;

struct handshake_refusal {
  std::string kind;     // not_tls, tls_version, no_client_cert, client_cert_untrusted,
                        // client_cert_revoked, client_cert_invalid, client_cert_not_allowed, tls_refused
  std::string subject;  // the client certificate's (RFC 2253); empty when none was presented
  std::string detail;   // OpenSSL's reason, or the certificate verification error
};

std::optional<handshake_refusal> refusal_of(SSL* ssl, const boost::system::error_code& ec);

// The server's verify callback (make_server_context installs it): notes the
// client certificate's subject on `store`'s SSL for refusal_of, and refuses
// (X509_V_ERR_APPLICATION_VERIFICATION) a certificate that verified but that
// `filter` does not admit. An empty filter admits every verified certificate.
bool note_client_certificate(bool preverified, X509_STORE_CTX* store, const client_filter& filter);

}  // namespace radbridge::net
