#include "core/config.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/host_port.hpp"
#include "json/json_document.hpp"

namespace radbridge::config {

namespace {

// Collects problems while walking the document, so the user sees them all.
class checker {
 public:
  checker(std::string_view file, std::string base_dir) : file_(file), base_dir_(std::move(base_dir)) {}

  void problem(const json::value& v, std::string_view reason) { problems_.push_back(json::located(file_, v, reason)); }
  void problem(const json::member& m, std::string_view reason) { problems_.push_back(json::located(file_, m, reason)); }
  bool ok() const { return problems_.empty(); }
  std::string report() const {
    std::string out;
    for (const auto& p : problems_) out += p + "\n";
    if (!out.empty()) out.pop_back();
    return out;
  }

  // Calls the handler of each member; an unknown key is a problem (typos must not pass silently).
  void members(const json::value& object, std::string_view what,
               const std::map<std::string_view, std::function<void(const json::value&)>>& handlers) {
    if (!object.is_object()) {
      problem(object, fmt::format("{} must be an object, not {}", what, object.kind_name()));
      return;
    }
    for (const json::member& m : object.members()) {
      const auto h = handlers.find(m.key);
      if (h == handlers.end()) {
        problem(m, fmt::format("unknown key \"{}\" in {}", m.key, what));
      } else {
        h->second(m.val);
      }
    }
  }

  void string(const json::value& v, std::string& out, bool non_empty = true) {
    if (!v.is_string()) return problem(v, fmt::format("expected a string, not {}", v.kind_name()));
    if (non_empty && v.as_string().empty()) return problem(v, "must not be empty");
    out = v.as_string();
  }

  void file(const json::value& v, std::string& out) {
    string(v, out);
    if (!out.empty() && std::filesystem::path(out).is_relative()) out = (std::filesystem::path(base_dir_) / out).string();
  }

  void boolean(const json::value& v, bool& out) {
    if (!v.is_bool()) return problem(v, fmt::format("expected true or false, not {}", v.kind_name()));
    out = v.as_bool();
  }

  void count(const json::value& v, std::size_t& out, std::int64_t min, std::int64_t max) {
    if (!v.is_number() || !v.is_integer() || v.as_int64() < min || v.as_int64() > max) {
      return problem(v, fmt::format("expected a whole number from {} to {}", min, max));
    }
    out = static_cast<std::size_t>(v.as_int64());
  }

  void millis(const json::value& v, std::chrono::milliseconds& out) {
    std::size_t n = 0;
    const std::size_t before = problems_.size();
    count(v, n, 1, 7LL * 24 * 3600 * 1000);
    if (problems_.size() == before) out = std::chrono::milliseconds(static_cast<std::int64_t>(n));
  }

  void strings(const json::value& v, std::vector<std::string>& out) {
    if (!v.is_array()) return problem(v, fmt::format("expected an array of strings, not {}", v.kind_name()));
    out.clear();
    for (const json::value& e : v.elements()) {
      std::string s;
      string(e, s);
      out.push_back(std::move(s));
    }
  }

  template <class Enum>
  void choice(const json::value& v, Enum& out, std::initializer_list<std::pair<std::string_view, Enum>> options) {
    std::string text;
    string(v, text);
    std::string names;
    for (const auto& [name, value] : options) {
      if (name == text) {
        out = value;
        return;
      }
      names += names.empty() ? fmt::format("\"{}\"", name) : fmt::format(" or \"{}\"", name);
    }
    if (!text.empty()) problem(v, fmt::format("expected {}, not \"{}\"", names, text));
  }

 private:
  std::string_view file_;
  std::string base_dir_;
  std::vector<std::string> problems_;
};

void read_listen(checker& c, const json::value& v, interface_settings& iface) {
  std::string text;
  c.string(v, text);
  const auto address = parse_host_port(text);
  if (!address) {
    if (!text.empty()) c.problem(v, fmt::format("expected HOST:PORT, e.g. \"127.0.0.1:2575\", not \"{}\"", text));
    return;
  }
  iface.host = address->host;
  iface.port = address->port;
}

void read_tls(checker& c, const json::value& v, tls_settings& tls) {
  c.members(v, "tls", {
                          {"cert", [&](const json::value& x) { c.file(x, tls.cert_file); }},
                          {"key", [&](const json::value& x) { c.file(x, tls.key_file); }},
                          {"ca", [&](const json::value& x) { c.file(x, tls.ca_file); }},
                          {"ciphers", [&](const json::value& x) { c.string(x, tls.ciphers); }},
                          {"ciphersuites", [&](const json::value& x) { c.string(x, tls.ciphersuites); }},
                          {"require_client_cert", [&](const json::value& x) { c.boolean(x, tls.require_client_cert); }},
                      });
  if (!v.is_object()) return;
  if (tls.cert_file.empty() || tls.key_file.empty()) c.problem(v, "tls needs \"cert\" and \"key\"");
  if (tls.require_client_cert && tls.ca_file.empty()) {
    c.problem(v, "tls with \"require_client_cert\" needs \"ca\" to check client certificates against");
  }
}

interface_settings read_interface(checker& c, const json::value& v) {
  interface_settings iface;
  c.members(v, "an interface", {
      {"name", [&](const json::value& x) { c.string(x, iface.name); }},
      {"listen", [&](const json::value& x) { read_listen(c, x, iface); }},
      {"tls", [&](const json::value& x) { read_tls(c, x, iface.tls.emplace()); }},
      {"message_types", [&](const json::value& x) { c.strings(x, iface.message_types); }},
      {"processing_ids", [&](const json::value& x) { c.strings(x, iface.processing_ids); }},
      {"versions", [&](const json::value& x) { c.strings(x, iface.versions); }},
      {"max_frame_bytes", [&](const json::value& x) { c.count(x, iface.max_frame_bytes, 64, 64LL << 20); }},
      {"idle_timeout_ms", [&](const json::value& x) { c.millis(x, iface.idle_timeout); }},
      {"partial_frame_timeout_ms", [&](const json::value& x) { c.millis(x, iface.partial_frame_timeout); }},
      {"max_connections", [&](const json::value& x) { c.count(x, iface.max_connections, 1, 10000); }},
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

}  // namespace

engine_settings parse_config(std::string_view text, std::string_view name, const std::string& base_dir) {
  const json::document_result doc = json::parse_document(text);
  if (!doc) throw config_error(json::format_error(name, doc.error()));
  checker c(name, base_dir);
  engine_settings settings;
  const json::value* interfaces = nullptr;
  c.members(doc.value(), "the configuration", {
      {"database", [&](const json::value& x) { c.string(x, settings.database); }},
      {"application_name", [&](const json::value& x) { c.string(x, settings.application_name); }},
      {"max_commit_group", [&](const json::value& x) { c.count(x, settings.max_commit_group, 1, 10000); }},
      {"commit_workers", [&](const json::value& x) { c.count(x, settings.commit_workers, 1, 64); }},
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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return parse_config(text.str(), path, dir.empty() ? "." : dir.string());
}

}  // namespace radbridge::config
