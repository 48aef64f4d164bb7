#include "hl7/ack.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "hl7/builder.hpp"
#include "hl7/charset.hpp"
#include "hl7/escape.hpp"
#include "hl7/split.hpp"

namespace radbridge::hl7 {

namespace {

// Whether a raw field of the original can be copied into the ACK as written
// and the ACK still parse: no field separator, line end or NUL, every escape
// sequence well formed, every byte valid in the ACK's charset. The original
// may be a message that was rejected for exactly such a field.
bool copyable(std::string_view raw, const delimiters& d, charset cs) noexcept {
  if (raw.find(d.field) != std::string_view::npos ||
      raw.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos ||
      find_invalid_text(raw, cs) != std::string_view::npos) {
    return false;
  }
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::size_t end = 0;
    if (raw[i] == d.escape && check_escape(raw, i, d, end)) return false;
    if (raw[i] == d.escape) i = end - 1;
  }
  return true;
}

// `text` with every byte that is not valid in `cs`, and every NUL (which
// message::parse refuses in any charset), replaced by '?'.
std::string valid_text(std::string_view text, charset cs) {
  std::string out(text);
  std::replace(out.begin(), out.end(), '\0', '?');
  for (std::size_t pos = 0; pos < out.size();) {
    const std::size_t bad = find_invalid_text(std::string_view(out).substr(pos), cs);
    if (bad == std::string_view::npos) break;
    out[pos + bad] = '?';
    pos += bad + 1;
  }
  return out;
}

}  // namespace

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
  const delimiters& d = original.delimiters;
  message_builder b(d);
  // MSH-18 is copied only when radbridge can read it, and with it the
  // charset the copied bytes must be valid in.
  const std::string_view charset_name =
      nth_piece(*nth_piece(original.charset(), d.repetition, 1), d.component, 1).value_or(std::string_view{});
  const std::optional<charset> declared = charset_from_msh18(charset_name);
  const bool copy_charset = !original.charset().empty() && declared && copyable(original.charset(), d, *declared);
  const charset cs = copy_charset ? *declared : charset::ascii;
  // Raw fields are copied as written when they are well formed, else as text.
  auto copy = [&](segment_builder& seg, std::size_t field, std::string_view raw) {
    if (copyable(raw, d, cs)) {
      seg.set_raw(field, raw);
    } else {
      seg.set(field, valid_text(raw, cs));
    }
  };

  segment_builder& msh = b.add("MSH");
  const std::string_view our_app = original.receiving_application();
  if (our_app.empty()) {
    msh.set(3, request.fallback_application);
  } else {
    copy(msh, 3, our_app);
  }
  copy(msh, 4, original.receiving_facility());
  copy(msh, 5, original.sending_application());
  copy(msh, 6, original.sending_facility());
  msh.set(7, request.timestamp);
  msh.set(9, 1, 1, 1, "ACK");
  if (!original.trigger_event().empty()) msh.set(9, 1, 2, 1, valid_text(original.trigger_event(), cs));
  msh.set(9, 1, 3, 1, "ACK");
  msh.set(10, request.control_id);
  copy(msh, 11, original.processing_id());
  copy(msh, 12, original.version());
  if (copy_charset) msh.set_raw(18, original.charset());

  segment_builder& msa = b.add("MSA");
  msa.set(1, ack_code_text(mode_of(original), request.kind, request.code));
  copy(msa, 2, original.control_id());  // byte for byte unless that would break the ACK
  if (!request.errors.empty()) msa.set(3, valid_text(request.errors.front().text, cs));

  for (const ack_error& e : request.errors) {
    segment_builder& seg = b.add("ERR");
    if (!e.where.segment.empty()) {
      seg.set(2, 1, 1, 1, valid_text(e.where.segment, cs));
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
    if (!e.text.empty()) seg.set(8, valid_text(e.text, cs));
  }
  return b.encode();
}

std::string_view ack_code_of(std::string_view ack) noexcept {
  if (ack.size() < 4 || !ack.starts_with("MSH")) return {};
  const char separator = ack[3];
  const char start[] = {'\r', 'M', 'S', 'A', separator};
  const std::size_t at = ack.find(std::string_view(start, sizeof start));
  if (at == std::string_view::npos) return {};
  const std::string_view rest = ack.substr(at + sizeof start);
  return rest.substr(0, std::min(rest.find(separator), rest.find('\r')));
}

}  // namespace radbridge::hl7
