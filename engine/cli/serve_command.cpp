#include "cli/serve_command.hpp"

#include <csignal>
#include <filesystem>
#include <cstdlib>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "admin/admin_server.hpp"
#include "cli/cli.hpp"
#include "cli/serve_admin.hpp"
#include "core/config.hpp"
#include "core/host_port.hpp"
#include "core/log.hpp"
#include "core/secret_file.hpp"
#include "infer/model_registry.hpp"
#include "ingest/busy_poll.hpp"
#include "ingest/client_policy.hpp"
#include "ingest/group_committer.hpp"
#include "ingest/listener.hpp"
#include "jobs/pipeline.hpp"
#include "route/mapping_loader.hpp"
#include "net/asio.hpp"
#include "net/loopback.hpp"
#include "net/tls.hpp"
#include "store/database.hpp"
#include "store/store_error.hpp"

namespace radbridge::cli {

namespace {

constexpr std::string_view serve_usage =
    "usage: radbridge serve --config FILE [--db CONNINFO | --db-file FILE] [--listen HOST:PORT]\n"
    "                       [--admin-listen HOST:PORT] [--roles ingest,route,jobs,deliver]\n";
constexpr std::string_view migrate_usage =
    "usage: radbridge migrate (--db CONNINFO | --db-file FILE)   (or RADBRIDGE_DB)\n";

struct serve_roles {
  bool ingest = false;
  jobs::pipeline_roles pipeline{false, false, false};
};

// "ingest,route,jobs,deliver" (any non-empty subset, each once).
std::optional<serve_roles> parse_roles(std::string_view text) {
  serve_roles r;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view role = text.substr(start, comma - start);
    bool* flag = role == "ingest"    ? &r.ingest
                 : role == "route"   ? &r.pipeline.route
                 : role == "jobs"    ? &r.pipeline.jobs
                 : role == "deliver" ? &r.pipeline.deliver
                                     : nullptr;
    if (flag == nullptr || *flag) return std::nullopt;
    *flag = true;
    start = comma + 1;
  }
  return r;
}

// One warning line per secret file of the configuration that group or
// others may read (the --db-file is warned about where it is read), and one
// for a PACS reached in plain text off the host (the destinations' are
// warned about as their senders are made).
void warn_at_start(const config::engine_settings& s) {
  secrets::warn_if_readable_by_others("database_file", s.database_file);
  for (const config::interface_settings& iface : s.interfaces) {
    if (iface.tls) secrets::warn_if_readable_by_others("interface " + iface.name + " tls key", iface.tls->key_file);
  }
  if (!s.pipeline) return;
  secrets::warn_if_readable_by_others("pacs password_file", s.pipeline->pacs.password_file);
  secrets::warn_if_readable_by_others("pacs token_file", s.pipeline->pacs.token_file);
  secrets::warn_if_readable_by_others("pacs key_file", s.pipeline->pacs.key_file);
  if (net::plain_http_off_host(s.pipeline->pacs.dicomweb_url))
    log::warn("pacs_plain_text", {{"address", s.pipeline->pacs.dicomweb_url}});
}

bool apply_listen(std::string_view text, std::string& host, std::uint16_t& port) {
  const auto address = parse_host_port(text);
  if (!address) return false;
  host = address->host;
  port = address->port;
  return true;
}

}  // namespace

int run_migrate(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  database_options db_options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--db" && i + 1 < args.size()) {
      db_options.conninfo = args[++i];
    } else if (args[i] == "--db-file" && i + 1 < args.size()) {
      db_options.file = args[++i];
    } else {
      err << migrate_usage;
      return exit_usage;
    }
  }
  int code = exit_ok;
  const std::optional<std::string> found = database_conninfo_or_say("migrate", db_options, "", err, code);
  if (!found) return code;
  const std::string& conninfo = *found;
  if (conninfo.empty()) {
    err << migrate_usage;
    return exit_usage;
  }
  try {
    store::database db(conninfo);
    const std::vector<std::string> applied = db.migrate();
    for (const std::string& name : applied) out << "applied " << name << '\n';
    out << "schema version " << db.schema_version() << (applied.empty() ? " (up to date)\n" : "\n");
    return exit_ok;
  } catch (const store::store_error& e) {
    err << "radbridge migrate: " << e.what() << '\n';
    return exit_failure;
  }
}

int run_serve(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::optional<std::string_view> config_path, listen_flag, admin_listen_flag;
  database_options db_options;
  serve_roles roles{true, {true, true, true}};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      out << serve_usage;
      return exit_ok;
    }
    if (i + 1 == args.size()) {
      err << serve_usage;
      return exit_usage;
    }
    if (a == "--config") {
      config_path = args[++i];
    } else if (a == "--db") {
      db_options.conninfo = args[++i];
    } else if (a == "--db-file") {
      db_options.file = args[++i];
    } else if (a == "--listen") {
      listen_flag = args[++i];
    } else if (a == "--admin-listen") {
      admin_listen_flag = args[++i];
    } else if (a == "--roles") {
      const auto parsed = parse_roles(args[++i]);
      if (!parsed) {
        err << "radbridge serve: --roles takes ingest, route, jobs and deliver, comma-separated, each once; not '"
            << args[i] << "'\n";
        return exit_usage;
      }
      roles = *parsed;
    } else {
      err << "radbridge serve: unknown option '" << a << "'\n" << serve_usage;
      return exit_usage;
    }
  }
  if (!config_path) {
    err << serve_usage;
    return exit_usage;
  }

  config::engine_settings settings;
  try {
    settings = config::load_config(std::string(*config_path));
  } catch (const config::config_error& e) {
    err << e.what() << '\n';
    return exit_failure;
  }
  if (listen_flag && !apply_listen(*listen_flag, settings.interfaces.front().host, settings.interfaces.front().port)) {
    err << "radbridge serve: --listen expects HOST:PORT, not '" << *listen_flag << "'\n";
    return exit_usage;
  }
  if (admin_listen_flag && !apply_listen(*admin_listen_flag, settings.admin.host, settings.admin.port)) {
    err << "radbridge serve: --admin-listen expects HOST:PORT, not '" << *admin_listen_flag << "'\n";
    return exit_usage;
  }
  std::vector<admin::token_entry> tokens;
  if (!settings.admin.tokens_file.empty()) {
    try {
      tokens = admin::load_tokens(settings.admin.tokens_file);
    } catch (const admin::token_error& e) {
      err << "radbridge serve: the admin tokens file has problems:\n" << e.what() << '\n';
      return exit_failure;
    }
  }
  int code = exit_ok;
  const std::optional<std::string> found = database_conninfo_or_say("serve", db_options, settings.database, err, code);
  if (!found) return code;
  const std::string conninfo = *found;
  if (conninfo.empty()) {
    err << "radbridge serve: no database: give --db or --db-file, set RADBRIDGE_DB, or set \"database\" or "
           "\"database_file\" in the config\n";
    return exit_usage;
  }
  warn_at_start(settings);

  // Routes, jobs and delivery: an invalid mapping or registry refuses the start, before the
  // database is touched (the pipeline connects only when it starts).
  std::unique_ptr<jobs::pipeline> pipeline;
  if (settings.pipeline) {
    try {
      const jobs::worker_launch worker{sibling_executable("radbridge-worker"),
                                       std::filesystem::absolute(std::string(*config_path)).string()};
      pipeline = std::make_unique<jobs::pipeline>(conninfo, *settings.pipeline, roles.pipeline, worker);
    } catch (const route::mapping_error& e) {
      err << "radbridge serve: the mappings have problems:\n" << e.what() << '\n';
      return exit_failure;
    } catch (const infer::registry_error& e) {
      err << "radbridge serve: the model registry has problems:\n" << e.what() << '\n';
      return exit_failure;
    }
  }

  try {
    store::database db(conninfo);
    for (const std::string& name : db.migrate()) log::info("migration_applied", {{"name", name}});
  } catch (const store::store_error& e) {
    // Without its schema the engine could store nothing: refuse to start.
    err << "radbridge serve: " << e.what() << '\n';
    return exit_failure;
  }

  try {
    net::asio::io_context io(1);  // run by this thread only (concurrency hint 1)
    // Member order matters: listeners use the committer and TLS contexts, so
    // they are declared after them and destroyed first.
    std::optional<ingest::group_committer> committer;
    if (roles.ingest) committer.emplace(io, conninfo, settings.max_commit_group, settings.commit_workers);
    std::vector<std::unique_ptr<net::asio::ssl::context>> tls_contexts;
    std::vector<std::unique_ptr<ingest::listener>> listeners;
    for (const config::interface_settings& iface : roles.ingest ? settings.interfaces
                                                                : std::vector<config::interface_settings>{}) {
      net::asio::ssl::context* tls = nullptr;
      if (iface.tls) {
        tls_contexts.push_back(
            std::make_unique<net::asio::ssl::context>(net::make_server_context(ingest::server_tls_options(*iface.tls))));
        tls = tls_contexts.back().get();
      }
      listeners.push_back(std::make_unique<ingest::listener>(io, iface, *committer, settings.application_name, tls));
    }
    std::unique_ptr<net::asio::ssl::context> admin_tls;
    if (settings.admin.tls) {
      admin_tls = std::make_unique<net::asio::ssl::context>(
          net::make_server_context(ingest::server_tls_options(*settings.admin.tls)));
    }
    std::unique_ptr<admin::admin_server> admin_server;
    admin::admin_sources sources =
        admin_sources_for(listeners, committer ? &*committer : nullptr, pipeline.get(), roles.pipeline.jobs);
    sources.tokens = std::move(tokens);
    try {
      admin_server = std::make_unique<admin::admin_server>(settings.admin, conninfo, admin_tls.get(), std::move(sources));
    } catch (const boost::system::system_error& e) {
      err << "radbridge serve: admin server on " << settings.admin.host << ':' << settings.admin.port << ": "
          << e.code().message() << '\n';
      return exit_failure;
    }
    net::asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      log::info("shutting_down", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
      for (auto& l : listeners) l->stop(settings.drain_timeout);
    });
    for (auto& l : listeners) l->start();
    admin_server->start();
    if (pipeline) pipeline->start();
    ingest::run_busy_polling(io, settings.busy_poll, [&committer, &settings] {
      return committer && ingest::spin_pays(committer->sole_sender_turnaround(std::chrono::steady_clock::now()),
                                            settings.busy_poll);
    });
    admin_server->stop();
    if (pipeline) pipeline->stop();
    log::info("stopped");
    return exit_ok;
  } catch (const std::exception& e) {
    err << "radbridge serve: " << e.what() << '\n';
    return exit_failure;
  }
}

}  // namespace radbridge::cli
