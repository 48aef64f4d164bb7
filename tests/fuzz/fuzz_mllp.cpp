// fuzz_mllp: the MLLP framer as the listener drives it, and the listener's
// decision for every frame (engine/ingest/frame_handler: decide, after_commit,
// error_reply), without sockets or a database.
//
// The first input byte picks the interface's settings (bits 0-1: ack_mode
// automatic/original/enhanced; bit 2: lenient_end_block; bit 3: a small
// max_frame_bytes of 64 + byte 1; bit 4: every message type accepted; bit 5:
// versions 2.3 and 2.5.1 only; bit 6: on_conflict reject; bit 7: the
// connection's client certificate may send only as MSH-3 RIS or EPIC with
// MSH-4 GENHOSP); the whole input is then the byte stream received on one
// connection, fed to the framer at once (chunked feeding is fuzz_hl7's job).
//
// Checked for every frame:
//  * an ACK (MSH-9 ACK, as peek_msh reads it) is never answered;
//  * store: the frame parses within the interface's limits, the row holds
//    the frame byte for byte, its key fields (stored as PostgreSQL text) are
//    valid UTF-8 without NUL, its type is one the interface accepts, and its
//    ACK (when MSH-15 asks for one) parses, is AA or CA and echoes MSH-10 in
//    MSA-2; after_commit gives that ACK, the stored ACK for a duplicate, and
//    for a conflict nothing or a NAK with ERR-3 205; error_reply gives
//    nothing or a NAK with ERR-3 207;
//  * reply: the frame was refused for the reason given (the parser's error
//    code when it does not parse), and the NAK parses, is AE/AR/CE/CR as
//    stated, and carries one ERR with the table 0357 code of that reason; a
//    sender the certificate may not send as is an AR/CR 207 and a security
//    event, and nothing else is; a stored row's sender is one it may;
//  * nothing built ever holds a NUL, and no answer is more than 8 times
//    the frame (plus 4 KiB).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "fuzz_check.hpp"
#include "hl7/ack.hpp"
#include "hl7/charset.hpp"
#include "hl7/error.hpp"
#include "hl7/message.hpp"
#include "hl7/peek.hpp"
#include "ingest/client_policy.hpp"
#include "ingest/frame_handler.hpp"
#include "mllp/framer.hpp"

namespace {

namespace hl7 = radbridge::hl7;
namespace mllp = radbridge::mllp;
namespace ingest = radbridge::ingest;
namespace config = radbridge::config;
namespace store = radbridge::store;

// A stamp that never changes, so that equal inputs give equal answers.
class fixed_stamp final : public ingest::ack_stamp {
 public:
  std::string next_control_id() override { return "RB1"; }
  std::string timestamp() override { return "20260101120000.000+0000"; }
};

config::interface_settings interface_for(const std::uint8_t* data, std::size_t size) {
  config::interface_settings i;
  i.name = "fuzz";
  i.message_types = {"ORM^O01", "ADT^*", "ORU^R01"};
  const std::uint8_t bits = size > 0 ? data[0] : 0;
  switch (bits & 3) {
    case 1: i.acks = config::ack_mode::original; break;
    case 2: i.acks = config::ack_mode::enhanced; break;
    default: i.acks = config::ack_mode::automatic; break;
  }
  i.lenient_end_block = (bits & 4) != 0;
  if ((bits & 8) != 0) i.max_frame_bytes = 64 + (size > 1 ? data[1] : 0);
  if ((bits & 16) != 0) i.message_types.clear();
  if ((bits & 32) != 0) i.versions = {"2.3", "2.5.1"};
  if ((bits & 64) != 0) i.on_conflict = config::conflict_policy::reject;
  return i;
}

bool no_nul(std::string_view s) { return s.find('\0') == std::string_view::npos; }

bool text_column(std::string_view s) {
  return no_nul(s) && hl7::find_invalid_text(s, hl7::charset::utf8) == std::string_view::npos;
}

// An answer the listener would send: it parses as an ACK with MSA-1 `code`.
hl7::message check_answer(const std::string& answer, std::string_view code, std::size_t frame_size) {
  FUZZ_CHECK_MSG(no_nul(answer), answer);
  FUZZ_CHECK_MSG(answer.size() <= 8 * frame_size + 4096, answer);
  auto parsed = hl7::message::parse(std::string_view(answer));
  FUZZ_CHECK_MSG(parsed.has_value(), answer + "\n" + (parsed ? std::string() : parsed.error().to_string()));
  FUZZ_CHECK_MSG(parsed->message_type() == "ACK", answer);
  const auto msa1 = parsed->value("MSA-1");
  FUZZ_CHECK_MSG(msa1 && *msa1 == code, answer);
  return std::move(*parsed);
}

std::string err3(const hl7::message& ack) {
  const auto v = ack.value("ERR-3.1");
  return v ? *v : "<" + v.error().to_string() + ">";
}

bool sender_refused(std::string_view reason) {
  return reason == "sending_application_not_allowed" || reason == "sending_facility_not_allowed";
}

int refusal_code(std::string_view reason) {
  if (sender_refused(reason)) return hl7::err::internal_error;
  if (reason == "unsupported_type") return hl7::err::unsupported_message_type;
  if (reason == "unsupported_event") return hl7::err::unsupported_event;
  if (reason == "unsupported_processing_id") return hl7::err::unsupported_processing_id;
  if (reason == "unsupported_version") return hl7::err::unsupported_version;
  return -1;
}

void check_store(const config::interface_settings& iface, const std::string& frame, const ingest::decision& d,
                 const ingest::client_grant* client, ingest::ack_stamp& stamp) {
  hl7::limits lim;
  lim.max_bytes = iface.max_frame_bytes;
  const auto m = hl7::message::parse(std::string_view(frame), lim);
  FUZZ_CHECK_MSG(m.has_value(), m ? std::string() : m.error().to_string());
  const store::inbound_message& row = d.row;
  FUZZ_CHECK(row.payload == frame);
  FUZZ_CHECK(row.payload_sha256.size() == 32);
  FUZZ_CHECK(row.interface == iface.name);
  FUZZ_CHECK_MSG(text_column(row.sending_application), row.sending_application);
  FUZZ_CHECK_MSG(text_column(row.sending_facility), row.sending_facility);
  FUZZ_CHECK_MSG(text_column(row.control_id), row.control_id);
  FUZZ_CHECK_MSG(text_column(row.message_type) && text_column(row.trigger_event), row.message_type);
  FUZZ_CHECK(!row.control_id.empty());
  auto utf8 = [&](std::string_view raw) {
    std::string out;
    hl7::append_utf8(out, raw, m->charset());
    return out;
  };
  FUZZ_CHECK(row.message_type == utf8(m->message_type()) && row.trigger_event == utf8(m->trigger_event()));
  FUZZ_CHECK(row.control_id == utf8(m->control_id()));
  FUZZ_CHECK(ingest::type_allowed(iface.message_types, m->message_type(), m->trigger_event()));
  FUZZ_CHECK(d.ack_code == row.ack_code && !d.security_event);
  if (client != nullptr) {
    FUZZ_CHECK_MSG(!ingest::sender_refusal(*client, row.sending_application, row.sending_facility),
                   row.sending_application + "|" + row.sending_facility);
  }
  if (!row.ack.empty()) {
    FUZZ_CHECK_MSG(row.ack_code == "AA" || row.ack_code == "CA", row.ack_code);
    const hl7::message ack = check_answer(row.ack, row.ack_code, frame.size());
    FUZZ_CHECK_MSG(ack.find("MSA")->field(2) == m->control_id(), row.ack);
  } else {
    FUZZ_CHECK(row.ack_code.empty());
  }

  store::inbound_result stored{store::inbound_outcome::stored, 1, {}};
  FUZZ_CHECK(ingest::after_commit(iface, row, stored, stamp) == row.ack);
  stored.outcome = store::inbound_outcome::duplicate;
  stored.stored_ack = "the ACK stored the first time";
  FUZZ_CHECK(ingest::after_commit(iface, row, stored, stamp) == stored.stored_ack);
  stored.outcome = store::inbound_outcome::conflict;
  const std::string conflict = ingest::after_commit(iface, row, stored, stamp);
  if (!conflict.empty()) {
    const auto code = hl7::message::parse(std::string_view(conflict));
    FUZZ_CHECK_MSG(code.has_value(), conflict);
    const std::string msa1 = code->value("MSA-1").has_value() ? *code->value("MSA-1") : "";
    FUZZ_CHECK_MSG(msa1 == "AE" || msa1 == "AR" || msa1 == "CE" || msa1 == "CR", conflict);
    check_answer(conflict, msa1, frame.size());
    FUZZ_CHECK_MSG(err3(*code) == "205", conflict);
  }
  const std::string failed = ingest::error_reply(iface, row, hl7::ack_code::error, "could not be stored", stamp);
  if (!failed.empty()) {
    const auto code = hl7::message::parse(std::string_view(failed));
    FUZZ_CHECK_MSG(code.has_value(), failed);
    FUZZ_CHECK_MSG(err3(*code) == "207", failed);
  }
}

void check_reply(const config::interface_settings& iface, const std::string& frame, const ingest::decision& d) {
  FUZZ_CHECK_MSG(d.ack_code == "AE" || d.ack_code == "AR" || d.ack_code == "CE" || d.ack_code == "CR", d.ack_code);
  const hl7::message nak = check_answer(d.reply, d.ack_code, frame.size());
  FUZZ_CHECK_MSG(nak.find("ERR").has_value() && !nak.find("ERR", 2).has_value(), d.reply);
  hl7::limits lim;
  lim.max_bytes = iface.max_frame_bytes;
  const auto m = hl7::message::parse(std::string_view(frame), lim);
  const int expected = m ? refusal_code(d.reason) : hl7::hl7_error_code(m.error().code);
  if (!m) FUZZ_CHECK_MSG(d.reason == hl7::to_string(m.error().code), d.reason);
  FUZZ_CHECK_MSG(expected > 0, d.reason);
  FUZZ_CHECK_MSG(d.security_event == sender_refused(d.reason), d.reason);
  if (d.security_event) FUZZ_CHECK_MSG(d.ack_code == "AR" || d.ack_code == "CR", d.ack_code);
  FUZZ_CHECK_MSG(err3(nak) == std::to_string(expected), d.reply);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const config::interface_settings iface = interface_for(data, size);
  mllp::framer_options options;
  options.max_frame_bytes = iface.max_frame_bytes;
  options.lenient_end = iface.lenient_end_block;
  mllp::framer framer(options);
  framer.feed(std::span<const char>(reinterpret_cast<const char*>(data), size));
  fixed_stamp stamp;
  radbridge::config::allowed_client entry;
  entry.value = "ris";
  entry.sending_applications = {"RIS", "EPIC"};
  entry.sending_facilities = {"GENHOSP"};
  ingest::client_grant grant;
  grant.subject = "CN=ris";
  grant.restricted = true;
  grant.entries = {&entry};
  const ingest::client_grant* client = size > 0 && (data[0] & 128) != 0 ? &grant : nullptr;
  while (auto event = framer.next()) {
    if (!event->is_frame()) continue;
    const std::string frame = event->payload();
    const radbridge::fuzz::subject scope(frame, "frame");
    FUZZ_CHECK(frame.size() <= iface.max_frame_bytes);
    const ingest::decision d = ingest::decide(iface, frame, stamp, "RADBRIDGE", client);
    FUZZ_CHECK(!d.reason.empty() || d.what == ingest::action::store);
    if (hl7::peek_msh(frame).message_type() == "ACK") {
      FUZZ_CHECK(d.what == ingest::action::ignore && d.reason == "ack_received");
      continue;
    }
    switch (d.what) {
      case ingest::action::store: check_store(iface, frame, d, client, stamp); break;
      case ingest::action::reply: check_reply(iface, frame, d); break;
      case ingest::action::ignore: FUZZ_CHECK(d.reply.empty()); break;
    }
  }
  return 0;
}
