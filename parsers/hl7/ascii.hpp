// ASCII character classes for the HL7 parsers: locale-free, byte by byte.
#pragma once

namespace radbridge::hl7::ascii {

constexpr bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) noexcept { return is_upper(c) || (c >= 'a' && c <= 'z') || is_digit(c); }

}  // namespace radbridge::hl7::ascii
