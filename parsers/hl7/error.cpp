#include "hl7/error.hpp"

#include <fmt/format.h>

namespace radbridge::hl7 {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::empty_input: return "empty_input";
    case errc::xml_encoded: return "xml_encoded";
    case errc::missing_msh: return "missing_msh";
    case errc::bad_encoding_chars: return "bad_encoding_chars";
    case errc::bad_segment_name: return "bad_segment_name";
    case errc::missing_required_field: return "missing_required_field";
    case errc::frame_too_large: return "frame_too_large";
    case errc::too_many_segments: return "too_many_segments";
    case errc::too_many_fields: return "too_many_fields";
    case errc::too_many_repetitions: return "too_many_repetitions";
    case errc::bad_escape: return "bad_escape";
    case errc::bad_hex_escape: return "bad_hex_escape";
    case errc::unknown_charset: return "unknown_charset";
    case errc::invalid_text: return "invalid_text";
    case errc::bad_batch: return "bad_batch";
    case errc::bad_path: return "bad_path";
  }
  return "unknown";
}

int hl7_error_code(errc code) noexcept {
  switch (code) {
    case errc::empty_input:
    case errc::missing_msh:
    case errc::bad_encoding_chars:
    case errc::bad_segment_name:
    case errc::bad_batch:
      return 100;  // segment sequence error
    case errc::missing_required_field:
      return 101;  // required field missing
    case errc::xml_encoded:
    case errc::bad_escape:
    case errc::bad_hex_escape:
    case errc::invalid_text:
      return 102;  // data type error
    case errc::unknown_charset:
      return 103;  // table value not found
    case errc::frame_too_large:
    case errc::too_many_segments:
    case errc::too_many_fields:
    case errc::too_many_repetitions:
      return 104;  // value too long
    case errc::bad_path:
      return 207;  // application internal error: paths come from radbridge, never from the sender
  }
  return 207;
}

std::string location::to_string() const {
  if (segment.empty()) return {};
  std::string out = segment;
  if (segment_occurrence > 1) out += fmt::format("[{}]", segment_occurrence);
  if (field == 0) return out;
  out += fmt::format("-{}", field);
  if (repetition > 1) out += fmt::format("[{}]", repetition);
  if (component > 0) out += fmt::format(".{}", component);
  if (component > 0 && subcomponent > 0) out += fmt::format(".{}", subcomponent);
  return out;
}

std::string error::to_string() const {
  std::string where_text = where.to_string();
  if (where_text.empty()) return fmt::format("{} (byte {})", hl7::to_string(code), offset);
  return fmt::format("{} at {} (byte {})", hl7::to_string(code), where_text, offset);
}

}  // namespace radbridge::hl7
