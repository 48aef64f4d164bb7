#include "hl7/peek.hpp"

#include "hl7/split.hpp"

namespace radbridge::hl7 {

namespace {

bool usable_delimiter(char c) noexcept {
  const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  // 0x1C (an MLLP end block) ends the segment, so it cannot separate fields.
  return !alnum && c != '\r' && c != '\n' && c != ' ' && c != '\0' && c != '\x1c' &&
         static_cast<unsigned char>(c) < 0x80;
}

// Offset of the first "MSH" that starts a line (or the input, after the
// blanks message::parse skips there) and is followed by a usable field
// separator.
std::size_t find_msh(std::string_view bytes) noexcept {
  const std::size_t first = bytes.find_first_not_of("\r\n \t");
  for (std::size_t pos = bytes.find("MSH"); pos != std::string_view::npos; pos = bytes.find("MSH", pos + 1)) {
    const bool line_start = pos == 0 || pos == first || bytes[pos - 1] == '\r' || bytes[pos - 1] == '\n' ||
                            bytes[pos - 1] == '\x0b';
    if (line_start && pos + 3 < bytes.size() && usable_delimiter(bytes[pos + 3])) return pos;
  }
  return std::string_view::npos;
}

// Where the segment starting `segment` ends: at CR, LF or an MLLP end block
// (0x1C followed by CR or LF, or last); a lone 0x1C inside is data.
std::size_t segment_length(std::string_view segment) noexcept {
  for (std::size_t pos = segment.find_first_of("\r\n\x1c"); pos != std::string_view::npos;
       pos = segment.find_first_of("\r\n\x1c", pos + 1)) {
    if (segment[pos] != '\x1c' || pos + 1 == segment.size() || segment[pos + 1] == '\r' || segment[pos + 1] == '\n') {
      return pos;
    }
  }
  return segment.size();
}

}  // namespace

std::string_view msh_peek::message_type() const noexcept {
  return nth_piece(field(9), delimiters.component, 1).value_or("");
}

std::string_view msh_peek::trigger_event() const noexcept {
  return nth_piece(field(9), delimiters.component, 2).value_or("");
}

msh_peek peek_msh(std::string_view bytes) noexcept {
  msh_peek out;
  const std::size_t start = find_msh(bytes);
  if (start == std::string_view::npos) return out;
  out.found = true;
  std::string_view segment = bytes.substr(start);
  segment = segment.substr(0, segment_length(segment));
  const char fs = segment[3];
  const std::string_view rest = segment.substr(4);
  const std::string_view msh2 = rest.substr(0, rest.find(fs));
  out.encoding = segment.substr(3, 1 + msh2.size());
  bool usable = msh2.size() >= 4 && msh2.size() <= 5;
  for (std::size_t i = 0; usable && i < msh2.size(); ++i) {
    // Distinct, as message::parse requires: a NAK built with `^^\&` is not HL7.
    usable = usable_delimiter(msh2[i]) && msh2[i] != fs && msh2.find(msh2[i]) == i;
  }
  if (usable) {
    out.delimiters = delimiters{fs, msh2[0], msh2[1], msh2[2], msh2[3], msh2.size() == 5 ? msh2[4] : '\0'};
  } else if (std::string_view("^~\\&").find(fs) == std::string_view::npos) {
    out.delimiters.field = fs;
  }  // else fs clashes with a default delimiter: all the defaults, '|' included
  if (msh2.size() == rest.size()) return out;  // nothing after MSH-2
  std::size_t n = 3;
  for_each_piece(rest.substr(msh2.size() + 1), fs, [&](std::string_view value) {
    if (n < out.fields.size()) out.fields[n] = value;
    ++n;
  });
  return out;
}

}  // namespace radbridge::hl7
