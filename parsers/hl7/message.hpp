// One parsed HL7 v2 message: an owned, immutable byte buffer plus an index.
//
// `message::parse` copies the bytes once, normalises segment terminators (LF
// and CRLF become CR, blank lines are dropped from the index, a missing final
// CR is added), reads the delimiters from MSH-1/MSH-2 (distinct printable
// ASCII, not letters or digits), and records where each
// segment and field starts. It checks, before allocating for them, the limits
// (bytes, segments, fields per segment, repetitions per field), and it checks
// every escape sequence, every segment name, MSH-18 and the bytes against
// that character set (NUL is text in none), that no other header segment
// (MSH, BHS, FHS) follows the first (one message, not two in one frame;
// only a batch envelope, read by parse_with_header, has several), and that
// MSH-9 and MSH-10 are present; a message that
// parses is therefore safe to unescape anywhere (except a hex escape naming
// bytes invalid in the charset, reported by `value`).
//
// Accessors return views into the buffer (raw, still escaped) or, through
// `value`, unescaped UTF-8. Positions follow the path grammar in path.hpp.
// Components and subcomponents are found on demand by scanning the field.
// `""` (the HL7 null) is a two-character raw value, distinct from an empty
// one; callers that care use `is_null`. Z-segments are ordinary segments.
// `encode` writes the index back out: for a CR-terminated message it is the
// input byte for byte, trailing delimiters included.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/charset.hpp"
#include "hl7/delimiters.hpp"
#include "hl7/error.hpp"
#include "hl7/path.hpp"

namespace radbridge::hl7 {

struct limits {
  std::size_t max_bytes = 16 * 1024 * 1024;
  std::size_t max_segments = 10'000;
  std::size_t max_fields = 1'000;       // per segment
  std::size_t max_repetitions = 1'000;  // per field
};

// The HL7 null: a field that explicitly says "delete this value".
inline bool is_null(std::string_view raw) noexcept { return raw == "\"\""; }

class message;

// A segment of a message; valid as long as the message is.
class segment_view {
 public:
  std::string_view name() const noexcept;
  std::string_view raw() const noexcept;      // without the terminating CR
  std::size_t offset() const noexcept;        // of the name, in message::bytes()
  std::size_t field_count() const noexcept;   // number of the last field present
  bool is_header() const noexcept;            // MSH, FHS, BHS: fields 1 and 2 are delimiters
  std::string_view field(std::size_t n) const noexcept;        // raw; empty when absent
  std::optional<std::string_view> find_field(std::size_t n) const noexcept;

 private:
  friend class message;
  segment_view(const message* m, std::uint32_t index) : msg_(m), index_(index) {}
  const message* msg_;
  std::uint32_t index_;
};

class message {
 public:
  static result<message> parse(std::string_view bytes, const limits& lim = {});
  static result<message> parse(std::string&& bytes, const limits& lim = {});

  std::string_view bytes() const noexcept { return buf_; }
  const hl7::delimiters& delimiters() const noexcept { return delims_; }
  hl7::charset charset() const noexcept { return charset_; }

  std::size_t segment_count() const noexcept { return segments_.size(); }
  segment_view segment(std::size_t index) const noexcept {
    return {this, static_cast<std::uint32_t>(index)};
  }
  std::optional<segment_view> find(std::string_view name, int occurrence = 1) const noexcept;

  // Raw (escaped) value at a path; nullopt when the message has no such position.
  std::optional<std::string_view> raw(const path& p) const noexcept;
  // Unescaped UTF-8 value at a path; empty when absent.
  result<std::string> value(const path& p) const;
  result<std::string> value(std::string_view path_expression) const;
  // Unescapes a raw slice of this message into UTF-8.
  result<std::string> unescape(std::string_view raw) const;

  std::string_view message_type() const noexcept;   // MSH-9.1, raw
  std::string_view trigger_event() const noexcept;  // MSH-9.2, raw
  std::string_view control_id() const noexcept;     // MSH-10, raw

  std::string encode() const;

  // Where a byte offset of bytes() is, as a locator (e.g. for ERR-2).
  location locate(std::size_t offset) const;

 private:
  friend class segment_view;
  friend result<message> parse_with_header(std::string&&, const limits&, bool);

  struct segment_entry {
    std::uint32_t begin;        // offset of the name
    std::uint32_t end;          // offset of the terminating CR
    std::uint32_t first_field;  // index into field_starts_ of field 0 (the name)
    std::uint32_t field_count;  // entries in field_starts_, the name included
  };

  message() = default;

  std::string buf_;
  hl7::delimiters delims_;
  hl7::charset charset_ = hl7::charset::ascii;
  std::vector<segment_entry> segments_;
  std::vector<std::uint32_t> field_starts_;
};

// Parses a message whose header segment may also be FHS or BHS (batch
// envelopes); MSH-9/MSH-10 are only required when it is MSH. With
// allow_batch_header, later header segments are allowed too (an envelope's
// BHS after its FHS) and must repeat the first's MSH-1 and MSH-2.
result<message> parse_with_header(std::string&& bytes, const limits& lim, bool allow_batch_header);

// Where `offset` falls in raw message bytes with delimiters `d`; works on any
// bytes, parsed or not, so errors found mid-parse can be located.
location locate_in(std::string_view bytes, const hl7::delimiters& d, std::size_t offset);

}  // namespace radbridge::hl7
