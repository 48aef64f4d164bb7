// HL7 v2 codec errors as values.
//
// A malformed message is an expected outcome that becomes a NAK, so the codec
// never throws for bad input: every failure is an `errc` (one code per kind of
// failure, each with a stable name used in tests and logs), the byte offset
// in the normalised message where it was found, and a locator such as
// `PID-3[2].1` that also fills ERR-2. `result<T>` carries either a value or
// such an error. Each errc maps to one HL7 table 0357 code for the ERR segment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace radbridge::hl7 {

enum class errc {
  empty_input,            // nothing but whitespace
  xml_encoded,            // HL7 v2 XML encoding; we only speak ER7 (pipes)
  missing_msh,            // the first segment is not MSH (or FHS/BHS in a batch)
  bad_encoding_chars,     // MSH-1/MSH-2 absent, wrong length, repeated or alphanumeric
  bad_segment_name,       // a segment name that is not three upper-case letters/digits
  missing_required_field, // MSH-9 (message type) or MSH-10 (control id) empty
  frame_too_large,        // more bytes than limits::max_bytes
  too_many_segments,      // more than limits::max_segments
  too_many_fields,        // a segment with more than limits::max_fields
  too_many_repetitions,   // a field with more than limits::max_repetitions
  bad_escape,             // an escape sequence that is unterminated or unknown
  bad_hex_escape,         // \X..\ with an odd count or a non-hex digit
  unknown_charset,        // MSH-18 names a character set we do not decode
  invalid_text,           // bytes that are not valid in the declared character set, or a NUL (in any)
  bad_batch,              // batch envelope out of order or counts that do not match; a header
                          // segment (MSH, BHS, FHS) after the first segment of one message
  bad_path,               // a path expression that does not follow the grammar
};

// Stable snake_case name of the code, e.g. "bad_escape".
std::string_view to_string(errc code) noexcept;

// HL7 table 0357 code for ERR-3 (100 segment sequence, 101 required field
// missing, 102 data type error, 103 table value not found, 104 value too long;
// 207 application internal error for bad_path, which is never the sender's fault).
int hl7_error_code(errc code) noexcept;

// Where in a message a problem is. Fields, repetitions, components and
// subcomponents are 1-based; 0 means "not narrowed down to that level".
struct location {
  std::string segment;       // "PID"; empty when not known
  int segment_occurrence = 0; // n-th segment with that name
  int field = 0;
  int repetition = 0;
  int component = 0;
  int subcomponent = 0;

  // "PID-3[2].1", "OBX[3]-5", "MSH"; occurrence/repetition 1 are left out.
  std::string to_string() const;
};

struct error {
  errc code{};
  std::size_t offset = 0; // byte offset in the (normalised) input
  location where;

  // "bad_escape at PID-5.1 (byte 212)"
  std::string to_string() const;
};

// A value or an error; the moral equivalent of C++23 std::expected.
template <class T>
class result {
 public:
  using error_type = hl7::error;
  result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  result(error_type e) : v_(std::move(e)) {}         // NOLINT: implicit by design
  explicit operator bool() const noexcept { return v_.index() == 0; }
  bool has_value() const noexcept { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  const error_type& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, error_type> v_;
};

}  // namespace radbridge::hl7
