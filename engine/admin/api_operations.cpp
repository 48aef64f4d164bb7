// The admin API's operator actions and what they act on: dead letters,
// destinations, routes (api.hpp). Each action that changed something is
// followed at once by its admin_audit row.
#include <algorithm>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "admin/api.hpp"
#include "admin/api_request.hpp"
#include "json/json_writer.hpp"
#include "store/admin_store.hpp"
#include "store/destination_store.hpp"
#include "store/outbound_store.hpp"
#include "store/route_mode_store.hpp"

namespace radbridge::admin {

namespace asio = net::asio;

namespace {

store::admin_access access(const token_entry& who, const std::string& client, std::string action, std::string target,
                           std::string detail) {
  return {who.name, std::string(to_string(who.grants)), std::move(action), std::move(target), client,
          std::move(detail)};
}

void write_change(json::writer& w, const store::route_mode_change& c) {
  w.begin_object().key("mode").string(work::to_string(c.mode)).key("changed_by").string(c.changed_by);
  w.key("changed_at").string(c.changed_at).key("reason").string(c.reason).end_object();
}

}  // namespace

asio::awaitable<response> api::list_dead_letters(const request& req) {
  std::string problem;
  const auto q =
      query::parse(std::string_view(req.target().data(), req.target().size()), {"destination", "limit"}, problem);
  if (!q) co_return error_response(req, http::status::bad_request, problem);
  const std::optional<std::string> destination = q->get("destination");
  const auto limit = limit_of(q->get("limit"), 100, 1000);
  if (!limit) co_return error_response(req, http::status::bad_request, "limit must be a whole number from 1 to 1000");
  auto found = std::make_shared<std::vector<store::dead_letter>>();
  const std::function<void(store::database&)> list = [found, destination, n = *limit](store::database& db) {
    *found = store::dead_letters(db, destination, n);
  };
  if (auto refused = co_await run(req, list)) co_return std::move(*refused);
  json::writer w;
  w.begin_object().key("dead_letters").begin_array();
  for (const store::dead_letter& d : *found) {
    w.begin_object().key("id").number(d.id).key("job_id").number(d.job_id).key("destination").string(d.destination);
    w.key("output").string(d.output).key("identity").string(d.identity).key("attempts").number(std::int64_t{d.attempts});
    w.key("last_error").string(d.last_error).key("created_at").string(d.created_at).end_object();
  }
  w.end_array().end_object();
  co_return json_response(req, http::status::ok, w.str());
}

asio::awaitable<response> api::act_on_dead_letter(const request& req, std::int64_t id, bool requeue, caller by) {
  std::string reason;
  if (!requeue) {
    const std::optional<std::string> given = body_text(req, "reason");
    if (!given) co_return error_response(req, http::status::bad_request, "discard needs a body {\"reason\": \"...\"}");
    reason = *given;
  }
  auto done = std::make_shared<bool>(false);
  const std::function<void(store::database&)> act = [done, id, requeue, reason, who = by.who,
                                                     client = by.client](store::database& db) {
    *done = requeue ? store::requeue_dead(db, std::nullopt, {id}) == 1 : store::discard_dead(db, id, who.name, reason);
    if (*done) {
      store::record_admin_access(db, access(who, client, requeue ? "requeue" : "discard",
                                            fmt::format("outbound_messages/{}", id), reason));
    }
  };
  if (auto refused = co_await run(req, act)) co_return std::move(*refused);
  if (!*done) co_return error_response(req, http::status::not_found, fmt::format("no dead letter {}", id));
  json::writer w;
  w.begin_object().key("id").number(id).key("status").string(requeue ? "pending" : "discarded").end_object();
  co_return json_response(req, http::status::ok, w.str());
}

asio::awaitable<response> api::list_destinations(const request& req) {
  std::string problem;
  if (!query::parse(std::string_view(req.target().data(), req.target().size()), {}, problem)) {
    co_return error_response(req, http::status::bad_request, problem);
  }
  auto states = std::make_shared<std::vector<store::destination_state>>();
  const std::function<void(store::database&)> read = [states, names = settings_.destinations](store::database& db) {
    *states = store::destination_states(db, names);
  };
  if (auto refused = co_await run(req, read)) co_return std::move(*refused);
  json::writer w;
  w.begin_object().key("destinations").begin_array();
  for (const store::destination_state& d : *states) {
    w.begin_object().key("name").string(d.name).key("pending").number(d.pending);
    w.key("oldest_pending_seconds").number(d.oldest_pending_seconds).key("dead_letters").number(d.dead);
    text_or_null(w, "last_attempt_at", d.last_attempt_at);
    text_or_null(w, "last_outcome", d.last_outcome);
    text_or_null(w, "last_failure_at", d.last_failure_at);
    text_or_null(w, "last_error", d.last_error);
    w.key("paused");
    if (d.paused) {
      w.begin_object().key("by").string(d.paused->by).key("at").string(d.paused->at);
      w.key("reason").string(d.paused->reason).end_object();
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array().end_object();
  co_return json_response(req, http::status::ok, w.str());
}

asio::awaitable<response> api::pause_or_resume(const request& req, const std::string& name, bool pause, caller by) {
  const auto& known = settings_.destinations;
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    co_return error_response(req, http::status::not_found, fmt::format("no destination \"{}\"", name));
  }
  std::string reason;
  if (pause) {
    const std::optional<std::string> given = body_text(req, "reason");
    if (!given) co_return error_response(req, http::status::bad_request, "pause needs a body {\"reason\": \"...\"}");
    reason = *given;
  }
  auto changed = std::make_shared<bool>(false);
  const std::function<void(store::database&)> act = [changed, name, pause, reason, who = by.who,
                                                     client = by.client](store::database& db) {
    *changed = pause ? store::pause_destination(db, name, who.name, reason) : store::resume_destination(db, name);
    if (*changed) {
      store::record_admin_access(db, access(who, client, pause ? "pause" : "resume", "destinations/" + name, reason));
    }
  };
  if (auto refused = co_await run(req, act)) co_return std::move(*refused);
  if (!*changed) {
    co_return error_response(req, http::status::conflict,
                             fmt::format("destination \"{}\" is {}", name, pause ? "paused already" : "not paused"));
  }
  json::writer w;
  w.begin_object().key("name").string(name).key("paused").boolean(pause).end_object();
  co_return json_response(req, http::status::ok, w.str());
}

asio::awaitable<response> api::list_routes(const request& req) {
  std::string problem;
  if (!query::parse(std::string_view(req.target().data(), req.target().size()), {}, problem)) {
    co_return error_response(req, http::status::bad_request, problem);
  }
  auto history = std::make_shared<std::map<std::string, std::vector<store::route_mode_change>>>();
  const std::function<void(store::database&)> read = [history, routes = settings_.routes](store::database& db) {
    for (const route_summary& r : routes) (*history)[r.name] = store::route_mode_history(db, r.name, 10);
  };
  if (auto refused = co_await run(req, read)) co_return std::move(*refused);
  json::writer w;
  w.begin_object().key("routes").begin_array();
  for (const route_summary& r : settings_.routes) {
    const std::vector<store::route_mode_change>& changes = (*history)[r.name];
    w.begin_object().key("name").string(r.name).key("mapping_mode").string(work::to_string(r.mapping_mode));
    w.key("mode").string(work::to_string(changes.empty() ? r.mapping_mode : changes.front().mode));
    w.key("acuity_levels").begin_array();
    for (const std::string& level : r.acuity_levels) w.string(level);
    w.end_array().key("changes").begin_array();
    for (const store::route_mode_change& c : changes) write_change(w, c);
    w.end_array().end_object();
  }
  w.end_array().end_object();
  co_return json_response(req, http::status::ok, w.str());
}

asio::awaitable<response> api::change_route_mode(const request& req, const std::string& name, caller by) {
  const auto known = std::find_if(settings_.routes.begin(), settings_.routes.end(),
                                  [&](const route_summary& r) { return r.name == name; });
  if (known == settings_.routes.end()) {
    co_return error_response(req, http::status::not_found, fmt::format("no route \"{}\"", name));
  }
  const std::optional<std::string> mode_text = body_text(req, "mode");
  const std::optional<work::rollout_mode> mode =
      mode_text ? work::parse_rollout_mode(*mode_text) : std::optional<work::rollout_mode>{};
  const std::optional<std::string> reason = body_text(req, "reason");
  if (!mode || !reason) {
    co_return error_response(req, http::status::bad_request,
                             "a mode change needs a body {\"mode\": \"silent\" | \"assist\" | \"active\", "
                             "\"reason\": \"...\"}");
  }
  auto change = std::make_shared<store::route_mode_change>();
  const std::function<void(store::database&)> act = [change, name, m = *mode, why = *reason, who = by.who,
                                                     client = by.client](store::database& db) {
    *change = store::set_route_mode(db, name, m, who.name, why);
    store::record_admin_access(db, access(who, client, "route_mode", "routes/" + name,
                                          fmt::format("{}: {}", work::to_string(m), why)));
  };
  if (auto refused = co_await run(req, act)) co_return std::move(*refused);
  json::writer w;
  w.begin_object().key("name").string(name).key("mode").string(work::to_string(change->mode));
  w.key("change");
  write_change(w, *change);
  w.end_object();
  co_return json_response(req, http::status::ok, w.str());
}

}  // namespace radbridge::admin
