#include "admin/api.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "admin/api_request.hpp"
#include "admin/assets.hpp"
#include "json/json_writer.hpp"

namespace radbridge::admin {

namespace asio = net::asio;

namespace {

enum class endpoint {
  openapi,
  session,
  messages,
  message,
  study,
  feedback,
  report,
  drift,
  worklist,
  dead_letters,
  requeue,
  discard,
  destinations,
  pause,
  resume,
  routes,
  route_mode
};

struct resolved {
  endpoint what = endpoint::messages;
  role needs = role::viewer;
  http::verb method = http::verb::get;
  std::int64_t id = 0;
  std::string name = {};  // a study key, destination or route, %-decoded
};

// The endpoint a path names (nullopt: none), from the path alone.
std::optional<resolved> resolve(std::string_view path) {
  constexpr std::string_view root = "/api/v1/";
  if (!path.starts_with(root)) return std::nullopt;
  std::vector<std::string_view> parts;
  for (std::string_view rest = path.substr(root.size());;) {
    const std::size_t slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  const auto post = [](endpoint e, std::int64_t id, std::string name) {
    return resolved{e, role::operator_, http::verb::post, id, std::move(name)};
  };
  if (parts.size() == 1) {
    if (parts[0] == "openapi.json") return resolved{endpoint::openapi};
    if (parts[0] == "session") return resolved{endpoint::session};
    if (parts[0] == "messages") return resolved{endpoint::messages};
    if (parts[0] == "worklist") return resolved{endpoint::worklist};
    if (parts[0] == "report") return resolved{endpoint::report};
    if (parts[0] == "drift") return resolved{endpoint::drift};
    if (parts[0] == "dead-letters") return resolved{endpoint::dead_letters};
    if (parts[0] == "destinations") return resolved{endpoint::destinations};
    if (parts[0] == "routes") return resolved{endpoint::routes};
    return std::nullopt;
  }
  // A name in the path: %-decoded, not empty, at most 200 bytes.
  const std::optional<std::string> name = percent_decode(parts[1]);
  if (!name || name->empty() || name->size() > 200) return std::nullopt;
  if (parts.size() == 2 && parts[0] == "messages") {
    if (const auto id = positive_id(parts[1])) return resolved{endpoint::message, role::viewer, http::verb::get, *id};
  }
  if (parts.size() == 2 && parts[0] == "studies") return resolved{endpoint::study, role::viewer, http::verb::get, 0, *name};
  if (parts.size() != 3) return std::nullopt;
  if (parts[0] == "studies" && parts[2] == "feedback") {
    return resolved{endpoint::feedback, role::reviewer, http::verb::post, 0, *name};
  }
  if (parts[0] == "dead-letters" && (parts[2] == "requeue" || parts[2] == "discard")) {
    if (const auto id = positive_id(parts[1])) return post(parts[2] == "requeue" ? endpoint::requeue : endpoint::discard, *id, {});
  }
  if (parts[0] == "destinations" && (parts[2] == "pause" || parts[2] == "resume")) {
    return post(parts[2] == "pause" ? endpoint::pause : endpoint::resume, 0, *name);
  }
  if (parts[0] == "routes" && parts[2] == "mode") return post(endpoint::route_mode, 0, *name);
  return std::nullopt;
}

// Searching messages by patient or study needs the phi role.
bool asks_for_phi(const resolved& e, std::string_view target) {
  if (e.what != endpoint::messages) return false;
  const std::vector<std::string> names = query::names(target);
  return std::any_of(names.begin(), names.end(), [](const std::string& n) { return n == "mrn" || n == "accession"; });
}

}  // namespace

api::api(database_thread& db, api_settings settings) : db_(db), settings_(std::move(settings)) {}

std::optional<token_entry> api::bearer(const request_header& header) const {
  const auto found = header.find(http::field::authorization);
  if (found == header.end()) return std::nullopt;
  const std::string_view value(found->value().data(), found->value().size());
  constexpr std::string_view scheme = "Bearer ";
  if (value.size() <= scheme.size() || !value.starts_with(scheme)) return std::nullopt;
  return find_token(settings_.tokens, value.substr(scheme.size()));
}

std::optional<response> api::check(const request_header& header) const {
  const std::string_view target(header.target().data(), header.target().size());
  if (!target.starts_with("/api/")) return std::nullopt;
  request none;
  none.version(header.version());
  const std::optional<token_entry> who = bearer(header);
  if (!who) {
    response r = error_response(none, http::status::unauthorized,
                                settings_.tokens.empty() ? "no API tokens are configured (admin.tokens_file)"
                                                         : "a bearer token of admin.tokens_file is required");
    r.set(http::field::www_authenticate, "Bearer realm=\"radbridge\"");
    return r;
  }
  const std::optional<resolved> e = resolve(path_of(target));
  if (!e) return std::nullopt;
  const role needs = asks_for_phi(*e, target) ? role::phi : e->needs;
  if (!allows(who->grants, needs)) {
    return error_response(none, http::status::forbidden,
                          fmt::format("this needs the {} role; token \"{}\" has {}", to_string(needs), who->name,
                                      to_string(who->grants)));
  }
  return std::nullopt;
}

asio::awaitable<response> api::answer(const request& req, const std::string& client) {
  const std::string_view target(req.target().data(), req.target().size());
  const std::optional<token_entry> who = bearer(req);  // check() let it through: present
  const std::optional<resolved> e = resolve(path_of(target));
  if (!who) co_return error_response(req, http::status::unauthorized, "a bearer token is required");
  if (!e) co_return error_response(req, http::status::not_found, "no such endpoint");
  if (req.method() != e->method) {
    response r = error_response(req, http::status::method_not_allowed,
                                fmt::format("use {}", std::string(http::to_string(e->method))));
    r.set(http::field::allow, http::to_string(e->method));
    co_return r;
  }
  const caller by{*who, client};
  // g++ 12 mishandles co_await in a switch's cases: one after the other instead.
  response res;
  if (e->what == endpoint::openapi) res = json_response(req, http::status::ok, std::string(asset_body("openapi.json").value_or("{}")));
  if (e->what == endpoint::session) {
    json::writer w;
    w.begin_object().key("name").string(who->name).key("role").string(to_string(who->grants)).end_object();
    res = json_response(req, http::status::ok, w.str());
  }
  if (e->what == endpoint::messages) res = co_await list_messages(req, by);
  if (e->what == endpoint::message) res = co_await one_message(req, e->id, by);
  if (e->what == endpoint::study) res = co_await study_trail(req, e->name);
  if (e->what == endpoint::feedback) res = co_await give_feedback(req, e->name, by);
  if (e->what == endpoint::report) res = co_await validation_report(req, report_request::kind::validation);
  if (e->what == endpoint::drift) res = co_await validation_report(req, report_request::kind::drift);
  if (e->what == endpoint::worklist) res = co_await worklist(req);
  if (e->what == endpoint::dead_letters) res = co_await list_dead_letters(req);
  if (e->what == endpoint::requeue || e->what == endpoint::discard) {
    res = co_await act_on_dead_letter(req, e->id, e->what == endpoint::requeue, by);
  }
  if (e->what == endpoint::destinations) res = co_await list_destinations(req);
  if (e->what == endpoint::pause || e->what == endpoint::resume) {
    res = co_await pause_or_resume(req, e->name, e->what == endpoint::pause, by);
  }
  if (e->what == endpoint::routes) res = co_await list_routes(req);
  if (e->what == endpoint::route_mode) res = co_await change_route_mode(req, e->name, by);
  co_return res;
}

asio::awaitable<std::optional<response>> api::run(const request& req,
                                                   const std::function<void(store::database&)>& work) {
  const call_result r = co_await db_.run(work, settings_.timeout);
  if (r.ok) co_return std::nullopt;
  // A permanent store error is a bug of ours (the inputs were checked), not the database being away.
  co_return error_response(req,
                           r.kind == store::failure::permanent ? http::status::internal_server_error
                                                               : http::status::service_unavailable,
                           r.error);
}

}  // namespace radbridge::admin
