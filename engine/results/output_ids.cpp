#include "results/output_ids.hpp"

#include <array>
#include <cstdint>

#include "core/sha256.hpp"

namespace radbridge::results {

namespace {

std::string digest(std::string_view job_key, std::string_view what) {
  std::string input(job_key);
  input += '\n';
  input += what;
  return sha256(input);
}

// The decimal digits of a 128-bit big-endian number.
std::string decimal_128(std::string_view bytes16) {
  std::array<std::uint32_t, 4> words{};  // most significant first
  for (std::size_t i = 0; i < 16; ++i) {
    words[i / 4] = (words[i / 4] << 8) | static_cast<unsigned char>(bytes16[i]);
  }
  std::string digits;
  auto is_zero = [&] { return words[0] == 0 && words[1] == 0 && words[2] == 0 && words[3] == 0; };
  do {
    std::uint64_t remainder = 0;
    for (std::uint32_t& w : words) {
      const std::uint64_t current = (remainder << 32) | w;
      w = static_cast<std::uint32_t>(current / 10);
      remainder = current % 10;
    }
    digits.insert(digits.begin(), static_cast<char>('0' + remainder));
  } while (!is_zero());
  return digits;
}

}  // namespace

std::string message_control_id(std::string_view job_key, std::string_view what) {
  std::string hex = to_hex(digest(job_key, what)).substr(0, 18);
  for (char& c : hex) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return "RB" + hex;
}

std::string fhir_identifier_value(std::string_view job_key, std::string_view what) {
  return to_hex(digest(job_key, what)).substr(0, 32);
}

std::string derived_uid(std::string_view job_key, std::string_view what) {
  return "2.25." + decimal_128(std::string_view(digest(job_key, what)).substr(0, 16));
}

}  // namespace radbridge::results
