// The admin API's messages: search and one message (api.hpp).
#include <memory>

#include <fmt/format.h>

#include "admin/api.hpp"
#include "admin/api_request.hpp"
#include "hl7/charset.hpp"
#include "hl7/json_tree.hpp"
#include "hl7/message.hpp"
#include "json/json_writer.hpp"
#include "store/admin_store.hpp"

namespace radbridge::admin {

namespace asio = net::asio;

namespace {

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

// "ID" or "ID^AUTHORITY" (an HL7 CX's first and fourth parts, as analysts write them).
void split_mrn(const std::string& text, store::message_filter& f) {
  const std::size_t caret = text.find('^');
  f.patient_id = text.substr(0, caret);
  if (caret != std::string::npos) f.patient_authority = text.substr(caret + 1);
}

}  // namespace

asio::awaitable<response> api::list_messages(const request& req, caller by) {
  std::string problem;
  const std::string_view target(req.target().data(), req.target().size());
  const auto q = query::parse(target,
                              {"control_id", "interface", "type", "ack", "status", "since", "until", "before_id",
                               "limit", "mrn", "accession"},
                              problem);
  if (!q) co_return error_response(req, http::status::bad_request, problem);
  store::message_filter f;
  f.control_id = q->get("control_id");
  f.interface = q->get("interface");
  f.type = q->get("type");
  f.ack_code = q->get("ack");
  f.status = q->get("status");
  f.since = q->get("since");
  f.until = q->get("until");
  f.accession = q->get("accession");
  if (const auto mrn = q->get("mrn")) split_mrn(*mrn, f);
  if ((f.accession && f.accession->empty()) || (f.patient_id && f.patient_id->empty())) {
    co_return error_response(req, http::status::bad_request, "mrn and accession must not be empty");
  }
  const char* bad_time = f.since && !looks_like_time(*f.since)   ? "since"
                         : f.until && !looks_like_time(*f.until) ? "until"
                                                                 : nullptr;
  if (bad_time != nullptr) {
    co_return error_response(req, http::status::bad_request,
                             fmt::format("{} must be an ISO 8601 time, e.g. 2026-12-06T08:00:00Z", bad_time));
  }
  if (const auto before = q->get("before_id")) {
    const auto id = positive_id(*before);
    if (!id) co_return error_response(req, http::status::bad_request, "before_id must be a positive whole number");
    f.before_id = *id;
  }
  const auto limit = limit_of(q->get("limit"), 50, 200);
  if (!limit) co_return error_response(req, http::status::bad_request, "limit must be a whole number from 1 to 200");
  f.limit = *limit;

  // A search by patient or study is a read of patient identifiers: recorded first.
  const bool by_patient = f.patient_id || f.accession;
  std::string asked;
  if (f.patient_id) asked = "mrn=" + *q->get("mrn");
  if (f.accession) asked += (asked.empty() ? "accession=" : " accession=") + *f.accession;
  auto found = std::make_shared<std::vector<store::message_summary>>();
  const std::function<void(store::database&)> search = [found, f, by_patient, asked, who = by.who,
                                                        client = by.client](store::database& db) {
    if (by_patient) {
      store::record_admin_access(db, {who.name, std::string(to_string(who.grants)), "search_messages",
                                      "inbound_messages", client, asked});
    }
    *found = store::search_messages(db, f);
  };
  const call_result r = co_await db_.run(search, settings_.timeout);
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

asio::awaitable<response> api::one_message(const request& req, std::int64_t id, caller by) {
  const bool phi = allows(by.who.grants, role::phi);
  auto found = std::make_shared<std::optional<store::message_detail>>();
  const std::function<void(store::database&)> read = [found, id, phi, who = by.who,
                                                      client = by.client](store::database& db) {
    *found = store::message_by_id(db, id);
    // The read of a body is recorded before the body leaves.
    if (*found && phi) {
      store::record_admin_access(db, {who.name, std::string(to_string(who.grants)), "read_message",
                                      fmt::format("inbound_messages/{}", id), client, ""});
    }
  };
  if (auto refused = co_await run(req, read)) co_return std::move(*refused);
  if (!*found) co_return error_response(req, http::status::not_found, fmt::format("no message {}", id));
  const store::message_detail& d = **found;
  json::writer w;
  w.begin_object();
  write_summary(w, d.summary);
  w.key("jobs").begin_array();
  for (const store::message_job& j : d.jobs) {
    w.begin_object().key("id").number(j.id).key("route").string(j.route).key("status").string(j.status);
    w.key("acuity").string(j.acuity).key("study_key").string(j.study_key).end_object();
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

}  // namespace radbridge::admin
