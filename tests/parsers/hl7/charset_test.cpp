// Tests for parsers/hl7/charset.hpp: MSH-18 names, UTF-8 validation (with
// the documented ASCII leniency) and Latin-1 to UTF-8 conversion.
#include <doctest/doctest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "hl7/charset.hpp"

namespace hl7 = radbridge::hl7;
using hl7::charset;

namespace {
constexpr std::size_t npos = std::string_view::npos;
}  // namespace

TEST_CASE("hl7 charset: charset_from_msh18 names the supported charsets") {
  CHECK(hl7::charset_from_msh18("") == std::optional<charset>(charset::ascii));
  CHECK(hl7::charset_from_msh18("ASCII") == std::optional<charset>(charset::ascii));
  CHECK(hl7::charset_from_msh18("8859/1") == std::optional<charset>(charset::latin1));
  CHECK(hl7::charset_from_msh18("UNICODE UTF-8") == std::optional<charset>(charset::utf8));
}

TEST_CASE("hl7 charset: charset_from_msh18 does not guess unknown names") {
  for (std::string_view name : {"KLINGON-1", "UTF-8", "unicode utf-8", "ascii", "8859/15", "8859/2", "ISO IR192",
                                "UNICODE", "UNICODE UTF-16", " ASCII", "ASCII ", "8859/1^x"}) {
    CAPTURE(name);
    CHECK_FALSE(hl7::charset_from_msh18(name).has_value());
  }
}

TEST_CASE("hl7 charset: find_invalid_text accepts well-formed UTF-8") {
  for (charset cs : {charset::utf8, charset::ascii}) {
    CHECK(hl7::find_invalid_text("", cs) == npos);
    CHECK(hl7::find_invalid_text("plain ASCII |^~\\&", cs) == npos);
    CHECK(hl7::find_invalid_text("\xC2\x80", cs) == npos);                 // U+0080, smallest 2-byte
    CHECK(hl7::find_invalid_text("M\xC3\xBCller", cs) == npos);            // U+00FC
    CHECK(hl7::find_invalid_text("\xE0\xA0\x80", cs) == npos);             // U+0800, smallest 3-byte
    CHECK(hl7::find_invalid_text("\xE2\x82\xAC", cs) == npos);             // U+20AC
    CHECK(hl7::find_invalid_text("\xED\x9F\xBF", cs) == npos);             // U+D7FF, just below surrogates
    CHECK(hl7::find_invalid_text("\xEE\x80\x80", cs) == npos);             // U+E000, just above surrogates
    CHECK(hl7::find_invalid_text("\xF0\x90\x80\x80", cs) == npos);         // U+10000, smallest 4-byte
    CHECK(hl7::find_invalid_text("\xF0\x9F\x98\x80", cs) == npos);         // U+1F600
    CHECK(hl7::find_invalid_text("\xF4\x8F\xBF\xBF", cs) == npos);         // U+10FFFF, the largest
  }
}

TEST_CASE("hl7 charset: find_invalid_text finds overlong, surrogate and truncated sequences") {
  struct bad {
    std::string_view text;
    std::size_t offset;
  };
  for (charset cs : {charset::utf8, charset::ascii}) {
    for (const bad& b : {
             bad{"\xC0\x80", 0},              // overlong NUL
             bad{"ab\xC1\xBF", 2},            // overlong 2-byte
             bad{"\xE0\x80\x80", 0},          // overlong 3-byte
             bad{"\xE0\x9F\xBF", 0},          // overlong 3-byte, largest
             bad{"x\xF0\x80\x80\x80", 1},     // overlong 4-byte
             bad{"\xF0\x8F\xBF\xBF", 0},      // overlong 4-byte, largest
             bad{"\xED\xA0\x80", 0},          // U+D800, high surrogate
             bad{"ok\xED\xBF\xBF", 2},        // U+DFFF, low surrogate
             bad{"\xF4\x90\x80\x80", 0},      // above U+10FFFF
             bad{"\xF5\x80\x80\x80", 0},      // lead byte never valid
             bad{"\xFF", 0},                  // never valid
             bad{"\x80", 0},                  // lone continuation byte
             bad{"a\xBF" "b", 1},             // lone continuation byte
             bad{"end\xC3", 3},               // truncated 2-byte at the end
             bad{"\xE2\x82", 0},              // truncated 3-byte at the end
             bad{"\xF0\x9F\x98", 0},          // truncated 4-byte at the end
             bad{"\xC3" "A", 0},              // truncated by an ASCII byte
             bad{"\xE2\x82" "A", 0},          // truncated by an ASCII byte
             bad{"\xC3\xA9\xE2\x82|", 2},     // valid, then truncated by a delimiter
             bad{"M\xFCller", 1},             // Latin-1 byte in UTF-8
         }) {
      CAPTURE(b.text);
      CHECK(hl7::find_invalid_text(b.text, cs) == b.offset);
    }
  }
}

TEST_CASE("hl7 charset: 8859/1 accepts every byte") {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  CHECK(hl7::find_invalid_text(all, charset::latin1) == npos);
  CHECK(hl7::find_invalid_text("\xC0\x80\xED\xA0\x80\xC3", charset::latin1) == npos);
  CHECK(hl7::find_invalid_text(all, charset::utf8) == 0x80);
}

TEST_CASE("hl7 charset: append_utf8 converts Latin-1 to UTF-8") {
  std::string out = "x";
  hl7::append_utf8(out, "Caf\xE9", charset::latin1);
  CHECK(out == "xCaf\xC3\xA9");

  std::string high;
  hl7::append_utf8(high, "\x80\xA0\xBF\xC0\xFC\xFF", charset::latin1);
  CHECK(high == "\xC2\x80\xC2\xA0\xC2\xBF\xC3\x80\xC3\xBC\xC3\xBF");

  // Every Latin-1 byte becomes its own code point, and the result is valid UTF-8.
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string converted;
  hl7::append_utf8(converted, all, charset::latin1);
  CHECK(converted.size() == 128 + 2 * 128);
  CHECK(converted.substr(0, 128) == all.substr(0, 128));
  CHECK(hl7::find_invalid_text(converted, charset::utf8) == npos);
  for (std::size_t b = 0x80; b < 256; ++b) {
    const auto lead = static_cast<unsigned char>(converted[128 + 2 * (b - 0x80)]);
    const auto trail = static_cast<unsigned char>(converted[128 + 2 * (b - 0x80) + 1]);
    CHECK(((lead & 0x1Fu) << 6 | (trail & 0x3Fu)) == b);
  }
}

TEST_CASE("hl7 charset: append_utf8 copies UTF-8 and ASCII unchanged") {
  const std::string_view text = "M\xC3\xBCller \xE2\x82\xAC";
  std::string a, b;
  hl7::append_utf8(a, text, charset::utf8);
  hl7::append_utf8(b, text, charset::ascii);
  CHECK(a == text);
  CHECK(b == text);
}
