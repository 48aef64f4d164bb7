#include "hl7/ack.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "hl7/builder.hpp"

namespace radbridge::hl7 {

std::string_view error_code_text(int code) noexcept {
  switch (code) {
    case 0: return "Message accepted";
    case 100: return "Segment sequence error";
    case 101: return "Required field missing";
    case 102: return "Data type error";
    case 103: return "Table value not found";
    case 104: return "Value too long";
    case 200: return "Unsupported message type";
    case 201: return "Unsupported event code";
    case 202: return "Unsupported processing id";
    case 203: return "Unsupported version id";
    case 204: return "Unknown key identifier";
    case 205: return "Duplicate key identifier";
    case 206: return "Application record locked";
    case 207: return "Application internal error";
    default: return "";
  }
}

ack_error ack_error::from(const error& e) {
  return ack_error{hl7_error_code(e.code), e.where, 'E', e.to_string()};
}

ack_mode mode_of(const msh_peek& original) noexcept {
  return (original.accept_ack_type().empty() && original.application_ack_type().empty()) ? ack_mode::original
                                                                                         : ack_mode::enhanced;
}

bool should_send(const msh_peek& original, ack_kind kind, ack_code code) noexcept {
  if (mode_of(original) == ack_mode::original) return kind == ack_kind::accept;
  const std::string_view condition =
      kind == ack_kind::accept ? original.accept_ack_type() : original.application_ack_type();
  if (condition.empty() || condition == "AL") return true;
  if (condition == "NE") return false;
  if (condition == "ER") return code != ack_code::accept;
  if (condition == "SU") return code == ack_code::accept;
  return true;  // an unknown condition: answering is the safe side
}

std::string_view ack_code_text(ack_mode mode, ack_kind kind, ack_code code) noexcept {
  const bool commit = mode == ack_mode::enhanced && kind == ack_kind::accept;
  switch (code) {
    case ack_code::accept: return commit ? "CA" : "AA";
    case ack_code::error: return commit ? "CE" : "AE";
    case ack_code::reject: return commit ? "CR" : "AR";
  }
  return "AR";
}

std::optional<std::string> build_ack(const msh_peek& original, const ack_request& request) {
  if (original.message_type() == "ACK") return std::nullopt;
  message_builder b(original.delimiters);
  segment_builder& msh = b.add("MSH");
  const std::string_view our_app = original.receiving_application();
  if (our_app.empty()) {
    msh.set(3, request.fallback_application);
  } else {
    msh.set_raw(3, our_app);
  }
  msh.set_raw(4, original.receiving_facility());
  msh.set_raw(5, original.sending_application());
  msh.set_raw(6, original.sending_facility());
  msh.set(7, request.timestamp);
  msh.set(9, 1, 1, 1, "ACK");
  if (!original.trigger_event().empty()) msh.set(9, 1, 2, 1, original.trigger_event());
  msh.set(9, 1, 3, 1, "ACK");
  msh.set(10, request.control_id);
  msh.set_raw(11, original.processing_id());
  msh.set_raw(12, original.version());
  if (!original.charset().empty()) msh.set_raw(18, original.charset());

  segment_builder& msa = b.add("MSA");
  msa.set(1, ack_code_text(mode_of(original), request.kind, request.code));
  msa.set_raw(2, original.control_id());
  if (!request.errors.empty()) msa.set(3, request.errors.front().text);

  for (const ack_error& e : request.errors) {
    segment_builder& seg = b.add("ERR");
    if (!e.where.segment.empty()) {
      seg.set(2, 1, 1, 1, e.where.segment);
      seg.set(2, 1, 2, 1, std::to_string(std::max(e.where.segment_occurrence, 1)));
      if (e.where.field > 0) seg.set(2, 1, 3, 1, std::to_string(e.where.field));
      if (e.where.field > 0) seg.set(2, 1, 4, 1, std::to_string(std::max(e.where.repetition, 1)));
      if (e.where.component > 0) seg.set(2, 1, 5, 1, std::to_string(e.where.component));
      if (e.where.subcomponent > 0) seg.set(2, 1, 6, 1, std::to_string(e.where.subcomponent));
    }
    seg.set(3, 1, 1, 1, std::to_string(e.code));
    seg.set(3, 1, 2, 1, error_code_text(e.code));
    seg.set(3, 1, 3, 1, "HL70357");
    seg.set(4, std::string_view(&e.severity, 1));
    if (!e.text.empty()) seg.set(8, e.text);
  }
  return b.encode();
}

}  // namespace radbridge::hl7
