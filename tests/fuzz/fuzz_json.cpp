// fuzz_json: the JSON document reader (parsers/json/json_document) that every
// file people edit goes through (configuration, model registry, mappings).
//
// The input is the text; an FNV-1a hash of it picks the options (comments
// allowed or not; sometimes a max_depth of 1-8 or a max_bytes below the
// input's size), so one corpus covers them all.
//
// Checked for every input:
//  * an error has a line and column within the text and a reason, and
//    format_error writes it as `file:line:col: reason`;
//  * a tree: every value's line and column name a byte of the text where a
//    value of its kind starts (a quote, [, {, a sign or digit, t, f, n; keys
//    at their quote), nesting stays within max_depth, keys of an object are
//    unique and `find` returns each, numbers are finite and an integer's
//    double is its int64;
//  * the tree written back with json::writer parses to the same tree.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fnv1a.hpp"
#include "fuzz_check.hpp"
#include "json/json_document.hpp"
#include "json/json_writer.hpp"

namespace {

namespace json = radbridge::json;

// Byte offsets of line starts, counting LF, CRLF and a lone CR once each, as
// json_document.hpp does.
std::vector<std::size_t> line_starts(std::string_view text) {
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) {
      starts.push_back(i + 1);
    }
  }
  return starts;
}

bool is_lead_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }

class position_map {
 public:
  // A leading byte order mark is skipped: the first line starts after it.
  explicit position_map(std::string_view text) : text_(text), starts_(line_starts(text)) {
    if (text.starts_with("\xEF\xBB\xBF")) starts_[0] = 3;
  }

  // The byte at (line, column), columns counting UTF-8 lead bytes; npos when
  // the position is outside the text.
  std::size_t offset(std::size_t line, std::size_t column) const {
    if (line == 0 || column == 0 || line > starts_.size()) return std::string_view::npos;
    std::size_t pos = starts_[line - 1];
    const std::size_t end = line < starts_.size() ? starts_[line] : text_.size();
    for (std::size_t col = 1;; ++pos) {
      if (pos >= end) return column == col ? pos : std::string_view::npos;
      if (!is_lead_byte(text_[pos])) continue;
      if (col == column) return pos;
      ++col;
    }
  }
  std::size_t lines() const { return starts_.size(); }

 private:
  std::string_view text_;
  std::vector<std::size_t> starts_;
};

bool starts_kind(char c, json::kind k) {
  switch (k) {
    case json::kind::null: return c == 'n';
    case json::kind::boolean: return c == 't' || c == 'f';
    case json::kind::number: return c == '-' || (c >= '0' && c <= '9');
    case json::kind::string: return c == '"';
    case json::kind::array: return c == '[';
    case json::kind::object: return c == '{';
  }
  return false;
}

std::string where(std::size_t line, std::size_t column) {
  return std::to_string(line) + ":" + std::to_string(column);
}

void check_tree(const json::value& v, const position_map& positions, std::string_view text, std::size_t depth,
                std::size_t max_depth) {
  const std::size_t at = positions.offset(v.line(), v.column());
  FUZZ_CHECK_MSG(at < text.size(), where(v.line(), v.column()));
  FUZZ_CHECK_MSG(starts_kind(text[at], v.kind()), where(v.line(), v.column()) + " " + std::string(v.kind_name()));
  switch (v.kind()) {
    case json::kind::number: {
      FUZZ_CHECK(std::isfinite(v.as_number()));
      if (v.is_integer()) FUZZ_CHECK(v.as_number() == static_cast<double>(v.as_int64()));
      break;
    }
    case json::kind::array:
    case json::kind::object: {
      FUZZ_CHECK_MSG(depth + 1 <= max_depth, where(v.line(), v.column()));
      if (v.is_array()) {
        FUZZ_CHECK(v.elements().size() == v.size());
        for (const json::value& e : v.elements()) check_tree(e, positions, text, depth + 1, max_depth);
        break;
      }
      std::set<std::string> keys;
      for (const json::member& m : v.members()) {
        FUZZ_CHECK_MSG(keys.insert(m.key).second, m.key);
        FUZZ_CHECK(v.find(m.key) == &m.val);
        const std::size_t key_at = positions.offset(m.key_line, m.key_column);
        FUZZ_CHECK_MSG(key_at < text.size() && text[key_at] == '"', where(m.key_line, m.key_column));
        check_tree(m.val, positions, text, depth + 1, max_depth);
      }
      FUZZ_CHECK(v.members().size() == v.size());
      break;
    }
    default: break;
  }
}

void write(const json::value& v, json::writer& w) {
  switch (v.kind()) {
    case json::kind::null: w.null(); break;
    case json::kind::boolean: w.boolean(v.as_bool()); break;
    case json::kind::number:
      if (v.is_integer()) {
        w.number(v.as_int64());
      } else {
        w.number(v.as_number());
      }
      break;
    case json::kind::string: w.string(v.as_string()); break;
    case json::kind::array:
      w.begin_array();
      for (const json::value& e : v.elements()) write(e, w);
      w.end_array();
      break;
    case json::kind::object:
      w.begin_object();
      for (const json::member& m : v.members()) {
        w.key(m.key);
        write(m.val, w);
      }
      w.end_object();
      break;
  }
}

bool same(const json::value& a, const json::value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::null: return true;
    case json::kind::boolean: return a.as_bool() == b.as_bool();
    case json::kind::number:
      return a.is_integer() == b.is_integer() &&
             (a.is_integer() ? a.as_int64() == b.as_int64() : a.as_number() == b.as_number());
    case json::kind::string: return a.as_string() == b.as_string();
    case json::kind::array: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same(a[i], b[i])) return false;
      }
      return true;
    }
    case json::kind::object: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (a.members()[i].key != b.members()[i].key || !same(a.members()[i].val, b.members()[i].val)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const radbridge::fuzz::subject scope(text);
  const std::uint64_t h = radbridge::fuzz::fnv1a(text);
  json::parse_options options;
  options.allow_comments = (h & 1) != 0;
  if ((h & 6) == 0) options.max_depth = 1 + ((h >> 3) & 7);
  if ((h & 0x60) == 0 && size > 0) options.max_bytes = (h >> 8) % size;

  const json::document_result doc = json::parse_document(text, options);
  const position_map positions(text);
  if (!doc) {
    const json::parse_error& e = doc.error();
    FUZZ_CHECK_MSG(!e.reason.empty(), where(e.line, e.column));
    if (size <= options.max_bytes) {
      FUZZ_CHECK_MSG(e.line >= 1 && e.line <= positions.lines(), where(e.line, e.column) + " " + e.reason);
      FUZZ_CHECK_MSG(positions.offset(e.line, e.column) <= size, where(e.line, e.column) + " " + e.reason);
    }
    const std::string formatted = json::format_error("f.json", e);
    FUZZ_CHECK_MSG(formatted == "f.json:" + where(e.line, e.column) + ": " + e.reason, formatted);
    return 0;
  }
  FUZZ_CHECK(size <= options.max_bytes);
  check_tree(doc.value(), positions, text, 0, options.max_depth);

  json::writer w;
  write(doc.value(), w);
  const std::string again_text = w.str();
  json::parse_options plain;
  plain.max_depth = options.max_depth;
  plain.max_bytes = again_text.size() + 1;
  const json::document_result again = json::parse_document(again_text, plain);
  FUZZ_CHECK_MSG(again.has_value(), again_text + (again ? std::string() : " -> " + again.error().reason));
  FUZZ_CHECK_MSG(same(doc.value(), again.value()), again_text);
  return 0;
}
