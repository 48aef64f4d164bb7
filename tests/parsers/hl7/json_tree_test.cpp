// Tests for parsers/hl7/json_tree.cpp: the regular JSON shape of a message.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "checked_access.hpp"
#include "hl7/batch.hpp"
#include "hl7/json_tree.hpp"
#include "hl7/message.hpp"
#include "json/json_writer.hpp"

namespace hl7 = radbridge::hl7;
namespace json = radbridge::json;

using radbridge::test::parse_ok;

namespace {

std::string to_json(const hl7::message& m) {
  json::writer w(false);
  const auto e = hl7::write_json(m, w);
  if (e) FAIL((std::string("write_json failed: ") + e->to_string()));
  return w.str();
}

// An empty field: one repetition of one component of one empty subcomponent.
const std::string empty = R"([[[""]]])";

std::string repeat(const std::string& s, int n, const std::string& sep = ",") {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i > 0 ? sep : "") + s;
  return out;
}

}  // namespace

TEST_CASE("hl7 json_tree: the shape of a small message") {
  const hl7::message m = parse_ok("MSH|^~\\&|APP||||||ADT^A01|C1\rPID|1||A~~B^C&D||\"\"^X\\T\\Y|\"\"\r");
  const std::string expected =
      R"({"charset":"ascii","segments":[)"
      R"({"name":"MSH","fields":["|","^~\\&",[[["APP"]]],)" +
      repeat(empty, 5) +
      R"(,[[["ADT"],["A01"]]],[[["C1"]]]]},)"
      R"({"name":"PID","fields":[[[["1"]]],)" +
      empty +
      R"(,[[["A"]],[[""]],[["B"],["C","D"]]],)" +
      empty +
      R"(,[[[null],["X&Y"]]],[[[null]]]]}]})";
  CHECK(to_json(m) == expected);
}

TEST_CASE("hl7 json_tree: nulls are JSON null wherever they stand; an empty value is \"\"") {
  const hl7::message m = parse_ok("MSH|^~\\&|||||||ADT^A01|C1\rZZZ|\"\"|\"\"^\"\"|A&\"\"|\"\"~|\r");
  const std::string j = to_json(m);
  CHECK(j.find(R"({"name":"ZZZ","fields":[[[[null]]],[[[null],[null]]],[[["A",null]]],[[[null]],[[""]]],)" +
               empty + "]}") != std::string::npos);
}

TEST_CASE("hl7 json_tree: empty repetitions are kept in place") {
  const hl7::message m = parse_ok("MSH|^~\\&|||||||ADT^A01|C1\rPID|~~X~\r");
  CHECK(to_json(m).find(R"({"name":"PID","fields":[[[[""]],[[""]],[["X"]],[[""]]]]})") != std::string::npos);
}

TEST_CASE("hl7 json_tree: header fields 1 and 2 are plain strings") {
  SUBCASE("default delimiters") {
    const std::string j = to_json(parse_ok("MSH|^~\\&|A||||||ADT^A01|C1\r"));
    CHECK(j.find(R"("fields":["|","^~\\&",[[["A"]]],)") != std::string::npos);
  }
  SUBCASE("custom delimiters") {
    const std::string j = to_json(parse_ok("MSH!@#$%!A@B!!!!!!ADT@A01!C1\rPID!1!!X#Y@Z%W\r"));
    CHECK(j.find(R"({"name":"MSH","fields":["!","@#$%",[[["A"],["B"]]],)") != std::string::npos);
    CHECK(j.find(R"({"name":"PID","fields":[[[["1"]]],)" + empty + R"(,[[["X"]],[["Y"],["Z","W"]]]]})") !=
          std::string::npos);
  }
  SUBCASE("a truncation character") {
    const std::string j = to_json(parse_ok("MSH|^~\\&#|A||||||ORU^R01|C1\r"));
    CHECK(j.find(R"("fields":["|","^~\\&#",[[["A"]]],)") != std::string::npos);
  }
  SUBCASE("FHS and BHS in a batch envelope") {
    const auto b = hl7::parse_batch(
        "FHS|^~\\&|F\rBHS|^~\\&|B\rMSH|^~\\&|M||||||ADT^A01|C1\rBTS|1\rFTS|1\r");
    if (!b) FAIL(b.error().to_string());
    REQUIRE(b->envelope.has_value());
    const std::string j = to_json(*b->envelope);
    CHECK(j == R"({"charset":"ascii","segments":[)"
               R"({"name":"FHS","fields":["|","^~\\&",[[["F"]]]]},)"
               R"({"name":"BHS","fields":["|","^~\\&",[[["B"]]]]},)"
               R"({"name":"BTS","fields":[[[["1"]]]]},)"
               R"({"name":"FTS","fields":[[[["1"]]]]}]})");
  }
}

TEST_CASE("hl7 json_tree: unescaped UTF-8 from an 8859/1 message") {
  // PID-5: M<u-umlaut>ller ^ J\XE9\r<o-circumflex>me, in Latin-1 bytes and a hex escape.
  const hl7::message m =
      parse_ok("MSH|^~\\&|APP||||||ADT^A08|C2|P|2.5||||||8859/1\rPID|1||||M\xFCller^J\\XE9\\r\xF4me\r");
  REQUIRE(m.charset() == hl7::charset::latin1);
  const std::string expected =
      R"({"charset":"8859/1","segments":[)"
      R"({"name":"MSH","fields":["|","^~\\&",[[["APP"]]],)" +
      repeat(empty, 5) + R"(,[[["ADT"],["A08"]]],[[["C2"]]],[[["P"]]],[[["2.5"]]],)" + repeat(empty, 5) +
      R"(,[[["8859/1"]]]]},)"
      R"({"name":"PID","fields":[[[["1"]]],)" +
      repeat(empty, 3) +
      ",[[[\"M\xC3\xBCller\"],[\"J\xC3\xA9r\xC3\xB4me\"]]]]}]}";
  CHECK(to_json(m) == expected);
}

TEST_CASE("hl7 json_tree: charset names") {
  CHECK(to_json(parse_ok("MSH|^~\\&|||||||ADT^A01|C1|P|2.5||||||UNICODE UTF-8\rPID|1||||M\xC3\xBCller\r"))
            .starts_with(R"({"charset":"UNICODE UTF-8",)"));
  CHECK(to_json(parse_ok("MSH|^~\\&|||||||ADT^A01|C1|P|2.5||||||ASCII\r")).starts_with(R"({"charset":"ascii",)"));
  const std::string utf8 =
      to_json(parse_ok("MSH|^~\\&|||||||ADT^A01|C1|P|2.5||||||UNICODE UTF-8\rPID|1||||M\xC3\xBCller\r"));
  CHECK(utf8.find("[[[\"M\xC3\xBCller\"]]]") != std::string::npos);
}

TEST_CASE("hl7 json_tree: values are escaped as JSON requires") {
  const std::string j = to_json(parse_ok("MSH|^~\\&|||||||ADT^A01|C1\rNTE|1||say \"hi\" \\E\\ ok/\\X09\\end\r"));
  CHECK(j.find(R"([[["say \"hi\" \\ ok/\tend"]]])") != std::string::npos);
}

TEST_CASE("hl7 json_tree: a value that cannot be unescaped is reported") {
  const std::string bytes = "MSH|^~\\&|||||||ADT^A01|C1\rPID|1||\\XFF\\\r";
  const hl7::message m = parse_ok(bytes);  // well-formed escape, but 0xFF is not text in ASCII/UTF-8
  json::writer w(false);
  const auto e = hl7::write_json(m, w);
  REQUIRE(e.has_value());
  CHECK(e->code == hl7::errc::invalid_text);
  CHECK(e->offset == bytes.find("\\XFF\\"));
  CHECK(e->where.segment == "PID");
  CHECK(e->where.field == 3);
  // The document is still complete, with an empty string in place of the value.
  CHECK(w.str().ends_with(R"({"name":"PID","fields":[[[["1"]]],)" + empty + R"(,[[[""]]]]}]})"));
}
