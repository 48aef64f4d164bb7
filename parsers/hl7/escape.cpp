#include "hl7/escape.hpp"

#include <array>

namespace radbridge::hl7 {

namespace {

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return c - 'a' + 10;
}

bool all_hex(std::string_view s) noexcept {
  for (char c : s) {
    if (!is_hex(c)) return false;
  }
  return true;
}

// Formatting and charset-switch escapes that are kept verbatim.
bool is_kept_verbatim(std::string_view body) noexcept {
  if (body == "H" || body == "N") return true;
  static constexpr std::array<std::string_view, 8> formatting = {
      ".br", ".sp", ".in", ".ti", ".sk", ".ce", ".fi", ".nf"};
  for (std::string_view f : formatting) {
    if (body.starts_with(f)) {
      std::string_view arg = body.substr(f.size());
      if (arg.starts_with('+') || arg.starts_with('-')) arg.remove_prefix(1);
      bool digits = true;
      for (char c : arg) digits = digits && c >= '0' && c <= '9';
      if (digits) return true;
    }
  }
  // \Cxxyy\ single-byte and \Mxxyyzz\ multi-byte charset switches, \Zxx\ locally defined.
  if (body.size() == 5 && body[0] == 'C') return all_hex(body.substr(1));
  if ((body.size() == 5 || body.size() == 7) && body[0] == 'M') return all_hex(body.substr(1));
  return body.size() >= 2 && body[0] == 'Z';
}

}  // namespace

std::optional<escape_error> check_escape(std::string_view text, std::size_t start,
                                         const delimiters& d, std::size_t& end) noexcept {
  std::size_t i = start + 1;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == d.escape) break;
    if (c == d.field || c == d.component || c == d.repetition || c == d.subcomponent ||
        c == '\r' || c == '\n') {
      return escape_error{errc::bad_escape, start};
    }
  }
  if (i >= text.size()) return escape_error{errc::bad_escape, start};
  const std::string_view body = text.substr(start + 1, i - start - 1);
  end = i + 1;
  if (body.size() == 1) {
    const char c = body[0];
    if (c == 'F' || c == 'S' || c == 'T' || c == 'R' || c == 'E') return std::nullopt;
    if (c == 'P' && d.truncation != '\0') return std::nullopt;
  }
  if (!body.empty() && body[0] == 'X') {
    const std::string_view hex = body.substr(1);
    if (hex.empty() || hex.size() % 2 != 0 || !all_hex(hex)) {
      return escape_error{errc::bad_hex_escape, start};
    }
    return std::nullopt;
  }
  if (is_kept_verbatim(body)) return std::nullopt;
  return escape_error{errc::bad_escape, start};
}

std::optional<escape_error> unescape_into(std::string& out, std::string_view raw,
                                          const delimiters& d, charset cs) {
  std::size_t run_start = 0;
  auto flush_run = [&](std::size_t upto) -> std::optional<escape_error> {
    const std::string_view run = raw.substr(run_start, upto - run_start);
    const std::size_t bad = find_invalid_text(run, cs);
    if (bad != std::string_view::npos) return escape_error{errc::invalid_text, run_start + bad};
    append_utf8(out, run, cs);
    return std::nullopt;
  };
  for (std::size_t i = 0; i < raw.size();) {
    if (raw[i] != d.escape) {
      ++i;
      continue;
    }
    if (auto e = flush_run(i)) return e;
    std::size_t end = 0;
    if (auto e = check_escape(raw, i, d, end)) return e;
    const std::string_view body = raw.substr(i + 1, end - i - 2);
    if (body.size() == 1 && body[0] != 'X') {
      switch (body[0]) {
        case 'F': out.push_back(d.field); break;
        case 'S': out.push_back(d.component); break;
        case 'T': out.push_back(d.subcomponent); break;
        case 'R': out.push_back(d.repetition); break;
        case 'E': out.push_back(d.escape); break;
        case 'P': out.push_back(d.truncation); break;
        default: out.append(raw.substr(i, end - i)); break;  // \H\ \N\ kept verbatim
      }
    } else if (body[0] == 'X') {
      std::string bytes;
      for (std::size_t k = 1; k + 1 < body.size(); k += 2) {
        bytes.push_back(static_cast<char>(hex_value(body[k]) * 16 + hex_value(body[k + 1])));
      }
      if (find_invalid_text(bytes, cs) != std::string_view::npos) {
        return escape_error{errc::invalid_text, i};
      }
      append_utf8(out, bytes, cs);
    } else {
      // Kept verbatim, yet still text in the message's charset: \Zxx\ may
      // hold any byte, and the value handed out must be UTF-8.
      const std::string_view kept = raw.substr(i, end - i);
      if (find_invalid_text(kept, cs) != std::string_view::npos) return escape_error{errc::invalid_text, i};
      append_utf8(out, kept, cs);
    }
    i = end;
    run_start = end;
  }
  return flush_run(raw.size());
}

void escape_into(std::string& out, std::string_view text, const delimiters& d) {
  for (char c : text) {
    char code = 0;
    if (c == d.field) code = 'F';
    else if (c == d.component) code = 'S';
    else if (c == d.subcomponent) code = 'T';
    else if (c == d.repetition) code = 'R';
    else if (c == d.escape) code = 'E';
    else if (d.truncation != '\0' && c == d.truncation) code = 'P';
    if (code != 0) {
      out.push_back(d.escape);
      out.push_back(code);
      out.push_back(d.escape);
    } else if (c == '\r' || c == '\n') {
      out.push_back(d.escape);
      out.append(c == '\r' ? "X0D" : "X0A");
      out.push_back(d.escape);
    } else {
      out.push_back(c);
    }
  }
}

std::string escape(std::string_view text, const delimiters& d) {
  std::string out;
  out.reserve(text.size());
  escape_into(out, text, d);
  return out;
}

}  // namespace radbridge::hl7
