// A real, private PostgreSQL server for tests.
//
// postgres_server runs initdb into a fresh temporary folder (mkdtemp under
// $TMPDIR or /tmp) and starts the server from /usr/lib/postgresql/15/bin (or
// $RADBRIDGE_PG_BINDIR; else the newest /usr/lib/postgresql/*/bin). When the
// test runs as root, initdb, pg_ctl and the server run as the `postgres`
// system user and the folder is chowned to it, because PostgreSQL refuses root.
//
// Guarantees:
// - The server listens only on 127.0.0.1:port() (a free port picked at
//   construction; a clash while starting is retried with a new port) and on a
//   unix socket inside the folder (mode 0700, so only its owner and root reach
//   it). pg_hba.conf trusts that socket and host 127.0.0.1/32, nothing else.
//   Neither extra settings in the options nor ALTER SYSTEM can change that.
// - Database `radbridge` and a password-less superuser role `radbridge` exist;
//   conninfo() reaches them over TCP.
// - Durability is real: fsync, synchronous_commit and full_page_writes are on,
//   so stop()/start() and kill -9 tests mean something (initdb alone runs with
//   --no-sync: a fresh cluster need not survive a machine crash).
// - The server log is a file in the folder; every exception about starting or
//   stopping carries its tail.
// - Nothing is left behind: the destructor stops the server (pg_ctl stop -m
//   fast, then -m immediate, then SIGKILL of the verified postmaster) and
//   removes the folder, also when the constructor failed halfway. A watchdog
//   (/bin/sh, own session, ignores SIGINT/SIGTERM/SIGHUP) does the same if the
//   test process dies without running destructors (abort, SIGKILL, Ctrl-C).
//   Only the process that constructed the server stops it: a forked child that
//   exits does not take its parent's server down.
//
// Not provided: isolation between tests sharing one server (use your own
// schema or table names, or drop what you create), TLS, connection pooling.
// start() and stop() must not race with other calls on the same object;
// psql(), conninfo(), port() and running() may be called from several threads.
// Errors are std::runtime_error with the command, its stderr and, where the
// server is involved, the tail of the server log.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace radbridge::test {

struct postgres_server_options {
  // postgresql.conf lines appended after the fixture's own (later lines win),
  // e.g. "log_statement = 'all'". listen_addresses, unix_socket_directories and
  // the port are written after these and also given on the postmaster's command
  // line, so neither these lines nor ALTER SYSTEM can change them.
  std::vector<std::string> extra_settings;
};

class postgres_server {
 public:
  // initdb, configure, start on a free 127.0.0.1 port, wait until it accepts
  // connections (bounded), create role and database `radbridge`. Throws
  // std::runtime_error (with the server log's tail) if any step fails, after
  // stopping whatever had started and removing the folder.
  postgres_server();
  explicit postgres_server(postgres_server_options options);
  // Stops the server and removes the folder; never throws.
  ~postgres_server();

  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;
  postgres_server(postgres_server&&) = delete;
  postgres_server& operator=(postgres_server&&) = delete;

  // "host=127.0.0.1 port=N dbname=radbridge user=radbridge connect_timeout=5"
  std::string conninfo() const;
  std::uint16_t port() const;

  // Stops the server (for "database down" tests): pg_ctl stop -m fast, then
  // -m immediate, then SIGKILL. Idempotent; a no-op when it is not running.
  void stop();
  // Starts it again on the same port and data folder and waits until it
  // accepts connections; a no-op when it is running. After a kill -9 it waits
  // for the old server's processes to exit and clears the stale postmaster.pid
  // (which a never-reaped zombie postmaster would otherwise keep "alive").
  // Throws if the port has been taken meanwhile or the server does not come up.
  void start();
  // Whether the postmaster of this data folder is alive (it may still be
  // starting or shutting down).
  bool running() const;

  // Runs SQL (one or more statements, psql meta-commands allowed) through psql
  // as the `radbridge` superuser over TCP, with -X -q -A -t and ON_ERROR_STOP;
  // returns stdout without its trailing newlines, or throws with stderr.
  std::string psql(const std::string& sql) const;

  // For failure tests and diagnostics.
  const std::filesystem::path& folder() const { return folder_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::filesystem::path& log_file() const { return log_file_; }
  // The postmaster's PID (e.g. for kill -9), or 0 when it is not running.
  pid_t pid() const;
  // The last max_bytes of the server log.
  std::string log_tail(std::size_t max_bytes = 4096) const;

 private:
  enum class launch_result { started, port_in_use };

  void create();
  void shutdown() noexcept;
  void start_watchdog();
  void release_watchdog(bool clean) noexcept;
  void write_configuration() const;
  launch_result launch();
  void wait_until_ready();
  void clear_stale_lock();
  void bootstrap();
  std::string server_failure(const std::string& what, const std::string& detail) const;

  postgres_server_options options_;
  std::filesystem::path bin_dir_;
  std::filesystem::path folder_;    // mkdtemp result, canonical; owned by the server's user
  std::filesystem::path data_dir_;  // folder_/data
  std::filesystem::path log_file_;  // folder_/postgres.log
  std::uint16_t port_ = 0;
  bool switch_user_ = false;  // running as root: children that touch the cluster run as postgres
  uid_t server_uid_ = 0;
  gid_t server_gid_ = 0;
  pid_t owner_pid_ = 0;  // the process that constructed us; only it stops the server
  std::optional<child_process> watchdog_;
  int watchdog_fd_ = -1;  // closing it without "done" makes the watchdog clean up
};

// One server per test executable, started on first use (later calls rethrow a
// failed start instead of retrying), stopped when the executable exits.
postgres_server& shared_postgres();

}  // namespace radbridge::test
