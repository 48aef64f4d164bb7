#include "hl7/charset.hpp"

namespace radbridge::hl7 {

std::optional<charset> charset_from_msh18(std::string_view value) noexcept {
  if (value.empty() || value == "ASCII") return charset::ascii;
  if (value == "8859/1") return charset::latin1;
  if (value == "UNICODE UTF-8") return charset::utf8;
  return std::nullopt;
}

namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 if invalid.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t len = 0;
  unsigned min_second = 0x80, max_second = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    if (lead == 0xE0) min_second = 0xA0;   // overlong
    if (lead == 0xED) max_second = 0x9F;   // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    if (lead == 0xF0) min_second = 0x90;   // overlong
    if (lead == 0xF4) max_second = 0x8F;   // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  if (byte(i + 1) < min_second || byte(i + 1) > max_second) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

}  // namespace

std::size_t find_invalid_text(std::string_view text, charset cs) noexcept {
  if (cs == charset::latin1) return std::string_view::npos;
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

void append_utf8(std::string& out, std::string_view bytes, charset cs) {
  if (cs != charset::latin1) {
    out.append(bytes);
    return;
  }
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char>(0xC0 | (u >> 6)));
      out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
    }
  }
}

bool append_from_utf8(std::string& out, std::string_view text, charset cs) {
  if (cs == charset::utf8) {
    out.append(text);
    return true;
  }
  std::string converted;
  converted.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x80) {
      converted.push_back(text[i]);
      continue;
    }
    // Latin-1 holds U+0080..U+00FF: the two-byte sequences C2 xx and C3 xx.
    if (cs != charset::latin1 || (u != 0xC2 && u != 0xC3) || i + 1 >= text.size()) return false;
    const auto next = static_cast<unsigned char>(text[++i]);
    converted.push_back(static_cast<char>(((u & 0x03) << 6) | (next & 0x3F)));
  }
  out += converted;
  return true;
}

}  // namespace radbridge::hl7
