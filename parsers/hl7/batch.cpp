#include "hl7/batch.hpp"

#include <charconv>
#include <string>

namespace radbridge::hl7 {

namespace {

std::string_view skip_blank(std::string_view bytes) noexcept {
  const std::size_t start = bytes.find_first_not_of("\r\n \t");
  return start == std::string_view::npos ? std::string_view{} : bytes.substr(start);
}

struct line {
  std::string_view text;  // without terminator
  std::size_t offset;
};

error batch_error(std::size_t offset, std::string_view segment) {
  return error{errc::bad_batch, offset, location{std::string(segment.substr(0, 3)), 1, 0, 0, 0, 0}};
}

// A count field that is empty means "not stated".
bool count_matches(std::string_view stated, std::size_t actual) {
  if (stated.empty()) return true;
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(stated.data(), stated.data() + stated.size(), value);
  return ec == std::errc{} && end == stated.data() + stated.size() && value == actual;
}

}  // namespace

bool looks_like_batch(std::string_view bytes) noexcept {
  const std::string_view s = skip_blank(bytes);
  return s.starts_with("FHS") || s.starts_with("BHS");
}

result<batch> parse_batch(std::string_view bytes, const limits& lim) {
  if (bytes.size() > lim.max_bytes) return error{errc::frame_too_large, lim.max_bytes, {}};
  std::vector<line> lines;
  for (std::size_t pos = 0; pos < bytes.size();) {
    std::size_t end = bytes.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = bytes.size();
    if (end > pos) lines.push_back({bytes.substr(pos, end - pos), pos});
    pos = end + 1;
  }
  if (lines.empty()) return error{errc::empty_input, 0, {}};
  const char field_sep = lines.front().text.size() > 3 ? lines.front().text[3] : '|';
  auto field = [&](std::string_view text, int n) -> std::string_view {
    std::size_t start = 0;
    for (int i = 0; i < n; ++i) {
      start = text.find(field_sep, start);
      if (start == std::string_view::npos) return {};
      ++start;
    }
    const std::size_t end = text.find(field_sep, start);
    return text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  };

  batch out;
  std::string envelope;
  std::size_t batches = 0, in_batch = 0;
  bool file_open = false, batch_open = false, file_closed = false;
  for (std::size_t i = 0; i < lines.size();) {
    const line& l = lines[i];
    const std::string_view name = l.text.substr(0, 3);
    auto keep = [&] {
      envelope.append(l.text);
      envelope.push_back('\r');
      ++i;
    };
    if (file_closed) return batch_error(l.offset, name);
    if (name == "FHS") {
      if (i != 0) return batch_error(l.offset, name);
      file_open = true;
      keep();
    } else if (name == "BHS") {
      if (batch_open) return batch_error(l.offset, name);
      batch_open = true;
      in_batch = 0;
      ++batches;
      keep();
    } else if (name == "BTS") {
      if (!batch_open || !count_matches(field(l.text, 1), in_batch)) return batch_error(l.offset, name);
      batch_open = false;
      keep();
    } else if (name == "FTS") {
      if (!file_open || batch_open || !count_matches(field(l.text, 1), batches)) return batch_error(l.offset, name);
      file_closed = true;
      keep();
    } else if (name == "MSH") {
      std::size_t j = i + 1;
      while (j < lines.size()) {
        const std::string_view next = lines[j].text.substr(0, 3);
        if (next == "MSH" || next == "BHS" || next == "BTS" || next == "FTS" || next == "FHS") break;
        ++j;
      }
      const std::size_t end = j < lines.size() ? lines[j].offset : bytes.size();
      auto m = message::parse(bytes.substr(l.offset, end - l.offset), lim);
      if (!m) {
        error e = m.error();
        e.offset += l.offset;
        return e;
      }
      out.messages.push_back(std::move(*m));
      ++in_batch;
      i = j;
    } else {
      return batch_error(l.offset, name);
    }
  }
  if (batch_open) return batch_error(bytes.size(), "BTS");  // BHS without its BTS
  if (!envelope.empty()) {
    auto env = parse_with_header(std::move(envelope), lim, true);
    if (!env) return env.error();
    out.envelope = std::move(*env);
  }
  return out;
}

}  // namespace radbridge::hl7
