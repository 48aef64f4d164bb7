#include "hl7/batch.hpp"

#include <charconv>
#include <string>
#include <utility>

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

error batch_error(std::size_t offset, std::string_view segment, int occurrence) {
  return error{errc::bad_batch, offset, location{std::string(segment.substr(0, 3)), occurrence, 0, 0, 0, 0}};
}

// message::parse reports offsets into its normalised copy, where a CRLF is one
// byte; this maps such an offset back into the raw slice it was given.
std::size_t raw_offset(std::string_view raw, std::size_t normalised) noexcept {
  std::size_t r = 0;
  for (std::size_t n = 0; n < normalised && r < raw.size(); ++n) {
    r += (raw[r] == '\r' && r + 1 < raw.size() && raw[r + 1] == '\n') ? 2u : 1u;
  }
  return r;
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
  std::vector<std::pair<std::size_t, std::size_t>> envelope_lines;  // offset in envelope, in bytes
  std::size_t batches = 0, in_batch = 0;
  bool file_open = false, batch_open = false, file_closed = false;
  for (std::size_t i = 0; i < lines.size();) {
    const line& l = lines[i];
    const std::string_view name = l.text.substr(0, 3);
    // The n-th segment of that name in the file, for the locator (BTS[2]).
    auto fail = [&] {
      int occurrence = 0;
      for (std::size_t k = 0; k <= i; ++k) occurrence += lines[k].text.substr(0, 3) == name ? 1 : 0;
      return batch_error(l.offset, name, occurrence);
    };
    auto keep = [&] {
      envelope_lines.emplace_back(envelope.size(), l.offset);
      envelope.append(l.text);
      envelope.push_back('\r');
      ++i;
    };
    if (file_closed) return fail();
    if (name == "FHS") {
      if (i != 0) return fail();
      file_open = true;
      keep();
    } else if (name == "BHS") {
      if (batch_open) return fail();
      batch_open = true;
      in_batch = 0;
      ++batches;
      keep();
    } else if (name == "BTS") {
      if (!batch_open || !count_matches(field(l.text, 1), in_batch)) return fail();
      batch_open = false;
      keep();
    } else if (name == "FTS") {
      if (!file_open || batch_open || !count_matches(field(l.text, 1), batches)) return fail();
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
        e.offset = l.offset + raw_offset(bytes.substr(l.offset, end - l.offset), e.offset);
        return e;
      }
      out.messages.push_back(std::move(*m));
      ++in_batch;
      i = j;
    } else {
      return fail();
    }
  }
  // BHS without its BTS: the missing one is the BTS of the last batch.
  if (batch_open) return batch_error(bytes.size(), "BTS", static_cast<int>(batches));
  if (!envelope.empty()) {
    auto env = parse_with_header(std::move(envelope), lim, true);
    if (!env) {
      // Its offsets are into `envelope`; report them in the file.
      error e = env.error();
      std::size_t in_bytes = e.offset;
      for (const auto& [in_envelope, line_offset] : envelope_lines) {
        if (in_envelope <= e.offset) in_bytes = line_offset + (e.offset - in_envelope);
      }
      e.offset = in_bytes;
      return e;
    }
    out.envelope = std::move(*env);
  }
  return out;
}

}  // namespace radbridge::hl7
