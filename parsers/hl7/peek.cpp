#include "hl7/peek.hpp"

#include "hl7/split.hpp"

namespace radbridge::hl7 {

namespace {

bool usable_delimiter(char c) noexcept {
  const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return !alnum && c != '\r' && c != '\n' && c != ' ' && c != '\0';
}

// Offset of the first "MSH" that starts a line (or the input) and is followed
// by a usable field separator.
std::size_t find_msh(std::string_view bytes) noexcept {
  for (std::size_t pos = bytes.find("MSH"); pos != std::string_view::npos; pos = bytes.find("MSH", pos + 1)) {
    const bool line_start = pos == 0 || bytes[pos - 1] == '\r' || bytes[pos - 1] == '\n' ||
                            bytes[pos - 1] == '\x0b';
    if (line_start && pos + 3 < bytes.size() && usable_delimiter(bytes[pos + 3])) return pos;
  }
  return std::string_view::npos;
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
  segment = segment.substr(0, segment.find_first_of("\r\n"));
  const char fs = segment[3];
  const std::string_view rest = segment.substr(4);
  const std::string_view msh2 = rest.substr(0, rest.find(fs));
  out.encoding = segment.substr(3, 1 + msh2.size());
  out.delimiters.field = fs;
  if (msh2.size() >= 4 && msh2.size() <= 5) {
    bool ok = true;
    for (char c : msh2) ok = ok && usable_delimiter(c) && c != fs;
    if (ok) {
      out.delimiters = delimiters{fs, msh2[0], msh2[1], msh2[2], msh2[3], msh2.size() == 5 ? msh2[4] : '\0'};
    }
  }
  if (msh2.size() == rest.size()) return out;  // nothing after MSH-2
  std::size_t n = 3;
  for_each_piece(rest.substr(msh2.size() + 1), fs, [&](std::string_view value) {
    if (n < out.fields.size()) out.fields[n] = value;
    ++n;
  });
  return out;
}

}  // namespace radbridge::hl7
