// multipart/* bodies (RFC 2046), as DICOMweb's WADO-RS sends instances in a
// multipart/related response (RFC 2387), without any I/O.
//
// `parse_content_type` splits a Content-Type value into media type and
// parameters (names lower-cased, quoted values unquoted); `boundary_of` checks
// the boundary against RFC 2046 (1 to 70 `bchars`, not ending in a space).
// `reader` is a push parser: feed it the body in chunks of any size (one
// byte at a time gives the same result as all at once) and take completed
// parts with `next()`; only the part in progress and fewer bytes than one
// delimiter are buffered, so a caller streaming a large response holds each
// part's bytes once. `parse` is the one-shot form for a body already in
// memory.
//
// What is accepted, exactly: the delimiter is CRLF "--" boundary; the first
// one may open the body without the CRLF. Preamble and epilogue are ignored.
// After a boundary come optional transport padding (spaces and tabs) and CRLF,
// or "--" for the close delimiter. Part headers are `name: value` lines ended
// by CRLF (a token name directly followed by the colon; a line starting with
// a space or tab continues the previous header), then an empty line; a part
// may have no headers. The part body is every byte up to the next delimiter,
// binary-safe. Bare CR or LF in header lines, padding other than spaces and
// tabs, and bytes after a boundary other than those are errors.
//
// Errors are values (`errc` with the byte offset in the body where it was
// found), never exceptions for bad input; after an error the reader stays
// failed and repeats it. Limits (total bytes, parts, header bytes per part)
// are checked before buffering more. Only std::bad_alloc can escape.
//
// Not provided: nested multiparts (a part is bytes; parse it again if it is
// one), Content-Transfer-Encoding decoding (HTTP does not use it), comments
// in Content-Type values, character-set conversion of header values.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace radbridge::multipart {

enum class errc {
  bad_content_type,      // not `type/subtype *(; name=value)`, a bad quoted string, a repeated parameter
  not_multipart,         // the media type is not multipart/*
  missing_boundary,      // no boundary parameter
  bad_boundary,          // empty, over 70 characters, a character outside RFC 2046 bchars, or ends in a space
  no_opening_delimiter,  // the input ended without any --boundary line
  bad_delimiter,         // a --boundary followed by other than padding and CRLF, or "--"
  malformed_header,      // a part header line that is not `token: value`, or a bare CR or LF in it
  headers_too_large,     // a part's header lines exceed limits::max_header_bytes
  too_many_parts,        // more than limits::max_parts parts
  too_large,             // more than limits::max_bytes of input
  no_closing_delimiter,  // the input ended before the close delimiter --boundary--
};

// Stable snake_case name of the code, e.g. "no_closing_delimiter".
std::string_view to_string(errc code) noexcept;

struct error {
  errc code{};
  std::size_t offset = 0;  // byte offset in the body (or in the Content-Type value for its errors)

  // "bad_delimiter at byte 57"
  std::string to_string() const;
  friend bool operator==(const error&, const error&) = default;
};

// A value or an error; the moral equivalent of C++23 std::expected.
template <class T>
class result {
 public:
  using error_type = multipart::error;
  result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  result(error_type e) : v_(e) {}            // NOLINT: implicit by design
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

struct parameter {
  std::string name;   // lower-cased
  std::string value;  // quotes removed, quoted pairs decoded; case kept
};

struct content_type {
  std::string type;     // lower-cased, e.g. "multipart"
  std::string subtype;  // lower-cased, e.g. "related"
  std::vector<parameter> parameters;

  // The value of a parameter (name compared case-insensitively), if present.
  std::optional<std::string_view> find(std::string_view name) const;
  std::string media_type() const { return type + "/" + subtype; }
};

// RFC 7231 media-type syntax. Unquoted values may also hold '/', '=', ':',
// '?', '(', ')' and ',' (RFC 2045 wants those quoted; servers send boundaries
// such as `----=_Part_1` bare). Empty parameters between or after semicolons
// are skipped. Error offsets point into `value`.
result<content_type> parse_content_type(std::string_view value);

// The validated boundary of a multipart/* content type: not_multipart,
// missing_boundary or bad_boundary (offsets 0).
result<std::string> boundary_of(const content_type& type);

// Case-insensitive ASCII comparison, as header and parameter names compare.
bool iequals(std::string_view a, std::string_view b) noexcept;

struct header {
  std::string name;   // as sent
  std::string value;  // surrounding spaces/tabs removed; continuation lines joined with their leading blank
};

struct part {
  std::vector<header> headers;  // in order; a name may repeat
  std::string body;

  // The first header with that name (case-insensitive), if any.
  std::optional<std::string_view> find(std::string_view name) const;
  // The part's Content-Type header, or empty (RFC 2046 then means text/plain).
  std::string_view content_type() const { return find("content-type").value_or(std::string_view{}); }
};

struct limits {
  std::size_t max_bytes = std::size_t{1} << 30;   // the whole input, preamble and epilogue included
  std::size_t max_parts = 65536;                  // parts between the delimiters
  std::size_t max_header_bytes = 64 * 1024;       // one part's header lines (and padding after its boundary)
};

class reader {
 public:
  // `boundary` as boundary_of returns it; an invalid one throws
  // std::invalid_argument (a programming error, not bad input).
  explicit reader(std::string boundary, limits limits = {});

  // Consumes all of `bytes`. Returns the error when one is found, and the
  // same error for every later feed() or finish().
  std::optional<error> feed(std::string_view bytes);
  // The end of the input: no_opening_delimiter or no_closing_delimiter unless
  // the close delimiter was seen.
  std::optional<error> finish();

  // The oldest completed part not yet taken; take them after each feed() so
  // that at most one chunk's worth of parts is queued.
  std::optional<part> next();

  // Whether the close delimiter has been seen (the rest is epilogue).
  bool done() const noexcept { return state_ == state::epilogue; }
  std::size_t bytes_fed() const noexcept { return fed_; }
  // Parts started so far (completed, queued or in progress).
  std::size_t parts_started() const noexcept { return parts_started_; }

 private:
  enum class state { preamble, after_boundary, headers, body, epilogue, failed };

  std::optional<error> fail(errc code, std::size_t buffer_index);
  std::optional<error> fail_at(errc code, std::size_t offset);
  // Each returns false when it needs more input (or failed).
  bool step_preamble();
  bool step_after_boundary();
  bool step_headers();
  bool step_body();
  bool header_line(std::string_view line, std::size_t buffer_index);
  void consume(std::size_t n);

  std::string delimiter_;  // CRLF "--" boundary
  limits limits_;
  state state_ = state::preamble;
  std::string buffer_;    // unconsumed input; starts with a virtual CRLF so a first boundary needs none
  std::size_t buffer_offset_ = 0;  // offset of buffer_[0] in the virtual stream (CRLF + input)
  std::size_t fed_ = 0;
  std::size_t padding_ = 0;       // transport padding seen after the current boundary
  std::size_t header_bytes_ = 0;  // header bytes of the current part so far
  std::size_t scanned_ = 0;       // headers: buffer_ bytes known to hold no complete CRLF
  std::size_t parts_started_ = 0;
  bool seen_delimiter_ = false;
  part current_;
  std::deque<part> completed_;
  error error_{};
};

struct message {
  multipart::content_type content_type;
  std::string boundary;
  std::string type;  // the `type` parameter (multipart/related), as sent; empty when absent
  std::vector<part> parts;
};

// The whole body at once. Errors in the Content-Type value come first
// (offsets into it), then those of the body (offsets into `body`).
result<message> parse(std::string_view content_type, std::string_view body, const limits& limits = {});

}  // namespace radbridge::multipart
