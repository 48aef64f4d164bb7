#include "admin/admin_server.hpp"

#include <optional>
#include <thread>
#include <utility>

#include "admin/admin_metrics.hpp"
#include "admin/api.hpp"
#include "admin/assets.hpp"
#include "admin/database_thread.hpp"
#include "admin/http_server.hpp"
#include "admin/readiness.hpp"
#include "core/log.hpp"
#include "store/backlog_store.hpp"

namespace radbridge::admin {

namespace asio = net::asio;

struct admin_server::impl {
  impl(const config::admin_settings& settings, std::string conninfo, asio::ssl::context* tls, admin_sources s)
      : sources(std::move(s)),
        database(io, std::move(conninfo)),
        routes(database, api_settings{sources.tokens, sources.destinations, sources.routes, sources.database_timeout,
                                      sources.validation_report}),
        server(io, net::tcp::endpoint(asio::ip::make_address(settings.host), settings.port), tls, http_limits{},
               [this](const request& req, const std::string& client) { return answer(req, client); },
               [this](const request_header& header) { return routes.check(header); }) {}

  asio::awaitable<response> answer(const request& req, const std::string& client) {
    const std::string_view target(req.target().data(), req.target().size());
    if (target.starts_with("/api/")) co_return co_await routes.answer(req, client);
    const std::string_view path = target.substr(0, target.find('?'));
    // The console's files: "/" is its page, /console/NAME the rest.
    const std::string asset = path == "/" ? "console/index.html"
                              : path.starts_with("/console/") ? std::string(path.substr(1))
                                                               : std::string();
    const std::optional<std::string_view> body = asset.empty() ? std::nullopt : asset_body(asset);
    if (!body && path != "/healthz" && path != "/readyz" && path != "/metrics") {
      co_return make_response(req, http::status::not_found, "not found\n", "text/plain");
    }
    if (req.method() != http::verb::get) {
      response res = make_response(req, http::status::method_not_allowed, "method not allowed\n", "text/plain");
      res.set(http::field::allow, "GET");
      co_return res;
    }
    if (body) {
      response res = make_response(req, http::status::ok, std::string(*body), asset_type(asset));
      // The page runs only its own script and style, and talks only to this server.
      res.set("Content-Security-Policy",
              "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
      res.set("X-Content-Type-Options", "nosniff");
      co_return res;
    }
    if (path == "/healthz") co_return make_response(req, http::status::ok, R"({"status":"alive"})", "application/json");
    const database_state db = co_await database.read_state(sources.database_timeout, sources.drift);
    if (path == "/readyz") {
      const readiness r = check_readiness(db, store::latest_schema_version(), sources.models, sources.destinations);
      co_return make_response(req, r.ready ? http::status::ok : http::status::service_unavailable, r.json,
                              "application/json");
    }
    metrics::exposition out;
    if (sources.stage_metrics) sources.stage_metrics(out);
    write_admin_metrics(out, sources, db, started);
    co_return make_response(req, http::status::ok, out.text(), "text/plain; version=0.0.4; charset=utf-8");
  }

  const std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  admin_sources sources;
  asio::io_context io{1};
  database_thread database;
  api routes;
  http_server server;
  std::optional<std::thread> thread;
};

admin_server::admin_server(const config::admin_settings& settings, std::string conninfo, asio::ssl::context* tls,
                           admin_sources sources)
    : impl_(std::make_unique<impl>(settings, std::move(conninfo), tls, std::move(sources))) {}

admin_server::~admin_server() { stop(); }

net::tcp::endpoint admin_server::local_endpoint() const { return impl_->server.local_endpoint(); }

void admin_server::start() {
  impl_->server.start();
  impl_->thread.emplace([this] { impl_->io.run(); });
  const net::tcp::endpoint at = local_endpoint();
  log::info("admin_listening", {{"address", at.address().to_string()}, {"port", at.port()}});
}

void admin_server::stop() {
  if (!impl_->thread) return;
  // Connections close at once; a database read still running is not waited for.
  impl_->io.stop();
  impl_->thread->join();
  impl_->thread.reset();
  impl_->server.stop();  // the thread is gone: safe from here
}

}  // namespace radbridge::admin
