// The admin API's studies: one study's trail, a radiologist's verdict on
// its result, and the worklist (api.hpp).
#include <memory>

#include <fmt/format.h>

#include "admin/api.hpp"
#include "admin/api_request.hpp"
#include "json/json_writer.hpp"
#include "store/admin_store.hpp"
#include "store/audit_store.hpp"
#include "store/feedback_store.hpp"
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

void write_feedback(json::writer& w, const store::feedback_entry& f) {
  w.begin_object().key("id").number(f.id).key("route").string(f.route).key("finding").string(f.label);
  w.key("source").string(work::to_string(f.source));
  w.key("verdict");
  f.verdict ? w.string(work::to_string(*f.verdict)) : w.null();
  w.key("value");
  f.value ? w.number(*f.value) : w.null();
  w.key("report_status");
  f.report_status ? w.string(work::to_string(*f.report_status)) : w.null();
  text_or_null(w, "report_time", f.report_time);
  w.key("inbound_id");
  f.inbound_id != 0 ? w.number(f.inbound_id) : w.null();
  w.key("job_id");
  f.job_id != 0 ? w.number(f.job_id) : w.null();
  w.key("ai_verdict");
  f.ai_verdict ? w.string(work::to_string(*f.ai_verdict)) : w.null();
  text_or_null(w, "author", f.author);
  text_or_null(w, "comment", f.comment);
  w.key("recorded_at").string(f.recorded_at);
  text_or_null(w, "superseded_at", f.superseded_at);
  w.end_object();
}

}  // namespace

asio::awaitable<response> api::study_trail(const request& req, const std::string& key) {
  std::string problem;
  if (!query::parse(std::string_view(req.target().data(), req.target().size()), {}, problem)) {
    co_return error_response(req, http::status::bad_request, problem);
  }
  auto jobs = std::make_shared<std::vector<store::job_record>>();
  auto feedback = std::make_shared<std::vector<store::feedback_entry>>();
  const std::function<void(store::database&)> read = [jobs, feedback, key](store::database& db) {
    *jobs = store::audit_study(db, key);
    if (!jobs->empty()) *feedback = store::study_feedback(db, key);
  };
  if (auto refused = co_await run(req, read)) co_return std::move(*refused);
  if (jobs->empty()) co_return error_response(req, http::status::not_found, "no jobs for this study key");
  json::writer w;
  w.begin_object().key("study_key").string(key).key("jobs").begin_array();
  for (const store::job_record& j : *jobs) write_job(w, j);
  w.end_array().key("feedback").begin_array();
  for (const store::feedback_entry& f : *feedback) write_feedback(w, f);
  w.end_array().end_object();
  co_return json_response(req, http::status::ok, w.str());
}

asio::awaitable<response> api::give_feedback(const request& req, const std::string& key, caller by) {
  const std::optional<std::string> route = body_text(req, "route", 200);
  const std::optional<std::string> finding = body_text(req, "finding", 200);
  const std::optional<std::string> verdict = body_text(req, "verdict", 20);
  const std::optional<std::string> comment = body_text(req, "comment", 2000);
  const bool bad_comment = !comment && body_has(req, "comment");  // given, but empty, not text or too long
  if (!route || !finding || !verdict || (*verdict != "agree" && *verdict != "disagree") || bad_comment) {
    co_return error_response(req, http::status::bad_request,
                             "feedback needs a body {\"route\": ..., \"finding\": ..., \"verdict\": \"agree\" | "
                             "\"disagree\", \"comment\": ... (optional, at most 2000 bytes)}");
  }
  const store::manual_verdict v{*route, key, *finding, *verdict == "agree", comment.value_or(""), by.who.name};
  auto outcome = std::make_shared<store::manual_outcome>();
  const std::function<void(store::database&)> act = [outcome, v, who = by.who, client = by.client](store::database& db) {
    *outcome = store::record_manual_verdict(db, v);
    if (outcome->what != store::manual_outcome::kind::recorded) return;
    store::record_admin_access(db, {who.name, std::string(to_string(who.grants)), "feedback", "studies/" + v.study_key,
                                    client, fmt::format("{} {}: {}", v.route, v.label, v.agree ? "agree" : "disagree")});
  };
  if (auto refused = co_await run(req, act)) co_return std::move(*refused);
  if (outcome->what == store::manual_outcome::kind::no_result) {
    co_return error_response(req, http::status::not_found,
                             fmt::format("route \"{}\" has no result on this study to judge", v.route));
  }
  if (outcome->what == store::manual_outcome::kind::no_finding) {
    co_return error_response(req, http::status::bad_request,
                             fmt::format("the route's result has no present/absent finding \"{}\"", v.label));
  }
  json::writer w;
  write_feedback(w, outcome->entry);
  co_return json_response(req, http::status::created, w.str());
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
