// Tests for parsers/json/json_document.cpp: values, their positions, and
// every error as file:line:col: reason.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include "json/json_document.hpp"

namespace json = radbridge::json;

namespace {

json::value parse_ok(std::string_view text, const json::parse_options& options = {}) {
  auto r = json::parse_document(text, options);
  if (!r) FAIL(json::format_error("t.json", r.error()));
  return std::move(r).value();
}

// "t.json:line:col: reason", or "parsed" when the text was accepted.
std::string error_of(std::string_view text, const json::parse_options& options = {}) {
  const auto r = json::parse_document(text, options);
  return r ? std::string("parsed") : json::format_error("t.json", r.error());
}

std::string at(const json::value& v) { return std::to_string(v.line()) + ":" + std::to_string(v.column()); }
std::string at(const json::member& m) { return std::to_string(m.key_line) + ":" + std::to_string(m.key_column); }

json::parse_options with_comments() {
  json::parse_options o;
  o.allow_comments = true;
  return o;
}

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("json document: every kind parses with its exact value and start position") {
  const json::value root = parse_ok(
      "{\n"
      "  \"n\": null,\n"
      "  \"t\": true,\n"
      "  \"f\": false,\n"
      "  \"i\": -42,\n"
      "  \"d\": 2.5e-3,\n"
      "  \"s\": \"a\\\"b\\\\\\u00e9\\n\",\n"
      "  \"a\": [],\n"
      "  \"o\": {}\n"
      "}\n");
  REQUIRE(root.kind() == json::kind::object);
  CHECK(at(root) == "1:1");
  CHECK(root.size() == 8);

  const json::value* n = root.find("n");
  REQUIRE(n != nullptr);
  CHECK(n->kind() == json::kind::null);
  CHECK(n->is_null());
  CHECK(at(*n) == "2:8");

  CHECK(root.find("t")->as_bool() == true);
  CHECK(at(*root.find("t")) == "3:8");
  CHECK(root.find("f")->as_bool() == false);
  CHECK(at(*root.find("f")) == "4:8");

  const json::value& i = *root.find("i");
  CHECK(i.kind() == json::kind::number);
  CHECK(i.is_integer());
  CHECK(i.as_int64() == -42);
  CHECK(i.as_number() == -42.0);
  CHECK(at(i) == "5:8");

  const json::value& d = *root.find("d");
  CHECK(d.kind() == json::kind::number);
  CHECK_FALSE(d.is_integer());
  CHECK(d.as_number() == 2.5e-3);
  CHECK(at(d) == "6:8");

  const json::value& s = *root.find("s");
  CHECK(s.kind() == json::kind::string);
  CHECK(s.as_string() == "a\"b\\\xC3\xA9\n");
  CHECK(at(s) == "7:8");

  const json::value& a = *root.find("a");
  CHECK(a.kind() == json::kind::array);
  CHECK(a.size() == 0);
  CHECK(a.elements().empty());
  CHECK(at(a) == "8:8");

  const json::value& o = *root.find("o");
  CHECK(o.kind() == json::kind::object);
  CHECK(o.size() == 0);
  CHECK(o.members().empty());
  CHECK(at(o) == "9:8");

  // Keys: line 2..9, column 3 (the opening quote).
  std::size_t line = 2;
  for (const json::member& m : root.members()) {
    CHECK(m.key_line == line++);
    CHECK(m.key_column == 3);
  }
}

TEST_CASE("json document: a scalar root, with leading whitespace") {
  CHECK(at(parse_ok("  42  ")) == "1:3");
  CHECK(parse_ok("  42  ").as_int64() == 42);
  CHECK(at(parse_ok("\n\n   \"s\"\n")) == "3:4");
  CHECK(parse_ok("true").as_bool());
  CHECK(parse_ok("null").is_null());
  CHECK(at(parse_ok("\t-0.5")) == "1:2");
}

TEST_CASE("json document: kind names") {
  CHECK(json::kind_name(json::kind::null) == "null");
  CHECK(json::kind_name(json::kind::boolean) == "boolean");
  CHECK(json::kind_name(json::kind::number) == "number");
  CHECK(json::kind_name(json::kind::string) == "string");
  CHECK(json::kind_name(json::kind::array) == "array");
  CHECK(json::kind_name(json::kind::object) == "object");
  CHECK(parse_ok("[1]").kind_name() == "array");
  CHECK(parse_ok("{}").kind_name() == "object");
  CHECK(parse_ok("\"x\"").kind_name() == "string");
}

TEST_CASE("json document: nested arrays and objects start at their bracket") {
  const json::value root = parse_ok(R"([1, [2, [3]], {"k": [true, {"x": null}]}, "s"])");
  CHECK(at(root) == "1:1");
  REQUIRE(root.size() == 4);
  CHECK(at(root[0]) == "1:2");
  CHECK(at(root[1]) == "1:5");
  CHECK(at(root[1][0]) == "1:6");
  CHECK(at(root[1][1]) == "1:9");
  CHECK(at(root[1][1][0]) == "1:10");
  CHECK(root[1][1][0].as_int64() == 3);
  const json::value& obj = root[2];
  CHECK(at(obj) == "1:15");
  CHECK(at(obj.members()[0]) == "1:16");
  const json::value& k = *obj.find("k");
  CHECK(at(k) == "1:21");
  CHECK(at(k[0]) == "1:22");
  CHECK(at(k[1]) == "1:28");
  CHECK(at(k[1].members()[0]) == "1:29");
  CHECK(at(*k[1].find("x")) == "1:34");
  CHECK(at(root[3]) == "1:43");
  CHECK(root[3].as_string() == "s");
}

TEST_CASE("json document: strings with escaped quotes and backslashes start at their opening quote") {
  const json::value root = parse_ok(R"(["\\", "\"", "q\\\"\\", {"k\\": "\\\\"}])");
  CHECK(at(root[0]) == "1:2");
  CHECK(root[0].as_string() == "\\");
  CHECK(at(root[1]) == "1:8");
  CHECK(root[1].as_string() == "\"");
  CHECK(at(root[2]) == "1:14");
  CHECK(root[2].as_string() == "q\\\"\\");
  CHECK(at(root[3]) == "1:25");
  CHECK(at(root[3].members()[0]) == "1:26");
  CHECK(root[3].members()[0].key == "k\\");
  CHECK(at(root[3].members()[0].val) == "1:33");
  CHECK(root[3].members()[0].val.as_string() == "\\\\");
}

TEST_CASE("json document: members keep document order and their keys' positions") {
  const json::value root = parse_ok(
      "{\"zeta\": 1,\n"
      "    \"alpha\":\n"
      "      [2],\n"
      "  \"mid\" :\"x\"}");
  const auto members = root.members();
  REQUIRE(members.size() == 3);
  CHECK(members[0].key == "zeta");
  CHECK(at(members[0]) == "1:2");
  CHECK(at(members[0].val) == "1:10");
  CHECK(members[1].key == "alpha");
  CHECK(at(members[1]) == "2:5");
  CHECK(at(members[1].val) == "3:7");
  CHECK(members[2].key == "mid");
  CHECK(at(members[2]) == "4:3");
  CHECK(at(members[2].val) == "4:10");
}

TEST_CASE("json document: lines count LF, CRLF and lone CR once each") {
  const json::value crlf = parse_ok("{\r\n  \"a\": 1,\r\n\r\n  \"b\": [\r\n    true]\r\n}\r\n");
  CHECK(at(crlf.members()[0]) == "2:3");
  CHECK(at(crlf.members()[0].val) == "2:8");
  CHECK(at(crlf.members()[1]) == "4:3");
  CHECK(at(crlf.members()[1].val) == "4:8");
  CHECK(at(crlf.members()[1].val[0]) == "5:5");

  const json::value cr = parse_ok("[1,\r2,\r\r  3]");
  CHECK(at(cr[1]) == "2:1");
  CHECK(at(cr[2]) == "4:3");
}

TEST_CASE("json document: columns count code points, not bytes") {
  // é is 2 bytes, ü 2, 😀 4; a tab is one column.
  const json::value root = parse_ok("{\"\xC3\xA9\": \"\xC3\xBC\", \"\xF0\x9F\x98\x80\": 1,\t\"t\": null}");
  const auto members = root.members();
  REQUIRE(members.size() == 3);
  CHECK(members[0].key == "\xC3\xA9");
  CHECK(at(members[0]) == "1:2");
  CHECK(at(members[0].val) == "1:7");
  CHECK(at(members[1]) == "1:12");
  CHECK(at(members[1].val) == "1:17");
  CHECK(at(members[2]) == "1:20");
  CHECK(at(members[2].val) == "1:25");
  // A second line starts counting again.
  const json::value second = parse_ok("[\"\xC3\xA9\xC3\xA9\",\n \"\xE2\x82\xAC\", 7]");
  CHECK(at(second[1]) == "2:2");
  CHECK(at(second[2]) == "2:7");
}

TEST_CASE("json document: a UTF-8 byte order mark is skipped and takes no column") {
  const json::value root = parse_ok("\xEF\xBB\xBF{\"a\": 1}");
  CHECK(at(root) == "1:1");
  CHECK(at(root.members()[0]) == "1:2");
  CHECK(at(root.members()[0].val) == "1:7");
  CHECK(error_of("\xEF\xBB\xBF") == "t.json:1:1: the document is empty");
  CHECK(error_of("\xEF\xBB\xBF[1 2]") == "t.json:1:4: missing a comma or ']' after an array element");
}

TEST_CASE("json document: comments, when allowed, are skipped and positions after them are exact") {
  const std::string text =
      "// header \"with quotes\" and [brackets] {\n"
      "{ /* a \"tricky\" comment */ \"a\": /* x */ -1, // trailing \"\n"
      "  \"b\": [/**/\"s\"/*\xC3\xA9*/, 2.5e+1], \"c\":/*\xC3\xA9*/true }";
  const json::value root = parse_ok(text, with_comments());
  CHECK(at(root) == "2:1");
  const auto members = root.members();
  REQUIRE(members.size() == 3);
  CHECK(at(members[0]) == "2:28");
  CHECK(at(members[0].val) == "2:41");
  CHECK(members[0].val.as_int64() == -1);
  CHECK(at(members[1]) == "3:3");
  CHECK(at(members[1].val) == "3:8");
  CHECK(at(members[1].val[0]) == "3:13");
  CHECK(at(members[1].val[1]) == "3:23");
  CHECK(members[1].val[1].as_number() == 25.0);
  CHECK(at(members[2]) == "3:32");
  CHECK(at(members[2].val) == "3:41");

  CHECK(error_of("[1, /* never closed", with_comments()) == "t.json:1:20: unterminated /* comment");
  CHECK(error_of("[1, /x]", with_comments()) == "t.json:1:5: '/' must start a // or /* comment");
  CHECK(error_of("// only a comment\n", with_comments()) == "t.json:2:1: the document is empty");
}

TEST_CASE("json document: comments are refused by default") {
  CHECK(error_of("// note\n{}") == "t.json:1:1: invalid value (comments are not allowed)");
  CHECK(error_of("{\"a\": 1 // note\n}") ==
        "t.json:1:9: missing a comma or '}' after an object member (comments are not allowed)");
  CHECK(error_of("{} /* end */") ==
        "t.json:1:4: the document root must not be followed by other values (comments are not allowed)");
}

TEST_CASE("json document: syntax errors give the exact line:column and a reason") {
  SUBCASE("missing comma") {
    CHECK(error_of("[1 2]") == "t.json:1:4: missing a comma or ']' after an array element");
    CHECK(error_of("{\n  \"a\": 1\n  \"b\": 2\n}") == "t.json:3:3: missing a comma or '}' after an object member");
  }
  SUBCASE("trailing comma, placed at the comma") {
    CHECK(error_of("[1, 2,\n]") == "t.json:1:6: trailing comma before ']'");
    CHECK(error_of("{\"a\": 1,}") == "t.json:1:8: trailing comma before '}'");
    CHECK(error_of("{\n  \"a\": [1],\n  \"b\": {\"c\": 2, }\n}") == "t.json:3:15: trailing comma before '}'");
  }
  SUBCASE("unterminated string") {
    CHECK(error_of("{\"a\": \"abc") == "t.json:1:11: missing a closing quotation mark in string");
    CHECK(error_of("{\"a\": \"abc\n}") ==
          "t.json:1:11: missing a closing quotation mark in string (the line ends inside the string)");
    CHECK(error_of("[\"a\tb\"]") == "t.json:1:4: control character U+0009 in string must be written as an escape");
  }
  SUBCASE("bad literal, placed at its first letter") {
    CHECK(error_of("[tru]") == "t.json:1:2: invalid value 'tru'");
    CHECK(error_of("[1,\n  nope]") == "t.json:2:3: invalid value 'nope'");
    CHECK(error_of("{\"a\": True}") == "t.json:1:7: invalid value 'True'");
    CHECK(error_of("[-]") == "t.json:1:3: invalid value");
    CHECK(error_of("['a']") == "t.json:1:2: invalid value (strings are written in double quotes)");
    CHECK(error_of("{a: 1}") == "t.json:1:2: missing a name for object member (names are strings in double quotes)");
  }
  SUBCASE("empty input") {
    CHECK(error_of("") == "t.json:1:1: the document is empty");
    CHECK(error_of("  \n ") == "t.json:2:2: the document is empty");
  }
  SUBCASE("invalid UTF-8, placed at the bad byte") {
    CHECK(error_of("[\"ok\", \"a\xC3\x28\"]") == "t.json:1:10: invalid UTF-8 in string");
    CHECK(error_of("[\"\xC3\xA9\", \"\xFF\"]") == "t.json:1:8: invalid UTF-8 in string");
    CHECK(error_of("{\"\x80\": 1}") == "t.json:1:3: invalid UTF-8 in string");
    CHECK(error_of("[\"\xED\xA0\x80\"]") == "t.json:1:3: invalid UTF-8 in string");  // a UTF-16 surrogate
    CHECK(error_of("[\xFF]") == "t.json:1:2: invalid value");
  }
  SUBCASE("UTF-16 surrogates in \\u escapes: a pair is one character, a lone one an error at its escape") {
    const auto pair = json::parse_document("[\"\\ud83d\\ude00\", \"\\uD83D\\uDE00\"]");
    REQUIRE(pair.has_value());
    CHECK(pair.value()[0].as_string() == "\xF0\x9F\x98\x80");
    CHECK(pair.value()[1].as_string() == "\xF0\x9F\x98\x80");
    CHECK(error_of("[\"\\ud83dx\"]") == "t.json:1:3: the surrogate pair in string is invalid");
    // A low surrogate alone: RapidJSON 1.1.0 would hand out ED B0 80, which is not UTF-8.
    CHECK(error_of("[\"ab\\udc00\"]") == "t.json:1:5: the surrogate pair in string is invalid");
    CHECK(error_of("{\"k\\\\\\uDFFF\": 1}") == "t.json:1:6: the surrogate pair in string is invalid");
    CHECK(error_of("[\"\\ud83d\\ude00\\udc00\"]") == "t.json:1:15: the surrogate pair in string is invalid");
    CHECK(error_of("[\"\\\\udc00\"]") == "parsed");  // an escaped backslash, then text
  }
  SUBCASE("other structural errors") {
    CHECK(error_of("{} {}") == "t.json:1:4: the document root must not be followed by other values");
    CHECK(error_of("{\"a\" 1}") == "t.json:1:6: missing a colon after a name of object member");
    CHECK(error_of("[1,\n [2,\n  3]") == "t.json:3:5: missing a comma or ']' after an array element");
    CHECK(error_of("[\"\\q\"]") == "t.json:1:3: invalid escape character in string");
    CHECK(error_of("[\"\\uZZZZ\"]") == "t.json:1:3: incorrect hex digit after \\u escape in string");
    CHECK(error_of("[1.]") == "t.json:1:4: miss fraction part in number");
    CHECK(error_of("[1e400]") == "t.json:1:2: number too big to be stored in double");
    CHECK(error_of(std::string_view("[1,\0 2]", 7)) == "t.json:1:4: NUL byte in the text");
  }
}

TEST_CASE("json document: a repeated key is an error at the second key") {
  CHECK(error_of("{\n"
                 "  \"code\": \"A\",\n"
                 "  \"nested\": {\"code\": \"B\", \"x\": 1},\n"
                 "  \"code\": \"C\"\n"
                 "}") == "t.json:4:3: duplicate key \"code\" (first at 2:3)");
  CHECK(error_of("[{\"a\": 1, \"b\": {\"c\": 1, \"c\": 2}}]") == "t.json:1:25: duplicate key \"c\" (first at 1:17)");
  // Keys compare after escapes are decoded; the key is shown escaped.
  CHECK(error_of(R"({"a": 1, "\u0061": 2})") == "t.json:1:10: duplicate key \"a\" (first at 1:2)");
  CHECK(error_of(R"({"q\"\n": 1, "q\"\n": 2})") == "t.json:1:14: duplicate key \"q\\\"\\u000a\" (first at 1:2)");
  // The first duplicate in document order wins over a later one.
  CHECK(error_of(R"({"a": 1, "a": {"b": 1, "b": 2}})") == "t.json:1:10: duplicate key \"a\" (first at 1:2)");
  // The same key in different objects is fine.
  const json::value ok = parse_ok(R"([{"a": 1}, {"a": 2, "b": {"a": 3}}])");
  CHECK(ok[1].find("b")->find("a")->as_int64() == 3);
}

TEST_CASE("json document: nesting depth is limited") {
  CHECK(parse_ok(nested_arrays(64)).size() == 1);
  CHECK(error_of(nested_arrays(65)) == "t.json:1:65: arrays and objects nested more than 64 deep");

  json::parse_options two;
  two.max_depth = 2;
  CHECK(parse_ok(R"({"a": [1]})", two).size() == 1);
  CHECK(error_of("{\"a\": {\n  \"b\": {}}}", two) == "t.json:2:8: arrays and objects nested more than 2 deep");

  // A huge limit is capped, so the recursive reader cannot exhaust the stack.
  json::parse_options huge;
  huge.max_depth = std::numeric_limits<std::size_t>::max();
  CHECK(parse_ok(nested_arrays(1024), huge).size() == 1);
  CHECK(error_of(nested_arrays(100'000), huge) == "t.json:1:1025: arrays and objects nested more than 1024 deep");
}

TEST_CASE("json document: input size is limited before parsing") {
  json::parse_options small;
  small.max_bytes = 10;
  CHECK(parse_ok("[1,2,3,45]", small).size() == 4);
  CHECK(error_of("[1,2,3,456]", small) == "t.json:1:1: the text is 11 bytes, more than the limit of 10");
  CHECK(error_of(std::string(8 * 1024 * 1024 + 1, ' ')) ==
        "t.json:1:1: the text is 8388609 bytes, more than the limit of 8388608");
}

TEST_CASE("json document: integers are exact in int64 range; other numbers are doubles") {
  const json::value root = parse_ok(
      "[9007199254740993, 1.5, 1.0, 1e2, -9223372036854775808, 9223372036854775807,\n"
      " 9223372036854775808, -0, 4294967296, -2147483649, 18446744073709551616]");
  REQUIRE(root.size() == 11);

  CHECK(root[0].is_integer());
  CHECK(root[0].as_int64() == 9007199254740993LL);  // 2^53 + 1
  CHECK(root[0].as_number() == 9007199254740992.0);  // nearest double

  CHECK_FALSE(root[1].is_integer());
  CHECK(root[1].as_number() == 1.5);
  CHECK_THROWS_AS(root[1].as_int64(), std::logic_error);

  CHECK_FALSE(root[2].is_integer());  // written with a fraction
  CHECK(root[2].as_number() == 1.0);
  CHECK_FALSE(root[3].is_integer());  // written with an exponent
  CHECK(root[3].as_number() == 100.0);

  CHECK(root[4].as_int64() == std::numeric_limits<std::int64_t>::min());
  CHECK(root[5].as_int64() == std::numeric_limits<std::int64_t>::max());
  CHECK_FALSE(root[6].is_integer());  // 2^63 does not fit in int64
  CHECK(root[6].as_number() == 9223372036854775808.0);
  CHECK(at(root[6]) == "2:2");
  CHECK(root[7].is_integer());
  CHECK(root[7].as_int64() == 0);
  CHECK(root[8].as_int64() == 4294967296LL);
  CHECK(root[9].as_int64() == -2147483649LL);
  CHECK_FALSE(root[10].is_integer());
  CHECK(root[10].as_number() == 18446744073709551616.0);

  CHECK_FALSE(parse_ok("\"1\"").is_integer());
}

TEST_CASE("json document: doubles are correctly rounded") {
  for (const char* text : {"0.1", "0.30000000000000004", "2.2250738585072014e-308", "1.7976931348623157e308",
                           "4.9e-324", "123456789.123456789", "-0.0000123", "9007199254740993.0",
                           "0.1000000000000000055511151231257827021181583404541015625"}) {
    CAPTURE(text);
    CHECK(parse_ok(text).as_number() == std::strtod(text, nullptr));
  }
}

TEST_CASE("json document: extreme numbers: no crash, underflow is zero, overflow is an error at the number") {
  // Inputs that make RapidJSON 1.1.0's full-precision strtod misbehave.
  const std::string many_zeros = "0." + std::string(400, '0') + "1";
  CHECK(parse_ok(many_zeros).as_number() == 0.0);
  CHECK(parse_ok("[128.74836467836484838364836483643636483648e-336]")[0].as_number() == 0.0);
  CHECK(parse_ok("0e100").as_number() == 0.0);
  CHECK(parse_ok("0.184467440737095516159").as_number() == std::strtod("0.184467440737095516159", nullptr));
  CHECK(parse_ok("2.220446049250313e-16").as_number() == std::strtod("2.220446049250313e-16", nullptr));
  const json::value tiny = parse_ok("[1e-400, -1e-400, 4.9e-324]");
  CHECK(tiny[0].as_number() == 0.0);
  CHECK(tiny[1].as_number() == 0.0);
  CHECK(std::signbit(tiny[1].as_number()));
  CHECK(tiny[2].as_number() == std::strtod("4.9e-324", nullptr));
  CHECK(error_of("[1,\n 9.99e308]") == "t.json:2:2: number too big to be stored in double");
  CHECK(error_of("[1e309]") == "t.json:1:2: number too big to be stored in double");
  CHECK(error_of("[-" + std::string(400, '9') + "]") == "t.json:1:2: number too big to be stored in double");
}

TEST_CASE("json document: accessors on the wrong kind throw logic_error naming both kinds") {
  const json::value root = parse_ok(R"({"s": "x", "a": [1]})");
  const json::value& s = *root.find("s");
  CHECK_THROWS_WITH_AS(s.as_number(), "json value at 1:7 is a string, not a number", std::logic_error);
  CHECK_THROWS_WITH_AS(s.as_bool(), "json value at 1:7 is a string, not a boolean", std::logic_error);
  CHECK_THROWS_WITH_AS(s.as_int64(), "json value at 1:7 is a string, not a number", std::logic_error);
  CHECK_THROWS_WITH_AS(s.size(), "json value at 1:7 is a string, not an array or object", std::logic_error);
  CHECK_THROWS_WITH_AS(s.find("k"), "json value at 1:7 is a string, not an object", std::logic_error);
  CHECK_THROWS_WITH_AS(root.as_string(), "json value at 1:1 is an object, not a string", std::logic_error);
  CHECK_THROWS_WITH_AS(root[0], "json value at 1:1 is an object, not an array", std::logic_error);
  CHECK_THROWS_WITH_AS(root.find("a")->members(), "json value at 1:17 is an array, not an object",
                       std::logic_error);
  CHECK_THROWS_WITH_AS(parse_ok("1.5").as_int64(), "json number at 1:1 is not an integer in int64 range",
                       std::logic_error);
  CHECK_THROWS_AS((*root.find("a"))[1], std::out_of_range);
  CHECK_FALSE(s.is_integer());
}

TEST_CASE("json document: find in small and large objects") {
  CHECK(parse_ok(R"({"a": 1})").find("b") == nullptr);
  CHECK(parse_ok(R"({"a": 1})").find("") == nullptr);

  std::string text = "{";
  for (int i = 40; i > 0; --i) text += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + (i > 1 ? ", " : "}");
  const json::value big = parse_ok(text);
  REQUIRE(big.size() == 40);
  CHECK(big.members()[0].key == "k40");  // document order, not sorted
  for (int i = 1; i <= 40; ++i) {
    const json::value* v = big.find("k" + std::to_string(i));
    REQUIRE(v != nullptr);
    CHECK(v->as_int64() == i);
  }
  CHECK(big.find("k0") == nullptr);
  CHECK(big.find("k400") == nullptr);
  CHECK(big.find("") == nullptr);
  CHECK(big.find("zzz") == nullptr);
}

TEST_CASE("json document: values outlive the text and copy with their positions") {
  json::value copy;
  {
    std::string text = "[\n  {\"name\": \"ct-head\"}\n]";
    const json::value root = parse_ok(text);
    copy = root[0];
    text.assign(text.size(), 'x');
  }
  CHECK(at(copy) == "2:3");
  CHECK(copy.find("name")->as_string() == "ct-head");
  CHECK(at(*copy.find("name")) == "2:12");
  const json::value fresh;
  CHECK(fresh.is_null());
  CHECK(at(fresh) == "0:0");
}

TEST_CASE("json document: format_error and located write file:line:col: reason") {
  CHECK(json::format_error("mappings/routes.json", json::parse_error{3, 14, "trailing comma before '}'"}) ==
        "mappings/routes.json:3:14: trailing comma before '}'");

  const json::value root = parse_ok("{\n  \"mode\": \"loud\"\n}");
  const json::member& m = root.members()[0];
  CHECK(json::located("routes.json", m.val, "mode must be silent, assist or active") ==
        "routes.json:2:11: mode must be silent, assist or active");
  CHECK(json::located("routes.json", m, "unknown key \"mode\"") == "routes.json:2:3: unknown key \"mode\"");
  CHECK(json::located("routes.json", root, "missing \"routes\"") == "routes.json:1:1: missing \"routes\"");
}

TEST_CASE("json document: located keeps a problem on one line whatever it quotes") {
  // Found by fuzz_mapping: a key written "abs\nt" made an unknown-key problem of two lines.
  const json::value root = parse_ok("{\"abs\\nt\": 1}");
  const json::member& m = root.members()[0];
  REQUIRE(m.key == "abs\nt");
  CHECK(json::located("routes.json", m, "unknown key \"" + m.key + "\"") ==
        "routes.json:1:2: unknown key \"abs\\u000at\"");
  CHECK(json::located("r.json", root, std::string("a\rb\tc\x01" "d\x7f")) ==
        "r.json:1:1: a\\u000db\\u0009c\\u0001d\\u007f");
}
