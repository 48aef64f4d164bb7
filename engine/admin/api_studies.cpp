// The admin API's studies: one study's trail, and the worklist (api.hpp).
#include <memory>

#include <fmt/format.h>

#include "admin/api.hpp"
#include "admin/api_request.hpp"
#include "json/json_writer.hpp"
#include "store/audit_store.hpp"
#include "store/worklist_store.hpp"

namespace radbridge::admin {

namespace asio = net::asio;

namespace {

void write_job(json::writer& w, const store::job_record& j) {
  w.begin_object().key("id").number(j.id).key("route").string(j.route);
  w.key("mode").string(work::to_string(j.mode)).key("status").string(work::to_string(j.status));
  text_or_null(w, "acuity", j.acuity);
  text_or_null(w, "failure", j.failure);
  text_or_null(w, "error", j.error);
  w.key("attempts").number(std::int64_t{j.attempts});
  w.key("inbound_id").number(j.inbound_id).key("control_id").string(j.control_id);
  w.key("created_at").string(j.created_at);
  text_or_null(w, "finished_at", j.finished_at);
  text_or_null(w, "cancelled_by", j.cancelled_by);
  w.key("withdrawn").boolean(j.withdrawn);
  w.key("readiness");
  if (j.probe_series.empty()) {
    w.null();
  } else {
    w.begin_object().key("series_uid").string(j.probe_series).key("instances").number(std::int64_t{j.probe_instances});
    w.key("since").string(j.probe_since).end_object();
  }
  w.key("inferences").begin_array();
  for (const store::inference_record& x : j.inferences) {
    w.begin_object().key("model").string(x.model).key("version").string(x.model_version);
    w.key("sha256").string(x.model_sha256).key("study_uid").string(x.study_uid).key("series_uid").string(x.series_uid);
    // Both were written by the engine as JSON (jsonb): they go out as they are.
    w.key("timings_ms").raw(x.timings_json).key("findings").raw(x.findings_json);
    w.key("at").string(x.created_at).end_object();
  }
  w.end_array().key("outputs").begin_array();
  for (const store::outbound_status& o : j.outbound) {
    w.begin_object().key("id").number(o.id).key("destination").string(o.destination);
    w.key("output").string(work::to_string(o.output)).key("identity").string(o.identity);
    w.key("revision").string(work::to_string(o.revision)).key("status").string(work::to_string(o.status));
    w.key("attempts").number(std::int64_t{o.attempts});
    text_or_null(w, "last_error", o.last_error);
    w.key("deliveries").begin_array();
    for (const store::delivery_attempt& a : j.deliveries) {
      if (a.outbound_id != o.id) continue;
      w.begin_object().key("attempt").number(std::int64_t{a.attempt}).key("outcome").string(a.outcome);
      text_or_null(w, "error", a.error);
      w.key("at").string(a.at).end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
}

}  // namespace

asio::awaitable<response> api::study_trail(const request& req, const std::string& key) {
  std::string problem;
  if (!query::parse(std::string_view(req.target().data(), req.target().size()), {}, problem)) {
    co_return error_response(req, http::status::bad_request, problem);
  }
  auto jobs = std::make_shared<std::vector<store::job_record>>();
  const std::function<void(store::database&)> read = [jobs, key](store::database& db) {
    *jobs = store::audit_study(db, key);
  };
  if (auto refused = co_await run(req, read)) co_return std::move(*refused);
  if (jobs->empty()) co_return error_response(req, http::status::not_found, "no jobs for this study key");
  json::writer w;
  w.begin_object().key("study_key").string(key).key("jobs").begin_array();
  for (const store::job_record& j : *jobs) write_job(w, j);
  w.end_array().end_object();
  co_return json_response(req, http::status::ok, w.str());
}

asio::awaitable<response> api::worklist(const request& req) {
  std::string problem;
  const auto q = query::parse(std::string_view(req.target().data(), req.target().size()), {"hours", "limit"}, problem);
  if (!q) co_return error_response(req, http::status::bad_request, problem);
  const auto hours = limit_of(q->get("hours"), 24, 168);
  if (!hours) co_return error_response(req, http::status::bad_request, "hours must be a whole number from 1 to 168");
  const auto limit = limit_of(q->get("limit"), 100, 500);
  if (!limit) co_return error_response(req, http::status::bad_request, "limit must be a whole number from 1 to 500");
  std::vector<store::acuity_rank> ranks;
  int unranked = 0;
  for (const route_summary& r : settings_.routes) {
    for (std::size_t i = 0; i < r.acuity_levels.size(); ++i) {
      ranks.push_back({r.name, r.acuity_levels[i], static_cast<int>(i)});
      unranked = std::max(unranked, static_cast<int>(i) + 1);
    }
  }
  auto entries = std::make_shared<std::vector<store::worklist_entry>>();
  const std::function<void(store::database&)> read = [entries, ranks, unranked, h = static_cast<int>(*hours),
                                                      n = *limit](store::database& db) {
    *entries = store::worklist(db, ranks, unranked, h, n);
  };
  if (auto refused = co_await run(req, read)) co_return std::move(*refused);
  json::writer w;
  w.begin_object().key("studies").begin_array();
  for (const store::worklist_entry& e : *entries) {
    w.begin_object().key("job_id").number(e.job_id).key("route").string(e.route);
    w.key("study_key_kind").string(work::to_string(e.key_kind)).key("study_key").string(e.study_key);
    w.key("mode").string(work::to_string(e.mode)).key("status").string(work::to_string(e.status));
    text_or_null(w, "acuity", e.acuity);
    w.key("rank").number(std::int64_t{e.rank}).key("arrived_at").string(e.arrived_at);
    text_or_null(w, "finished_at", e.finished_at);
    w.end_object();
  }
  w.end_array().end_object();
  co_return json_response(req, http::status::ok, w.str());
}

}  // namespace radbridge::admin
