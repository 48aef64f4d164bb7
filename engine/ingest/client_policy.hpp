// Which TLS clients an interface lets in, and as which senders: its
// allow-list (config::tls_settings::allowed_clients) applied to a client
// certificate's identity (net/client_identity.hpp).
//
// `server_tls_options` makes an interface's TLS settings the options of its
// listener's TLS context, with the allow-list as the context's client filter:
// a certificate that matches no entry is refused in the handshake. After the
// handshake `grant_for` says what the connection's certificate may send as
// (the entries it matched), and `sender_refusal` is the check frame_handler
// applies to every message: it passes when one matched entry allows both its
// MSH-3 and its MSH-4 (an entry without a list allows any value), compared
// with the whole field as sent, exactly. An interface without an allow-list
// admits every certificate its CA verifies, as any sender.
//
// An entry matches by one identity: `subject` the RFC 2253 subject, exactly;
// `cn` the subject's last CN, exactly; `dns` any subjectAltName DNS name,
// ignoring ASCII case; `uri` and `email` any subjectAltName of that kind,
// exactly. No wildcards. `log_security_event` writes the `security_event`
// line for each refusal: its kind, the interface, connection and peer
// address, the certificate's subject and a detail; never message content.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "net/client_identity.hpp"
#include "net/tls.hpp"

namespace radbridge::ingest {

struct client_grant {
  std::string subject;      // the certificate's, for logs
  bool restricted = false;  // the interface has an allow-list
  std::vector<const config::allowed_client*> entries;  // those the certificate matched
};

bool matches(const config::allowed_client& entry, const net::cert_identity& id);

net::tls_options server_tls_options(const config::tls_settings& tls);

// nullopt: the interface has an allow-list and the certificate is on none
// of it, or there is no certificate. The entries point into `tls`.
std::optional<client_grant> grant_for(const std::optional<config::tls_settings>& tls,
                                      const std::optional<net::cert_identity>& id);

enum class sender_field { application, facility };  // MSH-3, MSH-4
// The field that no matched entry allows (MSH-3 first); nullopt: allowed.
std::optional<sender_field> sender_refusal(const client_grant& grant, std::string_view application,
                                           std::string_view facility);

struct security_event {
  std::string_view kind;  // client_cert_not_allowed, sending_application_not_allowed, net's refusal kinds...
  std::string_view interface_name;
  std::uint64_t connection = 0;
  std::string_view peer;     // address:port
  std::string_view subject;  // the client certificate's; empty without one
  std::string_view detail;      // why
  std::string_view control_id;  // a refused message's MSH-10; empty for a refused connection
};
void log_security_event(const security_event& e);

}  // namespace radbridge::ingest
