#include "json/json_document.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <unordered_map>

namespace radbridge::json {

namespace {

// RapidJSON keeps string lengths in 32 bits; lines and columns are stored in
// 32 bits too, so no input may reach 4 GiB whatever the options say.
constexpr std::size_t hard_max_bytes = std::numeric_limits<std::uint32_t>::max() - 1;
// The reader recurses once per level: keep the C++ stack bounded.
constexpr std::size_t hard_max_depth = 1024;
// Objects with more members than this get a sorted index for `find`.
constexpr std::size_t indexed_object_size = 8;

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// Numbers come as text and are converted with std::from_chars: correctly
// rounded, and clear of the full-precision strtod of RapidJSON 1.1.0, which
// reads out of bounds on inputs such as 0.000...0001 with hundreds of zeros.
constexpr unsigned parse_flags =
    rapidjson::kParseDefaultFlags | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag;

bool is_ascii_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_word_char(char c) noexcept { return is_ascii_letter(c) || (c >= '0' && c <= '9') || c == '_'; }
bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string position_text(std::size_t line, std::size_t column) {
  return std::to_string(line) + ":" + std::to_string(column);
}

// A RapidJSON input stream over a string_view (which need not be
// NUL-terminated); '\0' marks the end, as the reader expects. Offsets are
// into the whole text, BOM included.
class text_stream {
 public:
  using Ch = char;

  text_stream(std::string_view text, std::size_t start) : text_(text), pos_(start) {}

  Ch Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  Ch Take() { return pos_ < text_.size() ? text_[pos_++] : '\0'; }
  std::size_t Tell() const { return pos_; }

  // Write side, unused (no in-situ parsing).
  Ch* PutBegin() {
    RAPIDJSON_ASSERT(false);
    return nullptr;
  }
  void Put(Ch) { RAPIDJSON_ASSERT(false); }
  void Flush() { RAPIDJSON_ASSERT(false); }
  std::size_t PutEnd(Ch*) {
    RAPIDJSON_ASSERT(false);
    return 0;
  }

 private:
  std::string_view text_;
  std::size_t pos_;
};

// Turns byte offsets into line:column (see the header for the rules). The
// tree is built in document order, so offsets mostly grow and the counter
// moves forward; a smaller offset restarts it.
class position_counter {
 public:
  position_counter(std::string_view text, std::size_t start) : text_(text), start_(start), offset_(start) {}

  struct position {
    std::size_t line;
    std::size_t column;
  };

  position at(std::size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset < offset_) {
      offset_ = start_;
      line_ = 1;
      column_ = 1;
    }
    for (; offset_ < offset; ++offset_) {
      const auto c = static_cast<unsigned char>(text_[offset_]);
      if (c == '\r' || (c == '\n' && (offset_ == 0 || text_[offset_ - 1] != '\r'))) {
        ++line_;
        column_ = 1;
      } else if (c != '\n' && (c & 0xC0U) != 0x80U) {
        ++column_;
      }
    }
    return {line_, column_};
  }

 private:
  std::string_view text_;
  std::size_t start_;
  std::size_t offset_;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
};

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20U || u == 0x7FU;
}

// A control character as its JSON escape, \u00XX.
void append_control_escape(std::string& out, char c) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  out += "\\u00";
  out += hex[u >> 4U];
  out += hex[u & 0xFU];
}

// `duplicate key "a\"b"`: keys are shown JSON-escaped so that control
// characters and quotes cannot garble the one-line message.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (is_control(c)) {
      append_control_escape(out, c);
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string rapidjson_reason(rapidjson::ParseErrorCode code) {
  std::string s = rapidjson::GetParseError_En(code);
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (!s.empty() && s.front() >= 'A' && s.front() <= 'Z') s.front() = static_cast<char>(s.front() - 'A' + 'a');
  return s;
}

// A syntax error from the reader, with its reason made more specific where
// analysts often go wrong (see the header for where errors are placed).
parse_error syntax_error(std::string_view text, std::size_t start, bool comments, rapidjson::ParseErrorCode code,
                         std::size_t offset) {
  std::string reason = rapidjson_reason(code);
  std::size_t at = std::min(offset, text.size());
  const char here = at < text.size() ? text[at] : '\0';

  // A ',' directly (whitespace apart) before the ']' or '}' being read.
  const auto trailing_comma = [&]() -> std::optional<std::size_t> {
    if (here != ']' && here != '}') return std::nullopt;
    std::size_t i = at;
    while (i > start && is_space(text[i - 1])) --i;
    if (i > start && text[i - 1] == ',') return i - 1;
    return std::nullopt;
  };

  switch (code) {
    case rapidjson::kParseErrorValueInvalid: {
      if (const auto comma = trailing_comma()) {
        at = *comma;
        reason = std::string("trailing comma before '") + here + "'";
        break;
      }
      // A bad literal (`nul`, `True`, `yes`): the reader stops inside or
      // after it; point at its first letter and show it.
      std::size_t first = at;
      while (first > start && is_ascii_letter(text[first - 1])) --first;
      if (first < text.size() && is_ascii_letter(text[first])) {
        std::size_t last = first;
        while (last < text.size() && is_word_char(text[last]) && last - first < 40) ++last;
        at = first;
        reason = "invalid value '" + std::string(text.substr(first, last - first)) + "'";
      } else if (here == '\'') {
        reason += " (strings are written in double quotes)";
      }
      break;
    }
    case rapidjson::kParseErrorObjectMissName:
      if (const auto comma = trailing_comma()) {
        at = *comma;
        reason = "trailing comma before '}'";
      } else if (here == '\'' || is_word_char(here)) {
        reason += " (names are strings in double quotes)";
      }
      break;
    case rapidjson::kParseErrorStringEscapeInvalid:
      // The reader reports a raw control character in a string as a bad escape.
      if (here == '\n' || here == '\r') {
        reason = "missing a closing quotation mark in string (the line ends inside the string)";
      } else if (here != '\\') {
        static constexpr char hex[] = "0123456789ABCDEF";
        const auto u = static_cast<unsigned char>(here);
        reason = std::string("control character U+00") + hex[u >> 4U] + hex[u & 0xFU] +
                 " in string must be written as an escape";
      }
      break;
    case rapidjson::kParseErrorStringInvalidEncoding:
      reason = "invalid UTF-8 in string";
      break;
    case rapidjson::kParseErrorUnspecificSyntaxError:
      // Only comments produce this code in the recursive reader.
      if (at >= text.size()) {
        reason = "unterminated /* comment";
      } else {
        at = at > start ? at - 1 : at;  // the '/' that starts no comment
        reason = "'/' must start a // or /* comment";
      }
      break;
    default:
      break;
  }
  if (!comments && here == '/' && at == offset) reason += " (comments are not allowed)";

  const auto pos = position_counter(text, start).at(at);
  return parse_error{pos.line, pos.column, std::move(reason)};
}

// Whether a decimal number that std::from_chars finds out of range is so
// small that it underflows (rather than so large that it overflows): the
// decimal exponent of its first significant digit is negative. `s` follows
// the JSON grammar: -?int(.frac)?([eE][+-]?digits)?
bool is_tiny(std::string_view s) {
  constexpr long long cap = 1'000'000'000;  // far beyond any double, and no overflow
  std::size_t i = s.starts_with('-') ? 1 : 0;
  const std::size_t int_begin = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  long long order = 0;
  if (s[int_begin] != '0') {
    order = static_cast<long long>(i - int_begin) - 1;
  } else {
    // 0.000ddd: the first non-zero fraction digit.
    if (i < s.size() && s[i] == '.') ++i;
    long long zeros = 0;
    for (; i < s.size() && s[i] == '0'; ++i) zeros = std::min(zeros + 1, cap);
    order = -zeros - 1;
  }
  const std::size_t e = s.find_first_of("eE");
  if (e != std::string_view::npos) {
    std::size_t j = e + 1;
    const bool negative = j < s.size() && s[j] == '-';
    if (j < s.size() && (s[j] == '-' || s[j] == '+')) ++j;
    long long exponent = 0;
    for (; j < s.size(); ++j) exponent = std::min(exponent * 10 + (s[j] - '0'), cap);
    order += negative ? -exponent : exponent;
  }
  return order < 0;
}

}  // namespace

namespace detail {

// The RapidJSON SAX handler that builds the tree. Scalars are reported once
// they have been read, so their start is found back from the stream
// position: by the literal's or the number's length, or for strings by
// looking for the opening quote; '[' and '{' are reported right after they
// are taken.
class tree_builder {
 public:
  tree_builder(std::string_view text, std::size_t start, const text_stream& stream, std::size_t max_depth)
      : text_(text), start_(start), stream_(stream), positions_(text, start), max_depth_(max_depth) {}

  // SAX events (RapidJSON's names).
  bool Null() { return add<0>(positions_.at(stream_.Tell() - 4)); }
  bool Bool(bool b) { return add<1>(positions_.at(stream_.Tell() - (b ? 4 : 5)), b); }
  // With kParseNumbersAsStringsFlag every number arrives as RawNumber, its
  // text exactly as written (already checked against the JSON grammar).
  bool RawNumber(const char* s, rapidjson::SizeType length, bool) {
    const std::string_view number(s, length);
    const std::size_t offset = stream_.Tell() - number.size();
    value::number_data n;
    if (number.find_first_of(".eE") == std::string_view::npos) {
      const auto r = std::from_chars(number.data(), number.data() + number.size(), n.as_int);
      n.integer = r.ec == std::errc() && r.ptr == number.data() + number.size();
      if (n.integer) n.as_double = static_cast<double>(n.as_int);
    }
    if (!n.integer) {
      n.as_int = 0;
      const auto r = std::from_chars(number.data(), number.data() + number.size(), n.as_double);
      if (r.ec == std::errc::result_out_of_range) {
        if (!is_tiny(number)) return fail(positions_.at(offset), "number too big to be stored in double");
        n.as_double = number.front() == '-' ? -0.0 : 0.0;  // underflow: as strtod and JavaScript do
      } else if (r.ec != std::errc() || r.ptr != number.data() + number.size()) {
        return fail(positions_.at(offset), "invalid number");  // not expected after RapidJSON's check
      }
    }
    return add<2>(positions_.at(offset), n);
  }
  // Never called with the flags above; the reader's template needs them.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(std::int64_t) { return false; }
  bool Uint64(std::uint64_t) { return false; }
  bool Double(double) { return false; }
  bool String(const char* s, rapidjson::SizeType length, bool) {
    if (has_lone_low_surrogate(std::string_view(s, length))) return surrogate_error();
    return add<3>(positions_.at(string_start()), s, std::size_t{length});
  }

  bool StartObject() { return open(true); }
  bool Key(const char* s, rapidjson::SizeType length, bool) {
    if (has_lone_low_surrogate(std::string_view(s, length))) return surrogate_error();
    frame& f = frames_.back();
    const auto pos = positions_.at(string_start());
    std::string key(s, length);
    const auto [it, inserted] = f.first_index.try_emplace(key, f.members.size());
    if (!inserted) {
      const member& first = f.members[it->second];
      return fail(pos, "duplicate key " + quoted(key) + " (first at " + position_text(first.key_line, first.key_column) +
                           ")");
    }
    f.members.push_back(member{std::move(key), pos.line, pos.column, value{}});
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    frame f = std::move(frames_.back());
    frames_.pop_back();
    value::object_data o{std::move(f.members), {}};
    if (o.members.size() > indexed_object_size) {
      o.by_key.resize(o.members.size());
      for (std::size_t i = 0; i < o.by_key.size(); ++i) o.by_key[i] = static_cast<std::uint32_t>(i);
      std::sort(o.by_key.begin(), o.by_key.end(),
                [&](std::uint32_t a, std::uint32_t b) { return o.members[a].key < o.members[b].key; });
    }
    return add<5>(f.start, std::move(o));
  }
  bool StartArray() { return open(false); }
  bool EndArray(rapidjson::SizeType) {
    frame f = std::move(frames_.back());
    frames_.pop_back();
    return add<4>(f.start, std::move(f.elements));
  }

  const std::optional<parse_error>& error() const { return error_; }
  value take_root() { return std::move(root_); }

 private:
  struct frame {
    bool is_object = false;
    position_counter::position start{};                        // of the '[' or '{'
    std::vector<value> elements;                               // arrays
    std::vector<member> members;                               // objects
    std::unordered_map<std::string, std::size_t> first_index;  // objects: key -> index in members
  };

  bool open(bool is_object) {
    const auto pos = positions_.at(stream_.Tell() - 1);  // the '[' or '{' just taken
    if (frames_.size() >= max_depth_) {
      return fail(pos, "arrays and objects nested more than " + std::to_string(max_depth_) + " deep");
    }
    frame f;
    f.is_object = is_object;
    f.start = pos;
    frames_.push_back(std::move(f));
    return true;
  }

  // Adds the value that starts at `pos` (alternative I of value::data,
  // built in place from `args`) to the array or object being read, or makes
  // it the root.
  template <std::size_t I, class... Args>
  bool add(position_counter::position pos, Args&&... args) {
    const auto line = static_cast<std::uint32_t>(pos.line);
    const auto column = static_cast<std::uint32_t>(pos.column);
    if (frames_.empty()) {
      root_ = value(std::in_place_index<I>, line, column, std::forward<Args>(args)...);
    } else if (frame& f = frames_.back(); f.is_object) {
      f.members.back().val = value(std::in_place_index<I>, line, column, std::forward<Args>(args)...);
    } else {
      f.elements.push_back(value(std::in_place_index<I>, line, column, std::forward<Args>(args)...));
    }
    return true;
  }

  // The stream is just past a string's closing quote: back to the first
  // quote not escaped, i.e. not preceded by an odd run of backslashes. The
  // string has been validated, so that quote is the opening one.
  std::size_t string_start() const {
    std::size_t i = stream_.Tell() - 1;  // the closing quote
    while (i > start_) {
      --i;
      if (text_[i] != '"') continue;
      std::size_t backslashes = 0;
      while (i - backslashes > start_ && text_[i - backslashes - 1] == '\\') ++backslashes;
      if (backslashes % 2 == 0) return i;
    }
    return i;
  }

  // RapidJSON 1.1.0 refuses a lone high surrogate escape (\uD800-\uDBFF
  // not followed by a low one) but encodes a lone low one (\uDC00-\uDFFF)
  // as the bytes ED B0..BF xx, which are not UTF-8. Such bytes cannot come
  // from the text itself (its UTF-8 is validated), so finding them in the
  // decoded string means such an escape; surrogate_error places the error
  // at that escape's backslash, as the reader does for a lone high one.
  static bool has_lone_low_surrogate(std::string_view decoded) {
    for (std::size_t i = 0; i + 1 < decoded.size(); ++i) {
      if (static_cast<unsigned char>(decoded[i]) == 0xED && static_cast<unsigned char>(decoded[i + 1]) >= 0xA0) {
        return true;
      }
    }
    return false;
  }
  bool surrogate_error() {
    const std::size_t quote = string_start();
    const std::size_t end = stream_.Tell() - 1;  // the closing quote
    auto hex4 = [&](std::size_t at) {
      unsigned value = 0;
      const auto r = std::from_chars(text_.data() + at, text_.data() + at + 4, value, 16);
      return r.ptr == text_.data() + at + 4 ? value : 0U;
    };
    std::size_t at = quote;
    for (std::size_t i = quote + 1; i < end; ++i) {
      if (text_[i] != '\\') continue;
      if (text_[i + 1] != 'u') {
        ++i;  // a one-character escape
        continue;
      }
      const unsigned unit = hex4(i + 2);
      if (unit >= 0xDC00 && unit <= 0xDFFF) {
        at = i;
        break;
      }
      i += unit >= 0xD800 && unit <= 0xDBFF ? 11 : 5;  // a pair is two escapes
    }
    return fail(positions_.at(at), rapidjson_reason(rapidjson::kParseErrorStringUnicodeSurrogateInvalid));
  }

  bool fail(position_counter::position pos, std::string reason) {
    error_ = parse_error{pos.line, pos.column, std::move(reason)};
    return false;
  }

  std::string_view text_;
  std::size_t start_;
  const text_stream& stream_;
  position_counter positions_;
  std::size_t max_depth_;
  std::vector<frame> frames_;
  value root_;
  std::optional<parse_error> error_;
};

}  // namespace detail

std::string_view kind_name(kind k) noexcept {
  switch (k) {
    case kind::null:
      return "null";
    case kind::boolean:
      return "boolean";
    case kind::number:
      return "number";
    case kind::string:
      return "string";
    case kind::array:
      return "array";
    case kind::object:
      return "object";
  }
  return "unknown";
}

void value::wrong_kind(json::kind wanted) const {
  throw std::logic_error("json value at " + position_text(line(), column()) + " is " +
                         (kind() == json::kind::array || kind() == json::kind::object ? "an " : "a ") +
                         std::string(kind_name()) + ", not " +
                         (wanted == json::kind::array || wanted == json::kind::object ? "an " : "a ") +
                         std::string(json::kind_name(wanted)));
}

bool value::as_bool() const {
  if (const auto* b = std::get_if<bool>(&data_)) return *b;
  wrong_kind(json::kind::boolean);
}

const std::string& value::as_string() const {
  if (const auto* s = std::get_if<std::string>(&data_)) return *s;
  wrong_kind(json::kind::string);
}

double value::as_number() const {
  if (const auto* n = std::get_if<number_data>(&data_)) return n->as_double;
  wrong_kind(json::kind::number);
}

bool value::is_integer() const noexcept {
  const auto* n = std::get_if<number_data>(&data_);
  return n != nullptr && n->integer;
}

std::int64_t value::as_int64() const {
  const auto* n = std::get_if<number_data>(&data_);
  if (n == nullptr) wrong_kind(json::kind::number);
  if (!n->integer) {
    throw std::logic_error("json number at " + position_text(line(), column()) + " is not an integer in int64 range");
  }
  return n->as_int;
}

std::size_t value::size() const {
  if (const auto* a = std::get_if<std::vector<value>>(&data_)) return a->size();
  if (const auto* o = std::get_if<object_data>(&data_)) return o->members.size();
  throw std::logic_error("json value at " + position_text(line(), column()) + " is a " + std::string(kind_name()) +
                         ", not an array or object");
}

const value& value::operator[](std::size_t index) const {
  const auto items = elements();
  if (index >= items.size()) {
    throw std::out_of_range("json array at " + position_text(line(), column()) + " has " +
                            std::to_string(items.size()) + " elements, no index " + std::to_string(index));
  }
  return items[index];
}

std::span<const value> value::elements() const {
  if (const auto* a = std::get_if<std::vector<value>>(&data_)) return *a;
  wrong_kind(json::kind::array);
}

std::span<const member> value::members() const {
  if (const auto* o = std::get_if<object_data>(&data_)) return o->members;
  wrong_kind(json::kind::object);
}

const value* value::find(std::string_view key) const {
  const auto* o = std::get_if<object_data>(&data_);
  if (o == nullptr) wrong_kind(json::kind::object);
  if (o->by_key.empty()) {
    for (const member& m : o->members) {
      if (m.key == key) return &m.val;
    }
    return nullptr;
  }
  const auto it = std::lower_bound(o->by_key.begin(), o->by_key.end(), key,
                                   [&](std::uint32_t i, std::string_view k) { return o->members[i].key < k; });
  if (it != o->by_key.end() && o->members[*it].key == key) return &o->members[*it].val;
  return nullptr;
}

document_result parse_document(std::string_view text, const parse_options& options) {
  const std::size_t max_bytes = std::min(options.max_bytes, hard_max_bytes);
  if (text.size() > max_bytes) {
    return parse_error{1, 1,
                       "the text is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                           std::to_string(max_bytes)};
  }
  const std::size_t start = text.starts_with(utf8_bom) ? utf8_bom.size() : 0;
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    const auto pos = position_counter(text, start).at(nul);
    return parse_error{pos.line, pos.column, "NUL byte in the text"};
  }

  text_stream stream(text, start);
  detail::tree_builder builder(text, start, stream, std::min(options.max_depth, hard_max_depth));
  rapidjson::Reader reader;
  const rapidjson::ParseResult r = options.allow_comments
                                       ? reader.Parse<parse_flags | rapidjson::kParseCommentsFlag>(stream, builder)
                                       : reader.Parse<parse_flags>(stream, builder);
  if (r.IsError()) {
    if (builder.error()) return *builder.error();
    return syntax_error(text, start, options.allow_comments, r.Code(), r.Offset());
  }
  return builder.take_root();
}

std::string format_error(std::string_view file, const parse_error& e) {
  return std::string(file) + ":" + position_text(e.line, e.column) + ": " + e.reason;
}

namespace {

// `reason` on one line: each control character as its JSON escape.
std::string one_line(std::string_view reason) {
  std::string out;
  out.reserve(reason.size());
  for (const char c : reason) {
    if (is_control(c)) {
      append_control_escape(out, c);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string located(std::string_view file, const value& v, std::string_view reason) {
  return std::string(file) + ":" + position_text(v.line(), v.column()) + ": " + one_line(reason);
}

std::string located(std::string_view file, const member& m, std::string_view reason) {
  return std::string(file) + ":" + position_text(m.key_line, m.key_column) + ": " + one_line(reason);
}

}  // namespace radbridge::json
