// Character sets named by MSH-18 and their conversion to UTF-8.
//
// Supported: ASCII (also the meaning of an empty MSH-18), `8859/1` (Latin-1)
// and `UNICODE UTF-8`. Every value the codec hands out is UTF-8. Leniency,
// chosen on purpose: a message that declares ASCII (or nothing) but carries
// bytes that form valid UTF-8 is accepted as UTF-8, because many senders do
// exactly that; bytes that are not valid UTF-8 there are `invalid_text`.
// Anything else in MSH-18 is `unknown_charset`, never guessed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace radbridge::hl7 {

enum class charset { ascii, latin1, utf8 };

// The charset MSH-18 (first repetition, first component, raw) names, or
// nullopt when it is not one we decode.
std::optional<charset> charset_from_msh18(std::string_view value) noexcept;

// Offset of the first byte of `text` that is not valid in `cs`, or npos.
std::size_t find_invalid_text(std::string_view text, charset cs) noexcept;

// Appends `bytes` (in `cs`) to `out` as UTF-8. Bytes must already be valid.
void append_utf8(std::string& out, std::string_view bytes, charset cs);

// Appends valid UTF-8 `text` to `out` in `cs`; false (and `out` unchanged)
// when a character has no byte in it: above U+00FF for Latin-1, above U+007F
// for ASCII (a strict reader would misread UTF-8 there).
bool append_from_utf8(std::string& out, std::string_view text, charset cs);

}  // namespace radbridge::hl7
