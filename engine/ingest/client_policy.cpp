#include "ingest/client_policy.hpp"

#include <algorithm>

#include "core/log.hpp"

namespace radbridge::ingest {

namespace {

using field = config::allowed_client::field;

bool same_ignoring_ascii_case(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) {
           return lower(x) == lower(y);
         });
}

bool any_equal(const std::vector<std::string>& values, std::string_view wanted) {
  return std::find(values.begin(), values.end(), wanted) != values.end();
}

// An empty list allows any value.
bool allows(const std::vector<std::string>& list, std::string_view value) {
  return list.empty() || any_equal(list, value);
}

}  // namespace

bool matches(const config::allowed_client& entry, const net::cert_identity& id) {
  switch (entry.match) {
    case field::subject: return id.subject == entry.value;
    case field::cn: return !id.common_name.empty() && id.common_name == entry.value;
    case field::dns:
      return std::any_of(id.dns_names.begin(), id.dns_names.end(),
                         [&](const std::string& name) { return same_ignoring_ascii_case(name, entry.value); });
    case field::uri: return any_equal(id.uris, entry.value);
    case field::email: return any_equal(id.emails, entry.value);
  }
  return false;
}

net::tls_options server_tls_options(const config::tls_settings& tls) {
  net::tls_options o;
  o.cert_file = tls.cert_file;
  o.key_file = tls.key_file;
  o.ca_file = tls.ca_file;
  o.ciphers = tls.ciphers;
  o.ciphersuites = tls.ciphersuites;
  o.require_client_cert = tls.require_client_cert;
  o.crl_file = tls.crl_file;
  if (!tls.allowed_clients.empty()) {
    o.admit_client = [allowed = tls.allowed_clients](const net::cert_identity& id) {
      return std::any_of(allowed.begin(), allowed.end(), [&](const auto& entry) { return matches(entry, id); });
    };
  }
  return o;
}

std::optional<client_grant> grant_for(const std::optional<config::tls_settings>& tls,
                                      const std::optional<net::cert_identity>& id) {
  client_grant grant;
  if (id) grant.subject = id->subject;
  if (!tls || tls->allowed_clients.empty()) return grant;
  grant.restricted = true;
  if (!id) return std::nullopt;
  for (const config::allowed_client& entry : tls->allowed_clients) {
    if (matches(entry, *id)) grant.entries.push_back(&entry);
  }
  if (grant.entries.empty()) return std::nullopt;
  return grant;
}

std::optional<sender_field> sender_refusal(const client_grant& grant, std::string_view application,
                                           std::string_view facility) {
  if (!grant.restricted) return std::nullopt;
  bool application_allowed = false;
  for (const config::allowed_client* entry : grant.entries) {
    if (!allows(entry->sending_applications, application)) continue;
    if (allows(entry->sending_facilities, facility)) return std::nullopt;
    application_allowed = true;
  }
  return application_allowed ? sender_field::facility : sender_field::application;
}

void log_security_event(const security_event& e) {
  if (e.control_id.empty()) {
    log::warn("security_event", {{"kind", e.kind}, {"interface", e.interface_name}, {"connection", e.connection},
                                 {"peer", e.peer}, {"subject", e.subject}, {"detail", e.detail}});
  } else {
    log::warn("security_event", {{"kind", e.kind}, {"interface", e.interface_name}, {"connection", e.connection},
                                 {"peer", e.peer}, {"subject", e.subject}, {"detail", e.detail},
                                 {"control_id", e.control_id}});
  }
}

}  // namespace radbridge::ingest
