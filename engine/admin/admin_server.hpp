// The admin server (config "admin", default 127.0.0.1:8410), started by
// `serve` for every role, on its own thread so that nothing it does can slow
// the listeners:
//   GET /healthz  200 {"status":"alive"} while the process runs;
//   GET /readyz   200 or 503 with the checks as JSON: the database reachable
//                 and its schema at this build's version, and every model
//                 file matching its registry hash (when this engine runs
//                 jobs). Destinations are reported (pending, oldest, dead
//                 letters) but never make the engine unready: a receiver
//                 being down is what the outbound queue is for;
//   GET /metrics  the Prometheus text format: the stages' metrics
//                 (`stage_metrics`), the database's backlog, process figures
//                 and build information;
//   /api/v1/...   the JSON API for `tokens` (api.hpp);
//   GET /         the web console (its page; /console/* its script and
//                 style), embedded in the binary (assets.hpp): it signs in
//                 with an API token and reads and acts through the API.
// Anything else is 404; another method on these paths 405. Database work
// runs on a thread of its own (database_thread.hpp), each call awaited at
// most `database_timeout`.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "admin/api.hpp"
#include "admin/tokens.hpp"
#include "core/config.hpp"
#include "core/metrics.hpp"
#include "net/asio.hpp"

namespace radbridge::admin {

// One model of the registry, checked against its file when serve started.
struct model_state {
  std::string id;
  std::string version;
  std::string sha256;  // the registry's
  bool verified = false;
  std::string problem;  // when not verified: what was wrong
};

struct admin_sources {
  std::string version;  // radbridge's
  std::function<void(metrics::exposition&)> stage_metrics;  // called on the admin thread
  std::vector<model_state> models;        // empty: this engine runs no jobs
  std::vector<std::string> destinations;  // the mappings' destinations, reported by /readyz and the API
  std::vector<route_summary> routes;      // the mappings' routes, for the API
  std::vector<token_entry> tokens;        // who may use the API (none: it answers 401)
  std::chrono::milliseconds database_timeout{std::chrono::seconds(3)};
  report_builder validation_report;       // the routes' validation reports and drift monitors, for the API
  drift_reader drift;                     // the routes' drift states, for /readyz and /metrics
};

class admin_server {
 public:
  // Binds at once (an address in use fails here, before anything starts);
  // `tls` may be null and must outlive the server.
  admin_server(const config::admin_settings& settings, std::string conninfo, net::asio::ssl::context* tls,
               admin_sources sources);
  ~admin_server();
  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;

  net::tcp::endpoint local_endpoint() const;
  void start();  // its thread
  void stop();   // closes connections, joins the thread

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace radbridge::admin
