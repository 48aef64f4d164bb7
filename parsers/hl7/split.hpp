// Splitting raw HL7 slices on one delimiter, without allocating.
//
// Pieces are numbered from 1 like everything in HL7. An empty slice has one
// (empty) piece, so `|~R2|` has two repetitions and `||` has one.
#pragma once

#include <optional>
#include <string_view>

namespace radbridge::hl7 {

// The n-th piece of `s` split on `sep`, or nullopt when `s` has fewer pieces.
inline std::optional<std::string_view> nth_piece(std::string_view s, char sep, int n) noexcept {
  std::size_t start = 0;
  for (int i = 1; i < n; ++i) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) return std::nullopt;
    start = pos + 1;
  }
  const std::size_t end = s.find(sep, start);
  return s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

// Calls f(piece) for every piece of `s` split on `sep`, in order.
template <class F>
void for_each_piece(std::string_view s, char sep, F&& f) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      f(s.substr(start));
      return;
    }
    f(s.substr(start, pos - start));
    start = pos + 1;
  }
}

}  // namespace radbridge::hl7
