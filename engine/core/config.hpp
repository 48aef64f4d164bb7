// The engine's configuration (`radbridge serve --config FILE`), as plain data.
//
// The JSON schema, with defaults, is documented in README.md ("Configuration")
// and shipped as samples/config/radbridge.json. `load_config` reports every
// problem as `file:line:col: reason` and never returns a half-valid config.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace radbridge::config {

struct tls_settings {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;            // required with require_client_cert
  std::string ciphers;            // TLS 1.2 cipher list; empty: OpenSSL's default
  std::string ciphersuites;       // TLS 1.3 suites; empty: OpenSSL's default
  bool require_client_cert = false;
};

// The answer to a stored key arriving again with a different payload: AE or
// AR, both with ERR-3 205. Never AA: the message is not stored.
enum class conflict_policy { error, reject };
// Which acknowledgement mode answers a message: `automatic` follows its
// MSH-15/MSH-16 (enhanced when either is valued); `original` always answers
// AA/AE/AR; `enhanced` always answers the accept ACK (CA/CE/CR), taking an
// empty MSH-15 as AL.
enum class ack_mode { automatic, original, enhanced };
// What to tell a sender while the database is unreachable (never AA).
enum class database_down_policy { close, reject };

struct interface_settings {
  std::string name;
  std::string host = "127.0.0.1";
  std::uint16_t port = 2575;
  std::optional<tls_settings> tls;
  // "ADT^A01", "ADT^*", "*"; empty: everything.
  std::vector<std::string> message_types;
  ack_mode acks = ack_mode::automatic;
  std::vector<std::string> processing_ids = {"P", "T", "D"};
  std::vector<std::string> versions;  // empty: every version
  std::size_t max_frame_bytes = 4 * 1024 * 1024;
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds partial_frame_timeout{std::chrono::seconds(30)};
  std::size_t max_connections = 64;
  conflict_policy on_conflict = conflict_policy::error;
  database_down_policy on_database_down = database_down_policy::close;
  bool lenient_end_block = false;  // accept 0x1C without the CR after it
};

struct engine_settings {
  std::string database;  // libpq conninfo; --db and RADBRIDGE_DB override it
  std::string application_name = "RADBRIDGE";  // MSH-3 of our ACKs when the sender left MSH-5 empty
  std::size_t max_commit_group = 256;
  std::size_t commit_workers = 1;  // committer threads, one database connection each
  std::vector<interface_settings> interfaces;
};

// Every problem of a configuration file, one `file:line:col: reason` per line.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads and checks a configuration file; relative file names in it (TLS
// certificates and keys) are taken relative to the file's folder.
engine_settings load_config(const std::string& path);
// The same for JSON text; `name` is used in error messages and `base_dir`
// for relative file names.
engine_settings parse_config(std::string_view text, std::string_view name, const std::string& base_dir);

}  // namespace radbridge::config
