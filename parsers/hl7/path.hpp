// The path grammar every part of radbridge uses to name a value in a message.
//
//   path    = SEG [ "[" n "]" ] "-" F [ "[" r "]" ] [ "." C [ "." S ] ]
//   SEG     = three characters, an upper-case letter then letters or digits
//
// All numbers are 1-based. `[n]` picks the n-th occurrence of the segment and
// `[r]` the r-th repetition of the field; both default to 1. Without `.C` the
// path names the whole repetition (all its components, raw). Examples:
// `PID-3[2].1` (second identifier's ID number), `OBX[3]-5.1`, `MSH-9.2`.
// MSH-1 is the field separator itself and MSH-2 the encoding characters; both
// are single values, never split (the same holds for FHS and BHS).
#pragma once

#include <string>
#include <string_view>

#include "hl7/error.hpp"

namespace radbridge::hl7 {

struct path {
  char segment[3] = {0, 0, 0};
  int occurrence = 1;
  int field = 1;
  int repetition = 1;
  int component = 0;     // 0: the whole repetition
  int subcomponent = 0;  // 0: the whole component

  std::string_view segment_name() const noexcept { return {segment, 3}; }
  std::string to_string() const;
};

// Parses a path expression; errors are `bad_path` with the offending offset.
result<path> parse_path(std::string_view text);

}  // namespace radbridge::hl7
