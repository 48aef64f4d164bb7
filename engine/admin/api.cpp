#include "admin/api.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "hl7/charset.hpp"
#include "hl7/json_tree.hpp"
#include "hl7/message.hpp"
#include "json/json_document.hpp"
#include "json/json_writer.hpp"
#include "store/admin_store.hpp"
#include "store/outbound_store.hpp"

namespace radbridge::admin {

namespace asio = net::asio;

namespace {

enum class endpoint { messages, message, dead_letters, requeue, discard };

struct resolved {
  endpoint what = endpoint::messages;
  std::int64_t id = 0;
  role needs = role::viewer;
  http::verb method = http::verb::get;
};

std::optional<std::int64_t> id_of(std::string_view text) {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

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
  if (parts.size() == 1 && parts[0] == "messages") return resolved{endpoint::messages};
  if (parts.size() == 1 && parts[0] == "dead-letters") return resolved{endpoint::dead_letters};
  if (parts.size() == 2 && parts[0] == "messages") {
    if (const auto id = id_of(parts[1])) return resolved{endpoint::message, *id};
  }
  if (parts.size() == 3 && parts[0] == "dead-letters" && (parts[2] == "requeue" || parts[2] == "discard")) {
    if (const auto id = id_of(parts[1])) {
      return resolved{parts[2] == "requeue" ? endpoint::requeue : endpoint::discard, *id, role::operator_,
                      http::verb::post};
    }
  }
  return std::nullopt;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

std::string error_json(std::string_view text) {
  json::writer w;
  w.begin_object().key("error").string(text).end_object();
  return w.str();
}

response json_response(const request& req, http::status status, std::string body) {
  return make_response(req, status, std::move(body), "application/json");
}

response error_response(const request& req, http::status status, std::string_view text) {
  return json_response(req, status, error_json(text));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A query name or value: %XX decoded, '+' a space; nullopt for a broken %.
std::optional<std::string> percent_decode(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '+') {
      out += ' ';
    } else if (raw[i] != '%') {
      out += raw[i];
    } else {
      const int hi = i + 1 < raw.size() ? hex_value(raw[i + 1]) : -1;
      const int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

// The query's parameters; a broken escape, or a repeated or unknown name,
// is an error naming it.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view target,
                                                              const std::vector<std::string_view>& known,
                                                              std::string& error) {
  std::map<std::string, std::string> out;
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::optional<std::string> name = percent_decode(pair.substr(0, eq));
    const std::optional<std::string> value =
        percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!name || !value) {
      error = "a malformed %-escape in the query";
      return std::nullopt;
    }
    if (std::find(known.begin(), known.end(), *name) == known.end()) {
      error = fmt::format("unknown parameter \"{}\"", *name);
      return std::nullopt;
    }
    if (!out.emplace(*name, *value).second) {
      error = fmt::format("parameter \"{}\" given twice", *name);
      return std::nullopt;
    }
  }
  return out;
}

std::optional<std::string> take(std::map<std::string, std::string>& q, const std::string& name) {
  const auto found = q.find(name);
  if (found == q.end()) return std::nullopt;
  return found->second;
}

// 1..most, or `fallback` when absent; nullopt when given and out of range.
std::optional<std::size_t> limit_of(const std::optional<std::string>& text, std::size_t fallback, std::size_t most) {
  if (!text) return fallback;
  const auto n = id_of(*text);
  if (!n || static_cast<std::size_t>(*n) > most) return std::nullopt;
  return static_cast<std::size_t>(*n);
}

// An ISO 8601 time as PostgreSQL reads it; checked for its characters here
// so that nothing but a time reaches the query.
bool looks_like_time(std::string_view text) {
  return !text.empty() && text.size() <= 40 && text.find_first_not_of("0123456789-:T.Z+ ") == std::string_view::npos;
}

void write_summary(json::writer& w, const store::message_summary& m) {
  w.key("id").number(m.id).key("interface").string(m.interface);
  w.key("sending_application").string(m.sending_application).key("sending_facility").string(m.sending_facility);
  w.key("control_id").string(m.control_id).key("type").string(m.type).key("received_at").string(m.received_at);
  w.key("status").string(m.status).key("ack").string(m.ack_code).key("bytes").number(m.bytes);
}

// The frame's text in UTF-8, read in the charset its MSH-18 names.
std::string as_utf8(std::string_view payload, const hl7::message* parsed) {
  std::string out;
  hl7::append_utf8(out, payload, parsed != nullptr ? parsed->charset() : hl7::charset::ascii);
  return out;
}

}  // namespace

api::api(database_thread& db, std::vector<token_entry> tokens, std::chrono::milliseconds timeout)
    : db_(db), tokens_(std::move(tokens)), timeout_(timeout) {}

std::optional<token_entry> api::bearer(const request_header& header) const {
  const auto found = header.find(http::field::authorization);
  if (found == header.end()) return std::nullopt;
  const std::string_view value(found->value().data(), found->value().size());
  constexpr std::string_view scheme = "Bearer ";
  if (value.size() <= scheme.size() || !value.starts_with(scheme)) return std::nullopt;
  return find_token(tokens_, value.substr(scheme.size()));
}

std::optional<response> api::check(const request_header& header) const {
  const std::string_view target(header.target().data(), header.target().size());
  if (!target.starts_with("/api/")) return std::nullopt;
  request none;
  none.version(header.version());
  const std::optional<token_entry> who = bearer(header);
  if (!who) {
    response r = error_response(none, http::status::unauthorized,
                                tokens_.empty() ? "no API tokens are configured (admin.tokens_file)"
                                                : "a bearer token of admin.tokens_file is required");
    r.set(http::field::www_authenticate, "Bearer realm=\"radbridge\"");
    return r;
  }
  const std::optional<resolved> e = resolve(path_of(target));
  if (e && !allows(who->grants, e->needs)) {
    return error_response(none, http::status::forbidden,
                          fmt::format("this needs the {} role; token \"{}\" has {}", to_string(e->needs), who->name,
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
  // g++ 12 mishandles co_await in a switch's cases: one after the other instead.
  response res;
  if (e->what == endpoint::messages) res = co_await list_messages(req);
  if (e->what == endpoint::message) res = co_await one_message(req, e->id, *who, client);
  if (e->what == endpoint::dead_letters) res = co_await list_dead_letters(req);
  if (e->what == endpoint::requeue || e->what == endpoint::discard) {
    res = co_await act_on_dead_letter(req, e->id, e->what == endpoint::requeue, *who, client);
  }
  co_return res;
}

asio::awaitable<response> api::list_messages(const request& req) {
  std::string problem;
  auto q = parse_query(std::string_view(req.target().data(), req.target().size()),
                       {"control_id", "interface", "type", "ack", "status", "since", "until", "before_id", "limit"},
                       problem);
  if (!q) co_return error_response(req, http::status::bad_request, problem);
  store::message_filter f;
  f.control_id = take(*q, "control_id");
  f.interface = take(*q, "interface");
  f.type = take(*q, "type");
  f.ack_code = take(*q, "ack");
  f.status = take(*q, "status");
  f.since = take(*q, "since");
  f.until = take(*q, "until");
  const char* bad_time = f.since && !looks_like_time(*f.since)   ? "since"
                         : f.until && !looks_like_time(*f.until) ? "until"
                                                                 : nullptr;
  if (bad_time != nullptr) {
    co_return error_response(req, http::status::bad_request,
                             fmt::format("{} must be an ISO 8601 time, e.g. 2026-12-06T08:00:00Z", bad_time));
  }
  if (const auto before = take(*q, "before_id")) {
    const auto id = id_of(*before);
    if (!id) co_return error_response(req, http::status::bad_request, "before_id must be a positive whole number");
    f.before_id = *id;
  }
  const auto limit = limit_of(take(*q, "limit"), 50, 200);
  if (!limit) co_return error_response(req, http::status::bad_request, "limit must be a whole number from 1 to 200");
  f.limit = *limit;

  auto found = std::make_shared<std::vector<store::message_summary>>();
  const std::function<void(store::database&)> search = [found, f](store::database& db) {
    *found = store::search_messages(db, f);
  };
  const call_result r = co_await db_.run(search, timeout_);
  if (!r.ok && r.kind == store::failure::permanent) {
    co_return error_response(req, http::status::bad_request, "since or until is not a time PostgreSQL reads");
  }
  if (!r.ok) co_return error_response(req, http::status::service_unavailable, r.error);
  json::writer w;
  w.begin_object().key("messages").begin_array();
  for (const store::message_summary& m : *found) {
    w.begin_object();
    write_summary(w, m);
    w.end_object();
  }
  w.end_array().key("next_before_id");
  if (found->size() == f.limit) {
    w.number(found->back().id);
  } else {
    w.null();
  }
  w.end_object();
  co_return json_response(req, http::status::ok, w.str());
}

asio::awaitable<response> api::one_message(const request& req, std::int64_t id, const token_entry& who,
                                           const std::string& client) {
  const bool phi = allows(who.grants, role::phi);
  auto found = std::make_shared<std::optional<store::message_detail>>();
  const std::function<void(store::database&)> read = [found, id, phi, who, client](store::database& db) {
    *found = store::message_by_id(db, id);
    // The read of a body is recorded before the body leaves.
    if (*found && phi) {
      store::record_admin_access(db, {who.name, std::string(to_string(who.grants)), "read_message",
                                      fmt::format("inbound_messages/{}", id), client, ""});
    }
  };
  const call_result r = co_await db_.run(read, timeout_);
  if (!r.ok) co_return error_response(req, http::status::service_unavailable, r.error);
  if (!*found) co_return error_response(req, http::status::not_found, fmt::format("no message {}", id));
  const store::message_detail& d = **found;
  json::writer w;
  w.begin_object();
  write_summary(w, d.summary);
  w.key("jobs").begin_array();
  for (const store::message_job& j : d.jobs) {
    w.begin_object().key("id").number(j.id).key("route").string(j.route).key("status").string(j.status);
    w.key("acuity").string(j.acuity).end_object();
  }
  w.end_array();
  if (phi) {
    const auto parsed = hl7::message::parse(std::string_view(d.payload));
    w.key("hl7").string(as_utf8(d.payload, parsed ? &parsed.value() : nullptr));
    w.key("ack_hl7").string(as_utf8(d.ack, nullptr));
    w.key("tree");
    if (!parsed || hl7::write_json(parsed.value(), w)) w.null();
  }
  w.end_object();
  co_return json_response(req, http::status::ok, w.str());
}

asio::awaitable<response> api::list_dead_letters(const request& req) {
  std::string problem;
  auto q = parse_query(std::string_view(req.target().data(), req.target().size()), {"destination", "limit"}, problem);
  if (!q) co_return error_response(req, http::status::bad_request, problem);
  const std::optional<std::string> destination = take(*q, "destination");
  const auto limit = limit_of(take(*q, "limit"), 100, 1000);
  if (!limit) co_return error_response(req, http::status::bad_request, "limit must be a whole number from 1 to 1000");
  auto found = std::make_shared<std::vector<store::dead_letter>>();
  const std::function<void(store::database&)> list = [found, destination, n = *limit](store::database& db) {
    *found = store::dead_letters(db, destination, n);
  };
  const call_result r = co_await db_.run(list, timeout_);
  if (!r.ok) co_return error_response(req, http::status::service_unavailable, r.error);
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

asio::awaitable<response> api::act_on_dead_letter(const request& req, std::int64_t id, bool requeue,
                                                  const token_entry& who, const std::string& client) {
  std::string reason;
  if (!requeue) {
    const json::document_result body = json::parse_document(req.body());
    const json::value* given = body && body.value().is_object() ? body.value().find("reason") : nullptr;
    if (given == nullptr || !given->is_string() || given->as_string().empty()) {
      co_return error_response(req, http::status::bad_request, "discard needs a body {\"reason\": \"...\"}");
    }
    reason = std::string(given->as_string());
  }
  auto done = std::make_shared<bool>(false);
  const std::function<void(store::database&)> act = [done, id, requeue, reason, who, client](store::database& db) {
    *done = requeue ? store::requeue_dead(db, std::nullopt, {id}) == 1 : store::discard_dead(db, id, who.name, reason);
    if (*done) {
      store::record_admin_access(db, {who.name, std::string(to_string(who.grants)), requeue ? "requeue" : "discard",
                                      fmt::format("outbound_messages/{}", id), client, reason});
    }
  };
  const call_result r = co_await db_.run(act, timeout_);
  if (!r.ok) co_return error_response(req, http::status::service_unavailable, r.error);
  if (!*done) co_return error_response(req, http::status::not_found, fmt::format("no dead letter {}", id));
  json::writer w;
  w.begin_object().key("id").number(id).key("status").string(requeue ? "pending" : "discarded").end_object();
  co_return json_response(req, http::status::ok, w.str());
}

}  // namespace radbridge::admin
