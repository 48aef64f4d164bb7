#include "core/config.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "core/host_port.hpp"
#include "core/json_checker.hpp"
#include "core/secret_file.hpp"
#include "json/json_document.hpp"

namespace radbridge::config {

namespace {

void read_listen(json_checker& c, const json::value& v, std::string& host, std::uint16_t& port) {
  std::string text;
  c.string(v, text);
  const auto address = parse_host_port(text);
  if (!address) {
    if (!text.empty()) c.problem(v, fmt::format("expected HOST:PORT, e.g. \"127.0.0.1:2575\", not \"{}\"", text));
    return;
  }
  host = address->host;
  port = address->port;
}

// A list of MSH-3 or MSH-4 values: when present, at least one.
void read_senders(json_checker& c, const json::value& v, std::vector<std::string>& out) {
  c.strings(v, out);
  if (v.is_array() && v.size() == 0) c.problem(v, "must list at least one value (leave it out to allow any)");
}

allowed_client read_allowed_client(json_checker& c, const json::value& v) {
  allowed_client a;
  int identities = 0;
  auto identity = [&](allowed_client::field f) {
    return [&c, &a, &identities, f](const json::value& x) {
      ++identities;
      a.match = f;
      c.string(x, a.value);
    };
  };
  c.members(v, "an allowed client", {
      {"subject", identity(allowed_client::field::subject)},
      {"cn", identity(allowed_client::field::cn)},
      {"dns", identity(allowed_client::field::dns)},
      {"uri", identity(allowed_client::field::uri)},
      {"email", identity(allowed_client::field::email)},
      {"sending_applications", [&](const json::value& x) { read_senders(c, x, a.sending_applications); }},
      {"sending_facilities", [&](const json::value& x) { read_senders(c, x, a.sending_facilities); }},
  });
  if (v.is_object() && identities != 1) {
    c.problem(v, "an allowed client needs exactly one of \"subject\", \"cn\", \"dns\", \"uri\" or \"email\"");
  }
  return a;
}

void read_tls(json_checker& c, const json::value& v, tls_settings& tls) {
  c.members(v, "tls", {
                          {"cert", [&](const json::value& x) { c.file(x, tls.cert_file); }},
                          {"key", [&](const json::value& x) { c.file(x, tls.key_file); }},
                          {"ca", [&](const json::value& x) { c.file(x, tls.ca_file); }},
                          {"ciphers", [&](const json::value& x) { c.string(x, tls.ciphers); }},
                          {"ciphersuites", [&](const json::value& x) { c.string(x, tls.ciphersuites); }},
                          {"require_client_cert", [&](const json::value& x) { c.boolean(x, tls.require_client_cert); }},
                          {"crl", [&](const json::value& x) {
                             c.file(x, tls.crl_file);
                             // Unreadable: refused here, at its place in the file, not at the first client.
                             if (tls.crl_file.empty() || std::ifstream(tls.crl_file, std::ios::binary)) return;
                             c.problem(x, fmt::format("cannot read CRL file {}: {}", tls.crl_file, std::strerror(errno)));
                           }},
                          {"allowed_clients", [&](const json::value& x) {
                             if (!x.is_array()) return c.problem(x, fmt::format("expected an array, not {}", x.kind_name()));
                             if (x.size() == 0) return c.problem(x, "\"allowed_clients\" must list at least one client");
                             for (const json::value& e : x.elements()) tls.allowed_clients.push_back(read_allowed_client(c, e));
                           }},
                      });
  if (!v.is_object()) return;
  if (tls.cert_file.empty() || tls.key_file.empty()) c.problem(v, "tls needs \"cert\" and \"key\"");
  if (tls.require_client_cert && tls.ca_file.empty()) {
    c.problem(v, "tls with \"require_client_cert\" needs \"ca\" to check client certificates against");
  }
  // Both only apply to client certificates: without them they would protect nothing.
  for (std::string_view key : {"crl", "allowed_clients"}) {
    const json::value* x = v.find(key);
    if (x != nullptr && !tls.require_client_cert) {
      c.problem(*x, fmt::format("\"{}\" needs \"require_client_cert\": true", key));
    }
  }
}

interface_settings read_interface(json_checker& c, const json::value& v) {
  interface_settings iface;
  c.members(v, "an interface", {
      {"name", [&](const json::value& x) { c.string(x, iface.name); }},
      {"listen", [&](const json::value& x) { read_listen(c, x, iface.host, iface.port); }},
      {"tls", [&](const json::value& x) { read_tls(c, x, iface.tls.emplace()); }},
      {"message_types", [&](const json::value& x) { c.strings(x, iface.message_types); }},
      {"processing_ids", [&](const json::value& x) { c.strings(x, iface.processing_ids); }},
      {"versions", [&](const json::value& x) { c.strings(x, iface.versions); }},
      {"max_frame_bytes", [&](const json::value& x) {
         c.count(x, iface.max_frame_bytes, 64, static_cast<std::int64_t>(max_frame_bytes_limit),
                 fmt::format("\"max_frame_bytes\" must be at most {}: the router parses stored messages up to "
                             "that size",
                             max_frame_bytes_limit));
       }},
      {"idle_timeout_ms", [&](const json::value& x) { c.millis(x, iface.idle_timeout); }},
      {"partial_frame_timeout_ms", [&](const json::value& x) { c.millis(x, iface.partial_frame_timeout); }},
      {"write_timeout_ms", [&](const json::value& x) { c.millis(x, iface.write_timeout); }},
      {"max_connections", [&](const json::value& x) { c.count(x, iface.max_connections, 1, 10000); }},
      {"max_connections_per_peer", [&](const json::value& x) { c.count(x, iface.max_connections_per_peer, 1, 10000); }},
      {"ack_mode", [&](const json::value& x) {
         c.choice(x, iface.acks, {{"auto", ack_mode::automatic}, {"original", ack_mode::original},
                                  {"enhanced", ack_mode::enhanced}});
       }},
      {"on_conflict", [&](const json::value& x) {
         c.choice(x, iface.on_conflict, {{"error", conflict_policy::error}, {"reject", conflict_policy::reject}});
       }},
      {"on_database_down", [&](const json::value& x) {
         c.choice(x, iface.on_database_down,
                  {{"close", database_down_policy::close}, {"reject", database_down_policy::reject}});
       }},
      {"lenient_end_block", [&](const json::value& x) { c.boolean(x, iface.lenient_end_block); }},
  });
  if (v.is_object() && v.find("name") == nullptr) c.problem(v, "an interface needs a \"name\"");
  if (v.is_object() && v.find("listen") == nullptr) c.problem(v, "an interface needs \"listen\": \"HOST:PORT\"");
  return iface;
}

// Credentials: basic (user with password or password_file) or bearer (token
// or token_file), never both; a client certificate needs its key.
void check_pacs_credentials(json_checker& c, const json::value& x) {
  auto has = [&](std::string_view key) { return x.find(key) != nullptr; };
  auto at = [&](std::string_view key) -> const json::value& { return *x.find(key); };
  for (const auto& [inline_key, file_key] : {std::pair{"password", "password_file"}, std::pair{"token", "token_file"}}) {
    if (has(inline_key) && has(file_key))
      c.problem(at(file_key), fmt::format("\"pacs\" takes \"{}\" or \"{}\", not both", inline_key, file_key));
  }
  const bool basic = has("user"), bearer = has("token") || has("token_file");
  if ((has("password") || has("password_file")) && !basic)
    c.problem(x, "\"pacs\" has a password but no \"user\" (basic authentication needs both)");
  if (basic && bearer)
    c.problem(x, "\"pacs\" takes \"user\" and a password (basic) or a token (bearer), not both");
  if (has("cert_file") != has("key_file"))
    c.problem(x, "\"pacs\" needs both \"cert_file\" and \"key_file\" for a client certificate");
}

void read_pacs(json_checker& c, const json::value& x, pacs_settings& pacs) {
  c.members(x, "\"pacs\"", {
      {"dicomweb", [&](const json::value& y) { c.string(y, pacs.dicomweb_url); }},
      {"folder", [&](const json::value& y) { c.file(y, pacs.folder); }},
      {"user", [&](const json::value& y) { c.string(y, pacs.user); }},
      {"password", [&](const json::value& y) { c.string(y, pacs.password); }},
      {"password_file", [&](const json::value& y) { secrets::read_secret_setting(c, y, pacs.password_file, pacs.password); }},
      {"token", [&](const json::value& y) { c.string(y, pacs.token); }},
      {"token_file", [&](const json::value& y) { secrets::read_secret_setting(c, y, pacs.token_file, pacs.token); }},
      {"ca_file", [&](const json::value& y) { c.file(y, pacs.ca_file); }},
      {"cert_file", [&](const json::value& y) { c.file(y, pacs.cert_file); }},
      {"key_file", [&](const json::value& y) { c.file(y, pacs.key_file); }},
      {"timeout_ms", [&](const json::value& y) { c.millis(y, pacs.timeout); }},
  });
  if (!x.is_object()) return;
  if ((x.find("dicomweb") == nullptr) == (x.find("folder") == nullptr)) {
    c.problem(x, "\"pacs\" needs exactly one of \"dicomweb\" (a URL) or \"folder\"");
  }
  check_pacs_credentials(c, x);
}

pipeline_settings read_pipeline(json_checker& c, const json::value& v) {
  pipeline_settings p;
  c.members(v, "\"pipeline\"", {
      {"mappings", [&](const json::value& x) {
         c.strings(x, p.mappings);
         if (!x.is_array() || x.size() == 0) return c.problem(x, "\"mappings\" must name at least one file or folder");
         for (std::size_t i = 0; i < x.size(); ++i) c.file(x[i], p.mappings[i]);
       }},
      {"registry", [&](const json::value& x) { c.file(x, p.registry); }},
      {"pacs", [&](const json::value& x) { read_pacs(c, x, p.pacs); }},
      {"job_workers", [&](const json::value& x) { c.count(x, p.job_workers, 1, 64); }},
      {"inference_threads", [&](const json::value& x) { c.count(x, p.inference_threads, 1, 64); }},
      {"job_attempts", [&](const json::value& x) { c.count(x, p.job_attempts, 1, 1000); }},
      {"job_backoff_ms", [&](const json::value& x) { c.millis(x, p.job_backoff); }},
      {"job_lease_ms", [&](const json::value& x) {
         c.millis(x, p.job_lease);
         if (p.job_lease < std::chrono::seconds(1)) c.problem(x, "\"job_lease_ms\" must be at least 1000");
       }},
      {"poll_ms", [&](const json::value& x) { c.millis(x, p.poll); }},
      {"listen", [&](const json::value& x) { c.boolean(x, p.listen); }},
      {"delivery", [&](const json::value& x) {
         c.members(x, "\"delivery\"", {
             {"attempts", [&](const json::value& y) { c.count(y, p.delivery.attempts, 1, 1000000); }},
             {"max_age_ms", [&](const json::value& y) { c.millis(y, p.delivery.max_age); }},
             {"first_backoff_ms", [&](const json::value& y) { c.millis(y, p.delivery.first_backoff); }},
             {"max_backoff_ms", [&](const json::value& y) { c.millis(y, p.delivery.max_backoff); }},
             {"timeout_ms", [&](const json::value& y) { c.millis(y, p.delivery.timeout); }},
         });
       }},
  });
  for (std::string_view key : {"mappings", "registry", "pacs"}) {
    if (v.is_object() && v.find(key) == nullptr) c.problem(v, fmt::format("\"pipeline\" needs \"{}\"", key));
  }
  return p;
}

}  // namespace

engine_settings parse_config(std::string_view text, std::string_view name, const std::string& base_dir) {
  const json::document_result doc = json::parse_document(text);
  if (!doc) throw config_error(json::format_error(name, doc.error()));
  json_checker c(name, base_dir);
  engine_settings settings;
  const json::value* interfaces = nullptr;
  c.members(doc.value(), "the configuration", {
      {"database", [&](const json::value& x) { c.string(x, settings.database); }},
      {"database_file", [&](const json::value& x) {
         secrets::read_secret_setting(c, x, settings.database_file, settings.database);
         if (doc.value().find("database") != nullptr) c.problem(x, "give \"database\" or \"database_file\", not both");
       }},
      {"application_name", [&](const json::value& x) { c.string(x, settings.application_name); }},
      {"max_commit_group", [&](const json::value& x) {
         c.count(x, settings.max_commit_group, 1, static_cast<std::int64_t>(max_commit_group_limit),
                 fmt::format("\"max_commit_group\" must be at most {}: each message takes {} bind parameters and "
                             "PostgreSQL allows {} in one statement",
                             max_commit_group_limit, inbound_parameters_per_row, postgres_max_parameters));
       }},
      {"commit_workers", [&](const json::value& x) { c.count(x, settings.commit_workers, 1, 64); }},
      {"drain_timeout_ms", [&](const json::value& x) { c.millis(x, settings.drain_timeout); }},
      {"busy_poll_us", [&](const json::value& x) {
         std::size_t us = 0;
         c.count(x, us, 0, max_busy_poll_us);
         settings.busy_poll = std::chrono::microseconds(us);
       }},
      {"pipeline", [&](const json::value& x) { settings.pipeline = read_pipeline(c, x); }},
      {"admin", [&](const json::value& x) {
         c.members(x, "\"admin\"", {
             {"listen", [&](const json::value& y) { read_listen(c, y, settings.admin.host, settings.admin.port); }},
             {"tls", [&](const json::value& y) { read_tls(c, y, settings.admin.tls.emplace()); }},
             {"tokens_file", [&](const json::value& y) { c.file(y, settings.admin.tokens_file); }},
         });
       }},
      {"interfaces", [&](const json::value& x) {
         interfaces = &x;
         if (!x.is_array() || x.size() == 0) return c.problem(x, "\"interfaces\" must be a non-empty array");
         std::set<std::string> names;
         for (const json::value& e : x.elements()) {
           interface_settings iface = read_interface(c, e);
           if (!iface.name.empty() && !names.insert(iface.name).second) {
             c.problem(e, fmt::format("interface name \"{}\" is used twice", iface.name));
           }
           settings.interfaces.push_back(std::move(iface));
         }
       }},
  });
  if (doc.value().is_object() && interfaces == nullptr) c.problem(doc.value(), "the configuration needs \"interfaces\"");
  if (!c.ok()) throw config_error(c.report());
  return settings;
}

engine_settings load_config(const std::string& path) {
  std::string problem;
  const std::optional<std::string> text = read_text_file(path, problem);
  if (!text) throw config_error(problem);
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return parse_config(*text, path, dir.empty() ? "." : dir.string());
}

}  // namespace radbridge::config
