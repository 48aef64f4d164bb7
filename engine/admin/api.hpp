// The admin API, JSON under /api/v1, for operators and the console; the
// whole contract is the OpenAPI 3 document it serves (openapi.json).
//
// Every request needs `Authorization: Bearer TOKEN` with a token of
// admin.tokens_file (tokens.hpp), checked from the header alone, before the
// body is read or anything of the request is parsed: none or an unknown one
// is 401, a role below the endpoint's 403.
//
//   GET  /api/v1/openapi.json        viewer: this API's OpenAPI 3 document
//   GET  /api/v1/session             viewer: the token's name and role (the
//        console shows what the role allows)
//   GET  /api/v1/messages            viewer: newest first; filters control_id,
//        interface, type (ADT or ADT^A01), ack, status, since, until (ISO
//        8601), before_id (paging), limit (1-200, default 50); phi only: mrn
//        (ID or ID^AUTHORITY) and accession, which find the messages that
//        started jobs for that patient (jobs created since `since`, by
//        default in the last 30 days) or that study, and write an
//        admin_audit row
//   GET  /api/v1/messages/{id}       viewer: the message's header fields,
//        status, ACK code and jobs; phi adds the HL7 text, its parsed tree and
//        the ACK sent, and writes an admin_audit row (read_message)
//   GET  /api/v1/studies/{key}       viewer: the study's trail (accession
//        number or Study Instance UID): jobs, readiness probe, inferences,
//        outputs and every delivery attempt, withdrawals, the radiologists'
//        verdicts (store/feedback_store.hpp), current and superseded
//   POST /api/v1/studies/{key}/feedback  reviewer: body {"route", "finding",
//        "verdict": agree|disagree, "comment"?} on the route's latest result
//   GET  /api/v1/report              viewer: a route's validation report
//        (review/validation.hpp); route, model, since (YYYY-MM-DD)
//   GET  /api/v1/drift               viewer: a route's drift monitors
//        (review/drift.hpp); route
//   GET  /api/v1/worklist            viewer: recent studies by acuity, then
//        arrival (store/worklist_store.hpp); hours (1-168, default 24), limit
//   GET  /api/v1/dead-letters        viewer: oldest first; destination, limit
//   POST /api/v1/dead-letters/{id}/requeue   operator: back on its lane
//   POST /api/v1/dead-letters/{id}/discard   operator: body {"reason": TEXT},
//        never sent
//   GET  /api/v1/destinations        viewer: each configured destination's
//        lane, last attempt, last failure and pause
//   POST /api/v1/destinations/{name}/pause   operator: body {"reason": TEXT}
//   POST /api/v1/destinations/{name}/resume  operator
//   GET  /api/v1/routes              viewer: each route's mode (its mapping's,
//        and the operator's latest change over it) and its recent changes
//   POST /api/v1/routes/{name}/mode  operator: body {"mode": silent|assist|
//        active, "reason": TEXT}; the jobs routed from then on take it
// Every operator action writes an admin_audit row (who, what, when, from
// where). Errors are {"error": TEXT} with 400 (a bad parameter or body,
// named), 404, 405, 409 (already paused), 503 (the database did not
// answer). Responses never carry a token.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "admin/database_thread.hpp"
#include "admin/http_server.hpp"
#include "admin/tokens.hpp"
#include "core/work_kinds.hpp"

namespace radbridge::admin {

// A validation report asked for (GET /api/v1/report) and its answer, built
// by the engine (review/validation_format.hpp's JSON) on the database
// thread: serve gives the builder, so that admin depends on no stage.
struct report_request {
  enum class kind { validation, drift };  // GET /api/v1/report, GET /api/v1/drift
  kind what = kind::validation;
  std::string route;
  std::string model;  // empty: all
  std::string since;  // YYYY-MM-DD, empty: all
};
struct report_answer {
  enum class kind { ok, no_route, bad_since };  // no_route also: a route without drift rules
  kind what = kind::ok;
  std::string json;  // ok: the report; otherwise the reason, as text
};
using report_builder = std::function<report_answer(store::database&, const report_request&)>;

// One route of the mappings as the API reports it.
struct route_summary {
  std::string name;
  work::rollout_mode mapping_mode = work::rollout_mode::silent;
  std::vector<std::string> acuity_levels;  // most urgent first; the last is the route's `otherwise`
};

// What the API knows of the engine's configuration.
struct api_settings {
  std::vector<token_entry> tokens;
  std::vector<std::string> destinations;
  std::vector<route_summary> routes;
  std::chrono::milliseconds timeout{std::chrono::seconds(3)};  // each database call
  report_builder validation_report;  // none: GET /api/v1/report answers 404
};

class api {
 public:
  api(database_thread& db, api_settings settings);

  // For http_server's header check: a refusal for /api/ paths, else nothing.
  std::optional<response> check(const request_header& header) const;
  // A request to /api/ that passed `check`.
  net::asio::awaitable<response> answer(const request& req, const std::string& client);

 private:
  struct caller {
    const token_entry& who;
    const std::string& client;
  };

  net::asio::awaitable<response> list_messages(const request& req, caller by);
  net::asio::awaitable<response> one_message(const request& req, std::int64_t id, caller by);
  net::asio::awaitable<response> study_trail(const request& req, const std::string& key);
  net::asio::awaitable<response> give_feedback(const request& req, const std::string& key, caller by);
  net::asio::awaitable<response> validation_report(const request& req, report_request::kind what);
  net::asio::awaitable<response> worklist(const request& req);
  net::asio::awaitable<response> list_dead_letters(const request& req);
  net::asio::awaitable<response> act_on_dead_letter(const request& req, std::int64_t id, bool requeue, caller by);
  net::asio::awaitable<response> list_destinations(const request& req);
  net::asio::awaitable<response> pause_or_resume(const request& req, const std::string& name, bool pause, caller by);
  net::asio::awaitable<response> list_routes(const request& req);
  net::asio::awaitable<response> change_route_mode(const request& req, const std::string& name, caller by);
  // A database call through db_; an error response when it did not answer.
  net::asio::awaitable<std::optional<response>> run(const request& req,
                                                     const std::function<void(store::database&)>& work);
  std::optional<token_entry> bearer(const request_header& header) const;

  database_thread& db_;
  const api_settings settings_;
};

}  // namespace radbridge::admin
