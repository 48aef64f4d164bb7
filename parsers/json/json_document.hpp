// A JSON document tree that remembers where every value and key starts, for
// files that people edit (configuration, routes, code mappings).
//
// `parse_document` checks the text with RapidJSON's SAX reader (strict JSON,
// UTF-8 validated inside strings) and builds an immutable tree of `value`s. Every problem comes back as a `parse_error`
// (never an exception) with a 1-based line and column and a reason, and
// `format_error` / `located` render it as `file:line:col: reason`, so a loader
// can report its own semantic errors ("unknown code system") in the same form.
//
// Beyond what RapidJSON checks, the parser rejects: a key repeated in one
// object (`duplicate key "x"`, at the second key; keys compare after escapes
// are decoded), a `\u` escape of a lone low surrogate (as RapidJSON rejects a
// lone high one; strings are always UTF-8), arrays/objects nested deeper
// than `parse_options::max_depth`, input longer than
// `parse_options::max_bytes`, and NUL bytes anywhere.
// A leading UTF-8 byte order mark is skipped. Comments (`// ...` to the end
// of the line and `/* ... */`) are accepted only with
// `parse_options::allow_comments` (default off: the files stay plain JSON that
// every other tool reads); trailing commas, single quotes, NaN and Infinity
// never are.
//
// Positions. `line()` counts line breaks before the value, each of LF, CRLF
// and a lone CR counting once. `column()` counts Unicode code points, not
// bytes: 1 + the number of UTF-8 lead bytes (every byte that is not
// 10xxxxxx) between the start of the line and the value, so "é" and a tab are
// one column each. A value starts at its first byte: the opening quote of a
// string, `[` or `{` of an array or object, the sign or first digit of a
// number, the first letter of true/false/null; a member's key position is its
// opening quote. A syntax error is placed where RapidJSON stopped reading
// (the unexpected byte, or the end of the text), except that a bad literal
// such as `nul` or `True` is placed at its first letter and a trailing comma
// at the comma.
//
// Numbers. A number written without fraction or exponent that fits in
// int64 is an integer (`is_integer()`, exact `as_int64()`); every other
// number, including integers beyond int64 such as 2^63, is only a double.
// `as_number()` works for both. Doubles are converted from the text with
// std::from_chars (correctly rounded, locale-independent); one too large for
// a double is an error, one too small becomes 0. -0 is the integer 0.
//
// Accessors are for values whose kind the caller has checked: calling one on
// the wrong kind is a programming error and throws std::logic_error naming
// both kinds; `operator[]` past the end throws std::out_of_range. Values are
// plain data (copyable, no pointers into the text), so the text may go away
// after parsing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace radbridge::json {

enum class kind { null, boolean, number, string, array, object };

// "null", "boolean", "number", "string", "array", "object".
std::string_view kind_name(kind k) noexcept;

struct member;

namespace detail {
class tree_builder;
}

class value {
 public:
  value() = default;  // null at line 0, column 0 (a value not from a document)

  json::kind kind() const noexcept { return static_cast<json::kind>(data_.index()); }
  std::string_view kind_name() const noexcept { return json::kind_name(kind()); }
  bool is_null() const noexcept { return kind() == json::kind::null; }
  bool is_bool() const noexcept { return kind() == json::kind::boolean; }
  bool is_number() const noexcept { return kind() == json::kind::number; }
  bool is_string() const noexcept { return kind() == json::kind::string; }
  bool is_array() const noexcept { return kind() == json::kind::array; }
  bool is_object() const noexcept { return kind() == json::kind::object; }

  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }

  bool as_bool() const;
  const std::string& as_string() const;  // UTF-8, escapes decoded; may hold NUL from \u0000
  double as_number() const;              // integers converted (rounded beyond 2^53)
  bool is_integer() const noexcept;      // a number written as an integer that fits in int64
  std::int64_t as_int64() const;         // requires is_integer()

  // Arrays and objects: number of elements or members.
  std::size_t size() const;
  // Arrays.
  const value& operator[](std::size_t index) const;
  std::span<const value> elements() const;
  // Objects: members in document order; `find` is nullptr when the key is absent.
  std::span<const member> members() const;
  const value* find(std::string_view key) const;

 private:
  friend class detail::tree_builder;

  struct number_data {
    double as_double = 0;
    std::int64_t as_int = 0;
    bool integer = false;
  };
  struct object_data {
    std::vector<member> members;
    std::vector<std::uint32_t> by_key;  // member indices sorted by key; empty for small objects
  };
  // Alternatives in the order of `json::kind`.
  using data = std::variant<std::monostate, bool, number_data, std::string, std::vector<value>, object_data>;

  // Builds the `I`th alternative in place (a template, so that it is only
  // instantiated where `member` is complete).
  template <std::size_t I, class... Args>
  value(std::in_place_index_t<I> alternative, std::uint32_t line, std::uint32_t column, Args&&... args)
      : data_(alternative, std::forward<Args>(args)...), line_(line), column_(column) {}
  [[noreturn]] void wrong_kind(json::kind wanted) const;

  data data_;
  std::uint32_t line_ = 0;
  std::uint32_t column_ = 0;
};

struct member {
  std::string key;
  std::size_t key_line = 0;
  std::size_t key_column = 0;
  value val;
};

struct parse_error {
  std::size_t line = 0;
  std::size_t column = 0;
  std::string reason;  // e.g. `duplicate key "code"`, `missing a comma or ']' after an array element`
};

struct parse_options {
  std::size_t max_bytes = 8 * 1024 * 1024;  // longer input is refused before parsing
  std::size_t max_depth = 64;               // arrays/objects nested in each other; capped at 1024
  bool allow_comments = false;              // `//` and `/* */` comments
};

// The root value of a document, or the first problem found in it.
class document_result {
 public:
  document_result(json::value root) : v_(std::move(root)) {}  // NOLINT: implicit by design
  document_result(parse_error e) : v_(std::move(e)) {}        // NOLINT: implicit by design

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  const json::value& value() const& { return std::get<0>(v_); }  // requires has_value()
  json::value&& value() && { return std::get<0>(std::move(v_)); }
  const parse_error& error() const { return std::get<1>(v_); }  // requires !has_value()

 private:
  std::variant<json::value, parse_error> v_;
};

document_result parse_document(std::string_view text, const parse_options& options = {});

// "file:line:col: reason".
std::string format_error(std::string_view file, const parse_error& e);
// "file:line:col: reason" at the start of `v`, or at a member's key; one
// line whatever the reason quotes: control characters in it are written as
// JSON escapes, \u00XX, as duplicate keys are shown (a key "a\nb" as
// a\u000ab).
std::string located(std::string_view file, const value& v, std::string_view reason);
std::string located(std::string_view file, const member& m, std::string_view reason);

}  // namespace radbridge::json
