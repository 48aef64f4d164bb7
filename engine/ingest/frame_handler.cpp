#include "ingest/frame_handler.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include <fmt/format.h>

#include "core/sha256.hpp"
#include "core/utc_clock.hpp"
#include "hl7/charset.hpp"
#include "hl7/message.hpp"
#include "hl7/peek.hpp"
#include "hl7/split.hpp"

namespace radbridge::ingest {

namespace {

using hl7::ack_code;

hl7::location msh_field(int number, int component = 0) {
  hl7::location where;
  where.segment = "MSH";
  where.segment_occurrence = 1;
  where.field = number;
  where.component = component;
  return where;
}

hl7::ack_error table_error(int code, hl7::location where, std::string text) {
  hl7::ack_error e;
  e.code = code;
  e.where = std::move(where);
  e.text = std::move(text);
  return e;
}

std::string_view first_component(std::string_view raw, char sep) { return *hl7::nth_piece(raw, sep, 1); }

bool listed(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// The ACK (or nothing, when MSH-15/16 asks for none) for the peeked original.
std::optional<std::string> answer(const hl7::msh_peek& original, ack_code code, std::vector<hl7::ack_error> errors,
                                  ack_stamp& stamp, std::string_view application_name) {
  if (!hl7::should_send(original, hl7::ack_kind::accept, code)) return std::nullopt;
  hl7::ack_request request;
  request.code = code;
  request.kind = hl7::ack_kind::accept;
  request.errors = std::move(errors);
  request.control_id = stamp.next_control_id();
  request.timestamp = stamp.timestamp();
  request.fallback_application = std::string(application_name);
  return hl7::build_ack(original, request);
}

decision reply(const hl7::msh_peek& original, ack_code code, std::vector<hl7::ack_error> errors, std::string reason,
               ack_stamp& stamp, std::string_view application_name) {
  decision d;
  d.reason = std::move(reason);
  d.control_id = std::string(original.control_id());
  auto ack = answer(original, code, std::move(errors), stamp, application_name);
  if (!ack) return d;  // action::ignore
  d.what = action::reply;
  d.reply = std::move(*ack);
  d.ack_code = std::string(hl7::ack_code_text(hl7::mode_of(original), hl7::ack_kind::accept, code));
  return d;
}

}  // namespace

std::string clock_stamp::next_control_id() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return fmt::format("RB{}{:04}", ms, counter_++ % 10000);
}

std::string clock_stamp::timestamp() {
  const utc_time now = utc_now();
  const std::tm& t = now.fields;
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}.{:03}+0000", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                     t.tm_hour, t.tm_min, t.tm_sec, now.millis);
}

bool type_allowed(const std::vector<std::string>& patterns, std::string_view type, std::string_view trigger) {
  if (patterns.empty()) return true;
  for (const std::string& p : patterns) {
    if (p == "*") return true;
    const std::size_t caret = p.find('^');
    const std::string_view p_type = std::string_view(p).substr(0, caret);
    const std::string_view p_trigger = caret == std::string::npos ? "*" : std::string_view(p).substr(caret + 1);
    if (p_type == type && (p_trigger == "*" || p_trigger == trigger)) return true;
  }
  return false;
}

namespace {

// The header as the interface's ACK mode wants it read: MSH-15/16 decide
// the mode, so a forced mode is applied by adjusting them.
hl7::msh_peek peek_for(const config::interface_settings& iface, std::string_view frame) {
  hl7::msh_peek original = hl7::peek_msh(frame);
  if (iface.acks == config::ack_mode::original) {
    original.fields[15] = {};
    original.fields[16] = {};
  } else if (iface.acks == config::ack_mode::enhanced && original.accept_ack_type().empty()) {
    original.fields[15] = "AL";
  }
  return original;
}

// MSH-9.1^MSH-9.2 as a metric label: what a sender writes there is
// arbitrary bytes, so anything but 1 to 16 letters, digits or '_' a part is
// "invalid".
std::string type_label(const hl7::msh_peek& original) {
  const auto plain = [](std::string_view text) {
    return !text.empty() && text.size() <= 16 && std::all_of(text.begin(), text.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
  };
  const std::string_view type = original.message_type(), trigger = original.trigger_event();
  if (!plain(type) || !plain(trigger)) return "invalid";
  return std::string(type) + "^" + std::string(trigger);
}

decision decide_frame(const config::interface_settings& iface, const hl7::msh_peek& original, std::string& frame,
                      ack_stamp& stamp, std::string_view application_name, const client_grant* client) {
  if (original.message_type() == "ACK") {
    decision d;
    d.reason = "ack_received";
    d.control_id = std::string(original.control_id());
    return d;
  }
  hl7::limits lim;
  lim.max_bytes = iface.max_frame_bytes;
  auto parsed = hl7::message::parse(std::string_view(frame), lim);
  if (!parsed) {
    const hl7::error& e = parsed.error();
    const ack_code code = e.code == hl7::errc::xml_encoded ? ack_code::reject : ack_code::error;
    return reply(original, code, {hl7::ack_error::from(e)}, std::string(hl7::to_string(e.code)), stamp,
                 application_name);
  }
  const hl7::message& m = *parsed;
  // Key fields as raw text (escapes kept, so the key is exactly what was
  // sent) but in UTF-8, so a Latin-1 facility name fits a UTF-8 database.
  auto utf8 = [&](std::string_view raw) {
    std::string out;
    hl7::append_utf8(out, raw, m.charset());
    return out;
  };
  std::string sending_application = utf8(m.segment(0).field(3));
  std::string sending_facility = utf8(m.segment(0).field(4));
  // Before anything else about the message: who may send it.
  if (client != nullptr) {
    if (const auto refused = sender_refusal(*client, sending_application, sending_facility)) {
      const bool application = *refused == sender_field::application;
      decision d = reply(original, ack_code::reject,
                         {table_error(hl7::err::internal_error, msh_field(application ? 3 : 4),
                                      std::string(application ? sending_application_refused : sending_facility_refused))},
                         application ? "sending_application_not_allowed" : "sending_facility_not_allowed", stamp,
                         application_name);
      d.security_event = true;
      return d;
    }
  }
  const char comp = m.delimiters().component;
  const std::string_view type = m.message_type();
  const std::string_view trigger = m.trigger_event();
  if (!type_allowed(iface.message_types, type, trigger)) {
    const bool type_known = type_allowed(iface.message_types, type, "*") ||
                            std::any_of(iface.message_types.begin(), iface.message_types.end(), [&](const auto& p) {
                              return std::string_view(p).substr(0, p.find('^')) == type;
                            });
    if (!type_known) {
      return reply(original, ack_code::reject,
                   {table_error(hl7::err::unsupported_message_type, msh_field(9, 1),
                                fmt::format("message type {} is not accepted on interface {}", type, iface.name))},
                   "unsupported_type", stamp, application_name);
    }
    return reply(original, ack_code::reject,
                 {table_error(hl7::err::unsupported_event, msh_field(9, 2),
                              fmt::format("event {}^{} is not accepted on interface {}", type, trigger, iface.name))},
                 "unsupported_event", stamp, application_name);
  }
  const std::string_view processing_id = first_component(m.segment(0).field(11), comp);
  if (!listed(iface.processing_ids, processing_id)) {
    return reply(original, ack_code::reject,
                 {table_error(hl7::err::unsupported_processing_id, msh_field(11),
                              fmt::format("processing id '{}' is not accepted", processing_id))},
                 "unsupported_processing_id", stamp, application_name);
  }
  const std::string_view version = first_component(m.segment(0).field(12), comp);
  if (!iface.versions.empty() && !listed(iface.versions, version)) {
    return reply(original, ack_code::reject,
                 {table_error(hl7::err::unsupported_version, msh_field(12),
                              fmt::format("version '{}' is not accepted", version))},
                 "unsupported_version", stamp, application_name);
  }

  decision d;
  d.what = action::store;
  d.control_id = std::string(m.control_id());
  store::inbound_message& row = d.row;
  row.interface = iface.name;
  row.sending_application = std::move(sending_application);
  row.sending_facility = std::move(sending_facility);
  row.control_id = utf8(m.control_id());
  row.message_type = utf8(type);
  row.trigger_event = utf8(trigger);
  row.payload_sha256 = sha256(frame);
  if (auto ack = answer(original, ack_code::accept, {}, stamp, application_name)) {
    row.ack = std::move(*ack);
    row.ack_code = std::string(hl7::ack_code_text(hl7::mode_of(original), hl7::ack_kind::accept, ack_code::accept));
  }
  d.ack_code = row.ack_code;
  row.payload = std::move(frame);
  return d;
}

}  // namespace

decision decide(const config::interface_settings& iface, std::string frame, ack_stamp& stamp,
                std::string_view application_name, const client_grant* client) {
  const hl7::msh_peek original = peek_for(iface, frame);
  std::string type = type_label(original);
  decision d = decide_frame(iface, original, frame, stamp, application_name, client);
  d.type = std::move(type);
  return d;
}

std::string after_commit(const config::interface_settings& iface, const store::inbound_message& row,
                         const store::inbound_result& stored, ack_stamp& stamp, std::string_view application_name) {
  switch (stored.outcome) {
    case store::inbound_outcome::stored: return row.ack;
    case store::inbound_outcome::duplicate: return stored.stored_ack;
    case store::inbound_outcome::conflict: break;
  }
  const hl7::msh_peek original = peek_for(iface, row.payload);
  const ack_code code = iface.on_conflict == config::conflict_policy::reject ? ack_code::reject : ack_code::error;
  auto ack = answer(original, code,
                    {table_error(hl7::err::duplicate_key, msh_field(10),
                                 "control id already received with a different payload")},
                    stamp, application_name);
  return ack.value_or(std::string{});
}

std::string error_reply(const config::interface_settings& iface, const store::inbound_message& row, ack_code code,
                        std::string_view text, ack_stamp& stamp, std::string_view application_name) {
  const hl7::msh_peek original = peek_for(iface, row.payload);
  auto ack = answer(original, code, {table_error(hl7::err::internal_error, {}, std::string(text))}, stamp,
                    application_name);
  return ack.value_or(std::string{});
}

}  // namespace radbridge::ingest
