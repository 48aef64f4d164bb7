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

// One entry of a TLS interface's allow-list: a client certificate, named by
// one identity (compared exactly; DNS names ignoring ASCII case), and
// optionally the MSH-3 and MSH-4 values (whole fields, as sent) that it may
// send as. A certificate may match several entries; a message passes when
// one of them allows both its MSH-3 and its MSH-4.
struct allowed_client {
  enum class field { subject, cn, dns, uri, email };  // RFC 2253 subject, last CN, subjectAltName
  field match = field::cn;
  std::string value;
  std::vector<std::string> sending_applications;  // MSH-3; empty: any
  std::vector<std::string> sending_facilities;    // MSH-4; empty: any
};

struct tls_settings {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;            // required with require_client_cert
  std::string ciphers;            // TLS 1.2 cipher list; empty: OpenSSL's default
  std::string ciphersuites;       // TLS 1.3 suites; empty: OpenSSL's default
  bool require_client_cert = false;
  std::string crl_file;           // PEM CRLs, checked for the client's whole chain (with require_client_cert)
  std::vector<allowed_client> allowed_clients;  // empty: every certificate ca_file verifies (with require_client_cert)
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

// The largest frame an interface may accept: the HL7 parser's default size
// limit (hl7::limits), which the router parses stored messages with, so a
// message an interface accepts is never one the router refuses for size.
inline constexpr std::size_t max_frame_bytes_limit = std::size_t{16} * 1024 * 1024;
// PostgreSQL allows 65,535 bind parameters in one statement, and the store
// inserts a group of messages with one statement of `inbound_parameters_per_row`
// parameters per message (store/statements.hpp; ingest checks they agree):
// that bounds max_commit_group.
inline constexpr std::size_t postgres_max_parameters = 65535;
inline constexpr std::size_t inbound_parameters_per_row = 10;
inline constexpr std::size_t max_commit_group_limit = postgres_max_parameters / inbound_parameters_per_row;
// busy_poll_us at most: a spin longer than a millisecond outlasts the waits
// it is meant to catch (a sender's next frame) and only burns CPU.
inline constexpr std::int64_t max_busy_poll_us = 1000;

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
  // A frame must be complete this long after its first byte (also bounds
  // the TLS handshake and the wait for the peer's close_notify).
  std::chrono::milliseconds partial_frame_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};  // per ACK
  std::size_t max_connections = 64;
  std::size_t max_connections_per_peer = 16;  // from one remote address
  conflict_policy on_conflict = conflict_policy::error;
  database_down_policy on_database_down = database_down_policy::close;
  bool lenient_end_block = false;  // accept 0x1C without the CR after it
};

// Where the pipeline reads studies: a PACS over DICOMweb, or a folder of
// DICOM files (the demo's embedded default). Credentials: basic (user and
// password) or bearer (token), each secret given inline or read from a file
// (core/secret_file.hpp) when the configuration is loaded.
struct pacs_settings {
  std::string dicomweb_url;  // e.g. http://127.0.0.1:8042/dicom-web
  std::string folder;        // instead of a PACS
  std::string user;
  std::string password;       // inline, or read from password_file
  std::string password_file;  // empty: none
  std::string token;          // inline, or read from token_file
  std::string token_file;     // empty: none
  std::string ca_file;
  std::string cert_file;  // https: a client certificate (PEM) ...
  std::string key_file;   // ... and its key
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

// Retries of one outbound message on its lane: exponential backoff from
// first_backoff, doubled per attempt up to max_backoff, with jitter; after
// `attempts` attempts or `max_age` since it was queued it goes to the dead
// letter and the lane moves on.
struct delivery_settings {
  std::size_t attempts = 10;
  std::chrono::milliseconds max_age{std::chrono::hours(24)};
  std::chrono::milliseconds first_backoff{std::chrono::seconds(1)};
  std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // per attempt
};

// Routing, jobs (fetch and inference) and delivery, run by `serve` when the
// configuration has a "pipeline" section.
struct pipeline_settings {
  std::vector<std::string> mappings;  // files or folders
  std::string registry;               // models/registry.json
  pacs_settings pacs;
  std::size_t job_workers = 1;
  std::size_t inference_threads = 2;
  std::size_t job_attempts = 5;  // a study not (yet) in the PACS, a PACS down: tried again, then failed
  std::chrono::milliseconds job_backoff{std::chrono::seconds(5)};
  // How long a claimed job is a worker's; renewed every third of it while the
  // job runs. A worker that stops (crash, kill) gives the job up after this.
  std::chrono::milliseconds job_lease{std::chrono::seconds(60)};
  bool listen = true;  // LISTEN/NOTIFY wakes idle workers (off: polling only, e.g. behind a transaction pooler)
  std::chrono::milliseconds poll{std::chrono::seconds(1)};  // how often idle workers look for work at the latest
  delivery_settings delivery;
};

// The admin HTTP server (engine/admin): health, readiness and metrics. It
// runs with every role; on loopback unless told otherwise.
struct admin_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8410;
  std::optional<tls_settings> tls;
  std::string tokens_file;  // the API's bearer tokens (admin/tokens.hpp); empty: no API access
};

struct engine_settings {
  std::string database;       // libpq conninfo, inline or read from database_file; --db, --db-file and RADBRIDGE_DB override it
  std::string database_file;  // empty: none
  std::string application_name = "RADBRIDGE";  // MSH-3 of our ACKs when the sender left MSH-5 empty
  std::size_t max_commit_group = 256;  // at most max_commit_group_limit
  std::size_t commit_workers = 1;  // database connections the committer sends groups over
  // On SIGTERM: how long connections in the middle of a frame may take to
  // finish it before they are cancelled.
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(10)};
  // How long the listeners' event loop keeps looking for work before it
  // sleeps, while exactly one connection is sending back to back
  // (ingest/busy_poll.hpp); 0: never.
  std::chrono::microseconds busy_poll{500};
  std::vector<interface_settings> interfaces;
  std::optional<pipeline_settings> pipeline;
  admin_settings admin;
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
