// HL7 v2 escape sequences, decoded on demand and written by the builder.
//
// Decoding (`unescape`) turns one leaf value (a subcomponent, or any larger
// raw slice: delimiters inside it are copied as they are) into UTF-8:
//   \F\ \S\ \T\ \R\ \E\ \P\  -> the message's own field, component,
//                               subcomponent, repetition, escape and
//                               truncation characters;
//   \Xhhhh..\                -> those bytes, read in the message's charset;
//   \H\ \N\ \.br\ \.sp\ \.in\ \.ti\ \.sk\ \.ce\ \.fi\ \.nf\ \Cxxyy\ \Mxxyyzz\ \Zxx\ (kept)
//                            -> kept verbatim, escape characters included:
//                               formatting is a rendering decision of the
//                               receiver, so the value keeps it for them.
// Anything else, or an escape character without its closing partner, is
// `bad_escape`; a hex escape with an odd count or a non-hex digit is
// `bad_hex_escape`. Offsets in errors are relative to the given text.
//
// Encoding (`escape`) makes UTF-8 text safe inside one leaf: delimiters
// become their escapes, CR and LF become \X0D\ and \X0A\.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "hl7/charset.hpp"
#include "hl7/delimiters.hpp"
#include "hl7/error.hpp"

namespace radbridge::hl7 {

struct escape_error {
  errc code;
  std::size_t offset;  // of the opening escape character
};

// Checks the escape sequence that opens at text[start] (an escape character)
// and returns the offset just past its closing escape character. A sequence
// never spans a delimiter or a segment end.
std::optional<escape_error> check_escape(std::string_view text, std::size_t start,
                                         const delimiters& d, std::size_t& end) noexcept;

// Decodes `raw` into UTF-8, or reports the first bad escape / invalid byte.
std::optional<escape_error> unescape_into(std::string& out, std::string_view raw,
                                          const delimiters& d, charset cs);

// Writes UTF-8 `text` so that it reads back as itself in one leaf value.
std::string escape(std::string_view text, const delimiters& d);
void escape_into(std::string& out, std::string_view text, const delimiters& d);

}  // namespace radbridge::hl7
