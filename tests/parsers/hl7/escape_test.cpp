// Tests for parsers/hl7/escape.hpp: decoding every kind of escape sequence
// with default and custom delimiters and in each charset, the errors, and
// escape() round-tripping through unescape.
#include <doctest/doctest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "hl7/charset.hpp"
#include "hl7/delimiters.hpp"
#include "hl7/error.hpp"
#include "hl7/escape.hpp"
#include "hl7/message.hpp"

namespace hl7 = radbridge::hl7;
using hl7::errc;

namespace {

const hl7::delimiters defaults{};
const hl7::delimiters custom{'#', '$', '*', '?', '%', '\0'};
const hl7::delimiters with_truncation{'|', '^', '~', '\\', '&', '#'};

std::string decode(std::string_view raw, const hl7::delimiters& d = defaults, hl7::charset cs = hl7::charset::ascii) {
  std::string out;
  const auto e = hl7::unescape_into(out, raw, d, cs);
  INFO(raw);
  REQUIRE_FALSE(e.has_value());
  return out;
}

hl7::escape_error decode_error(std::string_view raw, const hl7::delimiters& d = defaults,
                               hl7::charset cs = hl7::charset::ascii) {
  std::string out;
  const auto e = hl7::unescape_into(out, raw, d, cs);
  INFO(raw);
  REQUIRE(e.has_value());
  return *e;
}

}  // namespace

TEST_CASE("hl7 escape: \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ map to the default delimiters") {
  CHECK(decode("\\F\\") == "|");
  CHECK(decode("\\S\\") == "^");
  CHECK(decode("\\T\\") == "&");
  CHECK(decode("\\R\\") == "~");
  CHECK(decode("\\E\\") == "\\");
  CHECK(decode("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f") == "a|b^c&d~e\\f");
  CHECK(decode("\\F\\\\S\\\\T\\\\R\\\\E\\") == "|^&~\\");
  CHECK(decode("C:\\E\\PACS\\E\\export") == "C:\\PACS\\export");
  CHECK(decode("") == "");
  CHECK(decode("no escapes at all") == "no escapes at all");
}

TEST_CASE("hl7 escape: \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ map to custom delimiters") {
  CHECK(decode("a?F?b?S?c?T?d?R?e?E?f", custom) == "a#b$c%d*e?f");
  // The default escape character is ordinary text under custom delimiters.
  CHECK(decode("C:\\TEMP \\F\\", custom) == "C:\\TEMP \\F\\");
  const hl7::delimiters bang{'!', '^', '~', '/', '&', '\0'};
  CHECK(decode("9 BANG/F/BAR RD /S/ x/E/y", bang) == "9 BANG!BAR RD ^ x/y");
}

TEST_CASE("hl7 escape: escapes decode to the message's own delimiters") {
  const std::string in =
      "MSH#$*?%#RIS#H#PACS#H#20240321101500##ORM$O01#X1#P#2.3.1\r"
      "OBX#1#ST#C##?F??S??T??R??E?\r";
  auto m = hl7::message::parse(in);
  REQUIRE(m.has_value());
  const auto v = m->value("OBX-5");
  REQUIRE(v.has_value());
  CHECK(*v == "#$%*?");
}

TEST_CASE("hl7 escape: \\P\\ is the truncation character, and only when one is declared") {
  CHECK(decode("Case \\P\\4471", with_truncation) == "Case #4471");
  const hl7::delimiters custom_truncation{'|', '^', '~', '\\', '&', '!'};
  CHECK(decode("\\P\\", custom_truncation) == "!");

  const auto e = decode_error("Case \\P\\4471", defaults);
  CHECK(e.code == errc::bad_escape);
  CHECK(e.offset == 5);
  std::size_t end = 0;
  const auto checked = hl7::check_escape("\\P\\", 0, defaults, end);
  REQUIRE(checked.has_value());
  CHECK(checked->code == errc::bad_escape);
  CHECK_FALSE(hl7::check_escape("\\P\\", 0, with_truncation, end).has_value());
  CHECK(end == 3);
}

TEST_CASE("hl7 escape: \\Xhh..\\ is decoded in the charset of the message") {
  SUBCASE("ASCII") {
    CHECK(decode("\\X41\\") == "A");
    CHECK(decode("\\X48656C6C6F\\ world") == "Hello world");
    CHECK(decode("line one\\X0D0A\\line two\\X09\\tab") == "line one\r\nline two\ttab");
  }
  SUBCASE("8859/1: each byte is a Latin-1 character, written out as UTF-8") {
    CHECK(decode("Caf\\XE9\\", defaults, hl7::charset::latin1) == "Caf\xC3\xA9");
    CHECK(decode("\\XC3A9\\", defaults, hl7::charset::latin1) == "\xC3\x83\xC2\xA9");
    CHECK(decode("\\X41FF\\", defaults, hl7::charset::latin1) == "A\xC3\xBF");
  }
  SUBCASE("UNICODE UTF-8: the bytes must form UTF-8") {
    CHECK(decode("Caf\\XC3A9\\", defaults, hl7::charset::utf8) == "Caf\xC3\xA9");
    CHECK(decode("\\XE282AC\\", defaults, hl7::charset::utf8) == "\xE2\x82\xAC");
    const auto e = decode_error("Caf\\XE9\\", defaults, hl7::charset::utf8);
    CHECK(e.code == errc::invalid_text);
    CHECK(e.offset == 3);
  }
  SUBCASE("custom escape character") {
    CHECK(decode("?X41?", custom) == "A");
  }
}

TEST_CASE("hl7 escape: plain bytes are read in the charset too") {
  CHECK(decode("Caf\xE9 \\F\\", defaults, hl7::charset::latin1) == "Caf\xC3\xA9 |");
  CHECK(decode("Caf\xC3\xA9 \\F\\", defaults, hl7::charset::utf8) == "Caf\xC3\xA9 |");
  const auto e = decode_error("ok \\F\\ Caf\xE9", defaults, hl7::charset::utf8);
  CHECK(e.code == errc::invalid_text);
  CHECK(e.offset == 10);
}

TEST_CASE("hl7 escape: formatting escapes are kept verbatim") {
  for (std::string_view kept : {"\\H\\", "\\N\\", "\\.br\\", "\\.sp\\", "\\.sp2\\", "\\.in+4\\", "\\.in-2\\",
                                "\\.ti3\\", "\\.sk2\\", "\\.ce\\", "\\.fi\\", "\\.nf\\", "\\C2842\\",
                                "\\M244241\\", "\\Zlocal\\"}) {
    CAPTURE(kept);
    CHECK(decode(kept) == kept);
  }
  CHECK(decode("\\H\\CRITICAL:\\N\\ 9 mm\\.br\\next") == "\\H\\CRITICAL:\\N\\ 9 mm\\.br\\next");
  CHECK(decode("\\.in+4\\a \\F\\ b") == "\\.in+4\\a | b");
  // With a custom escape character they are kept as written, too.
  CHECK(decode("?H?urgent?N??.br?", custom) == "?H?urgent?N??.br?");
}

TEST_CASE("hl7 escape: unknown and unterminated escapes are bad_escape at the opening character") {
  struct bad {
    std::string_view raw;
    std::size_t offset;
  };
  for (const bad& b : {bad{"\\Q\\", 0}, bad{"ab\\Q\\cd", 2}, bad{"abc\\F", 3}, bad{"\\\\", 0}, bad{"x\\.brx\\", 1},
                       bad{"\\.xx\\", 0}, bad{"\\C41\\", 0}, bad{"\\FF\\", 0}, bad{"\\S^\\", 0},
                       bad{"a\\X41|42\\", 1}, bad{"a\\X41~42\\", 1}, bad{"a\\T&\\", 1}, bad{"a\\F\rb\\", 1},
                       bad{"a\\F\nb\\", 1}}) {
    CAPTURE(b.raw);
    const auto e = decode_error(b.raw);
    CHECK(e.code == errc::bad_escape);
    CHECK(e.offset == b.offset);
  }
}

TEST_CASE("hl7 escape: malformed hex escapes are bad_hex_escape") {
  struct bad {
    std::string_view raw;
    std::size_t offset;
  };
  for (const bad& b : {bad{"\\X0\\", 0}, bad{"ab\\X0D0\\", 2}, bad{"\\XG0\\", 0}, bad{"\\X0G\\", 0},
                       bad{"\\X\\", 0}, bad{"\\X 0\\", 0}}) {
    CAPTURE(b.raw);
    const auto e = decode_error(b.raw);
    CHECK(e.code == errc::bad_hex_escape);
    CHECK(e.offset == b.offset);
  }
}

TEST_CASE("hl7 escape: check_escape returns the end of a well-formed sequence") {
  std::size_t end = 0;
  CHECK_FALSE(hl7::check_escape("ab\\F\\cd", 2, defaults, end).has_value());
  CHECK(end == 5);
  CHECK_FALSE(hl7::check_escape("\\X0D0A\\", 0, defaults, end).has_value());
  CHECK(end == 7);
  CHECK_FALSE(hl7::check_escape("x?S?y", 1, custom, end).has_value());
  CHECK(end == 4);
  const auto e = hl7::check_escape("ab\\Fcd", 2, defaults, end);
  REQUIRE(e.has_value());
  CHECK(e->code == errc::bad_escape);
  CHECK(e->offset == 2);
}

TEST_CASE("hl7 escape: escape writes every delimiter, CR and LF as an escape") {
  CHECK(hl7::escape("a|b^c&d~e\\f", defaults) == "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f");
  CHECK(hl7::escape("line1\r\nline2", defaults) == "line1\\X0D\\\\X0A\\line2");
  CHECK(hl7::escape("a#b$c%d*e?f", custom) == "a?F?b?S?c?T?d?R?e?E?f");
  CHECK(hl7::escape("a|b", custom) == "a|b");
  // The truncation character is escaped only when declared.
  CHECK(hl7::escape("trunca#", with_truncation) == "trunca\\P\\");
  CHECK(hl7::escape("trunca#", defaults) == "trunca#");
  CHECK(hl7::escape("", defaults).empty());
  std::string out = "x";
  hl7::escape_into(out, "|", defaults);
  CHECK(out == "x\\F\\");
}

TEST_CASE("hl7 escape: escape round-trips through unescape") {
  const std::string text = "Pipe | caret ^ amp & tilde ~ backslash \\ hash # dollar $ star * question ? percent %\r"
                           "LF\nCRLF\r\nend \\F\\ literal, \\X41\\ literal";
  for (const hl7::delimiters* d : {&defaults, &custom, &with_truncation}) {
    const std::string escaped = hl7::escape(text, *d);
    CAPTURE(escaped);
    // Nothing that ends a leaf value is left.
    for (char c : {d->field, d->component, d->repetition, d->subcomponent, '\r', '\n'}) {
      CHECK(escaped.find(c) == std::string::npos);
    }
    if (d->truncation != '\0') {
      CHECK(escaped.find(d->truncation) == std::string::npos);
    }
    CHECK(decode(escaped, *d) == text);
    CHECK(decode(escaped, *d, hl7::charset::utf8) == text);
  }
  // UTF-8 text round-trips under UTF-8 (and under ASCII, which accepts valid UTF-8).
  const std::string utf8 = "M\xC3\xBCller | Stra\xC3\x9F" "e ^ \xE2\x82\xAC";
  CHECK(decode(hl7::escape(utf8, defaults), defaults, hl7::charset::utf8) == utf8);
  CHECK(decode(hl7::escape(utf8, defaults), defaults, hl7::charset::ascii) == utf8);
}

TEST_CASE("hl7 escape: escaped text round-trips through a parsed message") {
  const std::string text = "A|B^C&D~E\\F\r\nG";
  const std::string in = "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|X1|P|2.5\rOBX|1|TX|N||" + hl7::escape(text, defaults) +
                         "||||||F\r";
  auto m = hl7::message::parse(in);
  REQUIRE(m.has_value());
  CHECK(m->encode() == in);
  const auto v = m->value("OBX-5");
  REQUIRE(v.has_value());
  CHECK(*v == text);
  const auto status = m->value("OBX-11");
  REQUIRE(status.has_value());
  CHECK(*status == "F");
}
