// Receiver-supplied text made safe for a one-line `detail`: control
// characters and non-ASCII bytes become '?', and at most `max` characters
// are kept ("..." marks a cut). Used for values a peer echoes (an ACK's MSA-2,
// an HTTP reason phrase), never for bodies.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace radbridge::deliver {

inline std::string printable(std::string_view text, std::size_t max = 64) {
  std::string out;
  for (const char c : text.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace radbridge::deliver
