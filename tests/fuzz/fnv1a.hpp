// FNV-1a (64 bits) of a fuzz input. Targets derive their options from it
// (limits, where to cut the input), so that every mutation of an input also
// tries other options and one corpus covers them all. The constants are
// FNV's published ones; changing them gives every kept input other options.
#pragma once

#include <cstdint>
#include <string_view>

namespace radbridge::fuzz {

inline std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ULL;  // offset basis
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;  // prime
  }
  return h;
}

}  // namespace radbridge::fuzz
