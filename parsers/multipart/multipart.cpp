#include "multipart/multipart.hpp"

#include <algorithm>
#include <stdexcept>

namespace radbridge::multipart {

namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::size_t max_boundary_length = 70;  // RFC 2046 section 5.1.1
constexpr std::size_t one_shot_chunk = 256 * 1024;

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool is_alnum(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// RFC 7230 tchar.
bool is_tchar(char c) noexcept {
  return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// What an unquoted parameter value may hold: tchar, plus the tspecials that
// servers leave unquoted in boundaries.
bool is_bare_value_char(char c) noexcept { return is_tchar(c) || std::string_view("/=:?(),").find(c) != std::string_view::npos; }

// RFC 2046 bchars.
bool is_bchar(char c) noexcept {
  return is_alnum(c) || std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::bad_content_type: return "bad_content_type";
    case errc::not_multipart: return "not_multipart";
    case errc::missing_boundary: return "missing_boundary";
    case errc::bad_boundary: return "bad_boundary";
    case errc::no_opening_delimiter: return "no_opening_delimiter";
    case errc::bad_delimiter: return "bad_delimiter";
    case errc::malformed_header: return "malformed_header";
    case errc::headers_too_large: return "headers_too_large";
    case errc::too_many_parts: return "too_many_parts";
    case errc::too_large: return "too_large";
    case errc::no_closing_delimiter: return "no_closing_delimiter";
  }
  return "unknown";
}

std::string error::to_string() const {
  return std::string(multipart::to_string(code)) + " at byte " + std::to_string(offset);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string_view> content_type::find(std::string_view name) const {
  for (const auto& p : parameters)
    if (iequals(p.name, name)) return std::string_view(p.value);
  return std::nullopt;
}

std::optional<std::string_view> part::find(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

result<content_type> parse_content_type(std::string_view value) {
  std::size_t i = 0;
  const std::size_t n = value.size();
  auto bad = [](std::size_t at) { return error{errc::bad_content_type, at}; };
  auto skip_blanks = [&] {
    while (i < n && is_blank(value[i])) ++i;
  };
  auto token = [&]() -> std::string_view {
    const std::size_t start = i;
    while (i < n && is_tchar(value[i])) ++i;
    return value.substr(start, i - start);
  };

  content_type result;
  skip_blanks();
  const std::string_view type = token();
  if (type.empty()) return bad(i);
  if (i >= n || value[i] != '/') return bad(i);
  ++i;
  const std::string_view subtype = token();
  if (subtype.empty()) return bad(i);
  result.type = lowered(type);
  result.subtype = lowered(subtype);

  for (;;) {
    skip_blanks();
    if (i == n) break;
    if (value[i] != ';') return bad(i);
    ++i;
    skip_blanks();
    if (i == n || value[i] == ';') continue;  // an empty parameter
    const std::size_t name_at = i;
    const std::string_view name = token();
    if (name.empty() || i == n || value[i] != '=') return bad(i);
    ++i;
    std::string v;
    if (i < n && value[i] == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        const char c = value[i];
        if (c == '"') {
          closed = true;
          ++i;
          break;
        }
        if (c == '\\') {
          if (i + 1 == n) break;
          v += value[i + 1];
          i += 2;
          continue;
        }
        if (c == '\r' || c == '\n' || c == '\0') return bad(i);
        v += c;
        ++i;
      }
      if (!closed) return bad(n);
    } else {
      const std::size_t start = i;
      while (i < n && is_bare_value_char(value[i])) ++i;
      if (i == start) return bad(i);
      v = value.substr(start, i - start);
    }
    if (result.find(name)) return bad(name_at);
    result.parameters.push_back({lowered(name), std::move(v)});
  }
  return result;
}

result<std::string> boundary_of(const content_type& type) {
  if (type.type != "multipart") return error{errc::not_multipart, 0};
  const auto b = type.find("boundary");
  if (!b) return error{errc::missing_boundary, 0};
  if (b->empty() || b->size() > max_boundary_length || b->back() == ' ' ||
      !std::all_of(b->begin(), b->end(), is_bchar))
    return error{errc::bad_boundary, 0};
  return std::string(*b);
}

// ---------------------------------------------------------------------------

reader::reader(std::string boundary, limits limits) : limits_(limits) {
  content_type probe{"multipart", "mixed", {{"boundary", boundary}}};
  if (!boundary_of(probe)) throw std::invalid_argument("multipart::reader: invalid boundary");
  delimiter_ = std::string(crlf) + "--" + boundary;
  buffer_ = crlf;  // the virtual CRLF before the input
}

std::optional<error> reader::fail_at(errc code, std::size_t offset) {
  state_ = state::failed;
  error_ = error{code, offset};
  buffer_.clear();
  buffer_.shrink_to_fit();
  current_ = part{};
  return error_;
}

// Offsets of the virtual stream (CRLF + input) back to the input.
std::optional<error> reader::fail(errc code, std::size_t buffer_index) {
  const std::size_t virtual_offset = buffer_offset_ + buffer_index;
  return fail_at(code, virtual_offset >= crlf.size() ? virtual_offset - crlf.size() : 0);
}

void reader::consume(std::size_t n) {
  buffer_.erase(0, n);
  buffer_offset_ += n;
  scanned_ = 0;
}

std::optional<error> reader::feed(std::string_view bytes) {
  if (state_ == state::failed) return error_;
  if (bytes.size() > limits_.max_bytes - fed_) {
    fed_ = limits_.max_bytes;
    return fail_at(errc::too_large, limits_.max_bytes);
  }
  fed_ += bytes.size();
  if (state_ == state::epilogue) return std::nullopt;
  buffer_.append(bytes);
  for (;;) {
    bool progressed = false;
    switch (state_) {
      case state::preamble: progressed = step_preamble(); break;
      case state::after_boundary: progressed = step_after_boundary(); break;
      case state::headers: progressed = step_headers(); break;
      case state::body: progressed = step_body(); break;
      case state::epilogue:
        consume(buffer_.size());
        return std::nullopt;
      case state::failed: return error_;
    }
    if (state_ == state::failed) return error_;
    if (!progressed) return std::nullopt;
  }
}

std::optional<error> reader::finish() {
  switch (state_) {
    case state::failed: return error_;
    case state::epilogue: return std::nullopt;
    case state::preamble:
      if (!seen_delimiter_) return fail_at(errc::no_opening_delimiter, fed_);
      break;
    default: break;
  }
  return fail_at(errc::no_closing_delimiter, fed_);
}

std::optional<part> reader::next() {
  if (completed_.empty()) return std::nullopt;
  part p = std::move(completed_.front());
  completed_.pop_front();
  return p;
}

bool reader::step_preamble() {
  const std::size_t at = std::string_view(buffer_).find(delimiter_);
  if (at == std::string_view::npos) {
    // Keep what could be the start of a delimiter.
    if (buffer_.size() >= delimiter_.size()) consume(buffer_.size() - (delimiter_.size() - 1));
    return false;
  }
  consume(at + delimiter_.size());
  seen_delimiter_ = true;
  padding_ = 0;
  state_ = state::after_boundary;
  return true;
}

bool reader::step_after_boundary() {
  std::size_t i = 0;
  if (buffer_.empty()) return false;
  // "--" closes only right after the boundary: after padding it is an error
  // (padding_ counts blanks consumed by an earlier feed()).
  if (buffer_[0] == '-' && padding_ == 0) {
    if (buffer_.size() < 2) return false;
    if (buffer_[1] != '-') {
      fail(errc::bad_delimiter, 1);
      return false;
    }
    consume(2);
    state_ = state::epilogue;
    return true;
  }
  while (i < buffer_.size() && is_blank(buffer_[i])) ++i;
  if (padding_ + i > limits_.max_header_bytes) {
    fail(errc::headers_too_large, limits_.max_header_bytes - padding_);
    return false;
  }
  if (i == buffer_.size() || (buffer_[i] == '\r' && i + 1 == buffer_.size())) {
    padding_ += i;
    consume(i);
    return false;
  }
  if (buffer_[i] != '\r' || buffer_[i + 1] != '\n') {
    fail(errc::bad_delimiter, i);
    return false;
  }
  if (parts_started_ == limits_.max_parts) {
    // At the end of the boundary, where the padding began, however the
    // input was split (padding_ bytes of it may be consumed already).
    fail_at(errc::too_many_parts, buffer_offset_ - padding_ - crlf.size());
    return false;
  }
  ++parts_started_;
  consume(i + 2);
  current_ = part{};
  header_bytes_ = padding_ + i;  // the padding counts, whether consumed before or now
  state_ = state::headers;
  return true;
}

bool reader::step_headers() {
  const std::string_view buffer(buffer_);
  const std::size_t end = buffer.find(crlf, scanned_);
  if (end == std::string_view::npos) {
    // (+ CRLF: at the limit, a lone CR may still start the empty line)
    if (header_bytes_ + buffer.size() > limits_.max_header_bytes + crlf.size()) {
      fail(errc::headers_too_large, limits_.max_header_bytes - header_bytes_);
    }
    scanned_ = buffer.empty() ? 0 : buffer.size() - 1;  // a CR at the end may pair with the next byte
    return false;
  }
  if (end == 0) {  // the empty line: the body follows
    consume(crlf.size());
    state_ = state::body;
    return true;
  }
  if (header_bytes_ + end + crlf.size() > limits_.max_header_bytes) {
    fail(errc::headers_too_large, limits_.max_header_bytes - header_bytes_);
    return false;
  }
  if (!header_line(buffer.substr(0, end), 0)) return false;
  header_bytes_ += end + crlf.size();
  consume(end + crlf.size());
  return true;
}

bool reader::header_line(std::string_view line, std::size_t buffer_index) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\r' || line[i] == '\n' || line[i] == '\0') {
      fail(errc::malformed_header, buffer_index + i);
      return false;
    }
  }
  if (is_blank(line.front())) {  // a continuation of the previous header
    if (current_.headers.empty()) {
      fail(errc::malformed_header, buffer_index);
      return false;
    }
    std::string& value = current_.headers.back().value;
    const std::string_view more = trim_blanks(line);
    if (!more.empty()) {
      if (!value.empty()) value += ' ';
      value += more;
    }
    return true;
  }
  std::size_t colon = 0;
  while (colon < line.size() && is_tchar(line[colon])) ++colon;
  if (colon == 0 || colon == line.size() || line[colon] != ':') {
    fail(errc::malformed_header, buffer_index + colon);
    return false;
  }
  current_.headers.push_back({std::string(line.substr(0, colon)), std::string(trim_blanks(line.substr(colon + 1)))});
  return true;
}

bool reader::step_body() {
  const std::string_view buffer(buffer_);
  const std::size_t at = buffer.find(delimiter_);
  if (at == std::string_view::npos) {
    if (buffer.size() >= delimiter_.size()) {
      const std::size_t keep = delimiter_.size() - 1;
      current_.body.append(buffer.substr(0, buffer.size() - keep));
      consume(buffer.size() - keep);
    }
    return false;
  }
  current_.body.append(buffer.substr(0, at));
  consume(at + delimiter_.size());
  completed_.push_back(std::move(current_));
  current_ = part{};
  padding_ = 0;
  state_ = state::after_boundary;
  return true;
}

result<message> parse(std::string_view content_type, std::string_view body, const limits& limits) {
  auto type = parse_content_type(content_type);
  if (!type) return type.error();
  auto boundary = boundary_of(*type);
  if (!boundary) return boundary.error();

  message m;
  m.boundary = *boundary;
  m.type = std::string(type->find("type").value_or(std::string_view{}));
  m.content_type = std::move(type).value();

  reader r(m.boundary, limits);
  // In slices, so that the reader's buffer stays small.
  for (std::size_t at = 0; at < body.size(); at += one_shot_chunk) {
    if (auto e = r.feed(body.substr(at, one_shot_chunk))) return *e;
    while (auto p = r.next()) m.parts.push_back(std::move(*p));
  }
  if (auto e = r.finish()) return *e;
  while (auto p = r.next()) m.parts.push_back(std::move(*p));
  return m;
}

}  // namespace radbridge::multipart
