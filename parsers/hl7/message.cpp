#include "hl7/message.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "hl7/ascii.hpp"
#include "hl7/escape.hpp"
#include "hl7/split.hpp"

namespace radbridge::hl7 {

namespace {

using ascii::is_alnum;
using ascii::is_upper;

// Neither NUL nor a byte >= 0x80 can be a delimiter: the latter is no
// character of its own in UTF-8, and the text check would reject the message
// as soon as it used one. peek_msh (for NAKs) applies the same rule.
bool is_non_ascii_or_nul(char c) noexcept { return c == '\0' || static_cast<unsigned char>(c) >= 0x80; }
bool is_header_name(std::string_view name) noexcept {
  return name == "MSH" || name == "FHS" || name == "BHS";
}

bool valid_segment_name(std::string_view s) noexcept {
  if (s.size() < 3 || !is_upper(s[0])) return false;
  for (std::size_t i = 1; i < 3; ++i) {
    if (!is_upper(s[i]) && !(s[i] >= '0' && s[i] <= '9')) return false;
  }
  return true;
}

// LF and CRLF become CR. Done in place, and only when an LF is present.
void normalise_line_ends(std::string& buf) {
  if (std::memchr(buf.data(), '\n', buf.size()) == nullptr) return;
  std::size_t out = 0;
  for (std::size_t i = 0; i < buf.size(); ++i) {
    const char c = buf[i];
    if (c == '\r' && i + 1 < buf.size() && buf[i + 1] == '\n') continue;
    buf[out++] = (c == '\n') ? '\r' : c;
  }
  buf.resize(out);
}

// Leading blank lines and spaces carry no meaning and are often left by
// editors and file transfers.
void strip_leading_blank(std::string& buf) {
  std::size_t i = 0;
  while (i < buf.size() && (buf[i] == '\r' || buf[i] == '\n' || buf[i] == ' ' || buf[i] == '\t')) ++i;
  if (i > 0) buf.erase(0, i);
}

enum byte_class : std::uint8_t { plain = 0, field_sep, repetition_sep, escape_char, segment_end, high_byte, nul };

using class_table = std::array<std::uint8_t, 256>;

class_table make_table(const delimiters& d) {
  class_table t{};
  for (std::size_t b = 0x80; b < 256; ++b) t[b] = high_byte;
  t[static_cast<unsigned char>(d.field)] = field_sep;
  t[static_cast<unsigned char>(d.repetition)] = repetition_sep;
  t[static_cast<unsigned char>(d.escape)] = escape_char;
  t[static_cast<unsigned char>('\r')] = segment_end;
  t[0] = nul;  // never a delimiter (read_delimiters refuses it)
  return t;
}

// Reads MSH-1 and MSH-2 of the header segment at the start of `buf`;
// `msh2_end` is left at the byte that ends MSH-2 (a field separator or CR).
std::optional<error> read_delimiters(std::string_view buf, delimiters& d, std::size_t& msh2_end) {
  auto fail = [&](std::size_t offset, int field) {
    return error{errc::bad_encoding_chars, offset, location{std::string(buf.substr(0, 3)), 1, field, 0, 0, 0}};
  };
  if (buf.size() < 4) return fail(3, 1);
  const char fs = buf[3];
  if (is_alnum(fs) || fs == '\r' || fs == ' ' || is_non_ascii_or_nul(fs)) return fail(3, 1);
  std::size_t end = 4;
  while (end < buf.size() && buf[end] != fs && buf[end] != '\r') ++end;
  const std::string_view enc = buf.substr(4, end - 4);
  if (enc.size() < 4 || enc.size() > 5) return fail(4, 2);
  std::array<char, 6> seen{fs};
  for (std::size_t i = 0; i < enc.size(); ++i) {
    const char c = enc[i];
    if (is_alnum(c) || c == ' ' || is_non_ascii_or_nul(c) ||
        std::find(seen.begin(), seen.begin() + static_cast<std::ptrdiff_t>(i + 1), c) !=
            seen.begin() + static_cast<std::ptrdiff_t>(i + 1)) {
      return fail(4 + i, 2);
    }
    seen[i + 1] = c;
  }
  d = delimiters{fs, enc[0], enc[1], enc[2], enc[3], enc.size() == 5 ? enc[4] : '\0'};
  msh2_end = end;
  return std::nullopt;
}

error error_at(std::string_view buf, const delimiters& d, errc code, std::size_t offset) {
  return error{code, offset, locate_in(buf, d, offset)};
}

}  // namespace

location locate_in(std::string_view bytes, const delimiters& d, std::size_t offset) {
  location where;
  if (offset > bytes.size()) offset = bytes.size();
  std::size_t start = offset;
  while (start > 0 && bytes[start - 1] != '\r' && bytes[start - 1] != '\n') --start;
  std::string_view name = bytes.substr(start, 3);
  name = name.substr(0, name.find_first_of(std::string{d.field, '\r', '\n'}));  // a short, bad name
  where.segment = std::string(name);
  // Occurrence: how many segments with this name start at or before `start`.
  for (std::size_t s = 0; s <= start;) {
    if (bytes.substr(s, 3) == name) ++where.segment_occurrence;
    const std::size_t next = bytes.find_first_of("\r\n", s);
    if (next == std::string_view::npos || next >= start) break;
    s = next + 1;
  }
  if (offset < start + 3 || start + 3 >= bytes.size()) return where;
  const bool header = is_header_name(name);
  std::size_t field_begin = start + 4;
  int field = 0;
  for (std::size_t i = start + 3; i < offset; ++i) {
    if (bytes[i] == d.field) {
      ++field;
      field_begin = i + 1;
    }
  }
  where.field = header ? field + 1 : field;
  if (where.field == 0 || (header && where.field <= 2)) return where;
  // Within the field: repetition, and component/subcomponent when the value has them.
  std::size_t field_end = field_begin;
  while (field_end < bytes.size() && bytes[field_end] != d.field && bytes[field_end] != '\r' &&
         bytes[field_end] != '\n') {
    ++field_end;
  }
  int repetition = 1, component = 1, subcomponent = 1;
  std::size_t rep_begin = field_begin, comp_begin = field_begin;
  for (std::size_t i = field_begin; i < offset; ++i) {
    if (bytes[i] == d.repetition) {
      ++repetition;
      component = subcomponent = 1;
      rep_begin = comp_begin = i + 1;
    } else if (bytes[i] == d.component) {
      ++component;
      subcomponent = 1;
      comp_begin = i + 1;
    } else if (bytes[i] == d.subcomponent) {
      ++subcomponent;
    }
  }
  std::size_t rep_end = rep_begin;
  while (rep_end < field_end && bytes[rep_end] != d.repetition) ++rep_end;
  std::size_t comp_end = comp_begin;
  while (comp_end < rep_end && bytes[comp_end] != d.component) ++comp_end;
  const std::string_view rep = bytes.substr(rep_begin, rep_end - rep_begin);
  const std::string_view comp = bytes.substr(comp_begin, comp_end - comp_begin);
  where.repetition = repetition;
  if (rep.find(d.component) != std::string_view::npos || rep.find(d.subcomponent) != std::string_view::npos) {
    where.component = component;
    if (comp.find(d.subcomponent) != std::string_view::npos) where.subcomponent = subcomponent;
  }
  return where;
}

result<message> parse_with_header(std::string&& bytes, const limits& lim, bool allow_batch_header) {
  message m;
  m.buf_ = std::move(bytes);
  std::string& buf = m.buf_;
  normalise_line_ends(buf);
  strip_leading_blank(buf);
  if (buf.empty()) return error{errc::empty_input, 0, {}};
  if (buf[0] == '<') return error{errc::xml_encoded, 0, {}};
  // The limit is on the frame as sent; the final CR added here does not count.
  if (buf.size() > lim.max_bytes || buf.size() >= UINT32_MAX) {
    return error{errc::frame_too_large, lim.max_bytes, {}};
  }
  if (buf.back() != '\r') buf.push_back('\r');

  const std::string_view header(buf.data(), std::min<std::size_t>(3, buf.size()));
  if (!(header == "MSH" || (allow_batch_header && (header == "FHS" || header == "BHS")))) {
    return error{errc::missing_msh, 0, {}};
  }
  std::size_t pos = 0;
  if (auto e = read_delimiters(buf, m.delims_, pos)) return *e;
  const delimiters& d = m.delims_;
  const std::string encoding = buf.substr(3, pos - 3);  // MSH-1 and MSH-2 as written
  const class_table table = make_table(d);

  auto& segments = m.segments_;
  auto& fields = m.field_starts_;
  // Sized from the input so that a typical message never reallocates.
  segments.reserve(buf.size() / 64 + 4);
  fields.reserve(buf.size() / 8 + 16);
  segments.push_back({0, 0, 0, 3});
  fields.insert(fields.end(), {0u, 3u, 4u});

  const char* const data = buf.data();
  const std::size_t size = buf.size();
  std::size_t repetitions = 1;
  bool saw_high_byte = false;
  auto at = [&](errc code, std::size_t offset) -> result<message> { return error_at(buf, d, code, offset); };

  // `pos` is at a field separator or the CR ending a segment; the buffer ends
  // with CR, so the inner scan needs no bounds check.
  for (;;) {
    const auto cls = table[static_cast<unsigned char>(data[pos])];
    if (cls == plain) {
      ++pos;
      continue;
    }
    if (cls == field_sep) {
      auto& seg = segments.back();
      if (seg.field_count > lim.max_fields) return at(errc::too_many_fields, pos + 1);  // the excess field
      fields.push_back(static_cast<std::uint32_t>(pos + 1));
      ++seg.field_count;
      repetitions = 1;
      ++pos;
    } else if (cls == repetition_sep) {
      if (++repetitions > lim.max_repetitions) return at(errc::too_many_repetitions, pos + 1);
      ++pos;
    } else if (cls == escape_char) {
      std::size_t end = 0;
      if (auto e = check_escape(buf, pos, d, end)) return at(e->code, e->offset);
      // The body of a kept escape (\Zxx\) is text too: checked against the charset below.
      if (const void* n = std::memchr(data + pos, '\0', end - pos)) {
        return at(errc::invalid_text, static_cast<std::size_t>(static_cast<const char*>(n) - data));
      }
      saw_high_byte = saw_high_byte ||
                      std::any_of(data + pos, data + end, [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
      pos = end;
    } else if (cls == high_byte) {
      saw_high_byte = true;
      ++pos;
    } else if (cls == nul) {
      // No charset has NUL as text, and it would cut a C string or a
      // PostgreSQL text value (MSH-3/4/10 are stored as text) short.
      return at(errc::invalid_text, pos);
    } else {  // segment_end
      segments.back().end = static_cast<std::uint32_t>(pos);
      while (pos < size && data[pos] == '\r') ++pos;  // blank lines
      if (pos == size) break;
      if (segments.size() >= lim.max_segments) return at(errc::too_many_segments, pos);
      const std::string_view name(data + pos, std::min<std::size_t>(4, size - pos));
      if (name.size() < 4 || !valid_segment_name(name) || (name[3] != d.field && name[3] != '\r')) {
        return at(errc::bad_segment_name, pos);
      }
      const auto begin = static_cast<std::uint32_t>(pos);
      segments.push_back({begin, 0, static_cast<std::uint32_t>(fields.size()), 1});
      fields.push_back(begin);
      repetitions = 1;
      if (is_header_name(name.substr(0, 3))) {
        // One message per parse: a second MSH is a second message (two in
        // one frame), not more segments of the first.
        if (!allow_batch_header) return at(errc::bad_batch, pos);
        // A batch envelope's later BHS: same delimiters, MSH-2 is not content.
        const std::size_t after = pos + 3 + encoding.size();
        if (std::string_view(buf).substr(pos + 3, encoding.size()) != encoding || after >= size ||
            (data[after] != d.field && data[after] != '\r')) {
          return at(errc::bad_encoding_chars, pos + 3);
        }
        fields.insert(fields.end(), {begin + 3, begin + 4});
        segments.back().field_count = 3;
        pos += 3 + encoding.size();
      } else {
        pos += 3;
      }
    }
  }

  const segment_view head = m.segment(0);
  const std::string_view msh18 = head.field(18);
  const std::string_view charset_name =
      nth_piece(*nth_piece(msh18, d.repetition, 1), d.component, 1).value_or(std::string_view{});
  const auto cs = charset_from_msh18(charset_name);
  if (!cs) {
    return at(errc::unknown_charset, static_cast<std::size_t>(charset_name.data() - data));
  }
  m.charset_ = *cs;
  if (saw_high_byte) {
    const std::size_t bad = find_invalid_text(buf, m.charset_);
    if (bad != std::string_view::npos) return at(errc::invalid_text, bad);
  }
  if (head.name() == "MSH") {
    for (std::size_t required : {9u, 10u}) {
      const auto value = head.find_field(required);
      if (!value || value->empty() || value->front() == d.component) {
        const std::size_t offset = value ? static_cast<std::size_t>(value->data() - data) : head.raw().size();
        return error{errc::missing_required_field, offset,
                     location{"MSH", 1, static_cast<int>(required), 0, 0, 0}};
      }
    }
  }
  return m;
}

result<message> message::parse(std::string&& bytes, const limits& lim) {
  if (bytes.size() > lim.max_bytes) return error{errc::frame_too_large, lim.max_bytes, {}};
  return parse_with_header(std::move(bytes), lim, false);
}

result<message> message::parse(std::string_view bytes, const limits& lim) {
  if (bytes.size() > lim.max_bytes) return error{errc::frame_too_large, lim.max_bytes, {}};
  return parse_with_header(std::string(bytes), lim, false);
}

std::optional<segment_view> message::find(std::string_view name, int occurrence) const noexcept {
  int seen = 0;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (std::string_view(buf_.data() + segments_[i].begin, 3) == name && ++seen == occurrence) {
      return segment(i);
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> message::raw(const path& p) const noexcept {
  const auto seg = find(p.segment_name(), p.occurrence);
  if (!seg) return std::nullopt;
  const auto field = seg->find_field(static_cast<std::size_t>(p.field));
  if (!field) return std::nullopt;
  if (seg->is_header() && p.field <= 2) {
    // MSH-1 and MSH-2 are single values: never split.
    if (p.repetition > 1 || p.component > 1 || p.subcomponent > 1) return std::nullopt;
    return field;
  }
  auto value = nth_piece(*field, delims_.repetition, p.repetition);
  if (!value || p.component == 0) return value;
  value = nth_piece(*value, delims_.component, p.component);
  if (!value || p.subcomponent == 0) return value;
  return nth_piece(*value, delims_.subcomponent, p.subcomponent);
}

result<std::string> message::unescape(std::string_view raw_value) const {
  std::string out;
  out.reserve(raw_value.size());
  if (auto e = unescape_into(out, raw_value, delims_, charset_)) {
    const auto base = static_cast<std::size_t>(raw_value.data() - buf_.data());
    const std::size_t offset = base + e->offset;
    return error{e->code, offset, locate(offset)};
  }
  return out;
}

result<std::string> message::value(const path& p) const {
  const auto r = raw(p);
  if (!r) return std::string{};
  const auto seg = find(p.segment_name(), p.occurrence);
  if (seg->is_header() && p.field <= 2) return std::string(*r);
  return unescape(*r);
}

result<std::string> message::value(std::string_view path_expression) const {
  const auto p = parse_path(path_expression);
  if (!p) return p.error();
  return value(*p);
}

std::string_view message::message_type() const noexcept {
  return nth_piece(segment(0).field(9), delims_.component, 1).value_or("");
}

std::string_view message::trigger_event() const noexcept {
  return nth_piece(segment(0).field(9), delims_.component, 2).value_or("");
}

std::string_view message::control_id() const noexcept { return segment(0).field(10); }

std::string message::encode() const {
  std::string out;
  out.reserve(buf_.size());
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    out.append(segment(i).raw());
    out.push_back('\r');
  }
  return out;
}

location message::locate(std::size_t offset) const { return locate_in(buf_, delims_, offset); }

// segment_view

std::string_view segment_view::name() const noexcept {
  return {msg_->buf_.data() + msg_->segments_[index_].begin, 3};
}

std::string_view segment_view::raw() const noexcept {
  const auto& e = msg_->segments_[index_];
  return {msg_->buf_.data() + e.begin, e.end - e.begin};
}

std::size_t segment_view::offset() const noexcept { return msg_->segments_[index_].begin; }

std::size_t segment_view::field_count() const noexcept { return msg_->segments_[index_].field_count - 1; }

bool segment_view::is_header() const noexcept { return is_header_name(name()); }

std::optional<std::string_view> segment_view::find_field(std::size_t n) const noexcept {
  const auto& e = msg_->segments_[index_];
  if (n == 0 || n >= e.field_count) return std::nullopt;
  const std::uint32_t begin = msg_->field_starts_[e.first_field + n];
  std::uint32_t end = (n + 1 < e.field_count) ? msg_->field_starts_[e.first_field + n + 1] - 1 : e.end;
  if (n == 1 && is_header()) end = begin + 1;  // MSH-1: the separator itself
  return std::string_view(msg_->buf_.data() + begin, end - begin);
}

std::string_view segment_view::field(std::size_t n) const noexcept { return find_field(n).value_or(""); }

}  // namespace radbridge::hl7
