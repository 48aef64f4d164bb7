#include "deliver/sender.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "core/host_port.hpp"
#include "core/log.hpp"
#include "core/secret_file.hpp"
#include "deliver/fhir_sender.hpp"
#include "deliver/folder_sender.hpp"
#include "deliver/mllp_sender.hpp"
#include "deliver/stow_sender.hpp"
#include "net/http_client.hpp"
#include "net/loopback.hpp"

namespace radbridge::deliver {

namespace {

net::http_auth http_auth_of(const route::destination_auth& a) {
  using scheme = route::destination_auth::scheme;
  net::http_auth out;
  out.scheme = a.how == scheme::basic ? net::auth_scheme::basic
               : a.how == scheme::bearer ? net::auth_scheme::bearer
                                         : net::auth_scheme::none;
  out.user = a.user;
  out.password = a.password;
  out.token = a.token;
  return out;
}

std::unique_ptr<sender> build(const route::destination& d, std::chrono::milliseconds timeout) {
  using kind = route::destination::kind;
  switch (d.type) {
    case kind::mllp: {
      const auto address = parse_host_port(d.address);
      if (!address || address->host.empty() || address->port == 0)
        throw std::invalid_argument(fmt::format("address \"{}\" is not HOST:PORT", d.address));
      return std::make_unique<mllp_sender>(mllp_sender_options{address->host, address->port, uses_tls(d), d.ca_file,
                                                               timeout, d.cert_file, d.key_file});
    }
    case kind::fhir:
      return std::make_unique<fhir_sender>(
          fhir_sender_options{d.address, d.ca_file, timeout, http_auth_of(d.auth), d.cert_file, d.key_file});
    case kind::dicomweb:
      return std::make_unique<stow_sender>(
          stow_sender_options{d.address, d.ca_file, timeout, http_auth_of(d.auth), d.cert_file, d.key_file});
    case kind::folder:
      return std::make_unique<folder_sender>(d.address, folder_options{d.file_mode});
  }
  throw std::invalid_argument("unknown destination type");
}

}  // namespace

bool uses_tls(const route::destination& d) {
  using kind = route::destination::kind;
  if (d.type == kind::mllp) return d.tls || !d.ca_file.empty() || !d.cert_file.empty();
  if (d.type == kind::fhir || d.type == kind::dicomweb) {
    try {
      return net::parse_http_url(d.address).tls;
    } catch (const std::invalid_argument&) {
      return false;
    }
  }
  return false;
}

bool plain_text_off_host(const route::destination& d) {
  using kind = route::destination::kind;
  if (d.type == kind::folder) return false;
  if (d.type != kind::mllp) return net::plain_http_off_host(d.address);
  if (uses_tls(d)) return false;
  const auto address = parse_host_port(d.address);
  return address && !address->host.empty() && !net::is_loopback_host(address->host);
}

std::unique_ptr<sender> make_sender(const route::destination& d, std::chrono::milliseconds timeout) {
  std::unique_ptr<sender> made;
  try {
    made = build(d, timeout);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("destination \"{}\": {}", d.name, e.what()));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("destination \"{}\": {}", d.name, e.what()));
  }
  if (plain_text_off_host(d)) {
    log::warn("destination_plain_text", {{"destination", d.name},
                                         {"type", d.type == route::destination::kind::mllp ? "mllp" : "http"},
                                         {"address", d.address}});
  }
  const std::string setting = fmt::format("destination {}", d.name);
  secrets::warn_if_readable_by_others(setting + " password_file", d.auth.password_file);
  secrets::warn_if_readable_by_others(setting + " token_file", d.auth.token_file);
  secrets::warn_if_readable_by_others(setting + " key_file", d.key_file);
  return made;
}

}  // namespace radbridge::deliver
