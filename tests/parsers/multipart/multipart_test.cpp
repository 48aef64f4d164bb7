#include "multipart/multipart.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mp = radbridge::multipart;
using namespace std::string_literals;

namespace doctest {
template <>
struct StringMaker<mp::error> {
  static String convert(const mp::error& e) { return e.to_string().c_str(); }
};
}  // namespace doctest

namespace {

const std::string dicom_type = R"(multipart/related; type="application/dicom"; boundary=XyZ-42)";

// Every byte value, so that bodies are binary, with CR, LF and "--" inside.
std::string binary_payload(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s + "\r\n--XyZ-4\r\n-";  // a near-delimiter at the end
}

std::string two_parts() {
  return "preamble, ignored\r\n"
         "--XyZ-42\r\n"
         "Content-Type: application/dicom\r\n"
         "Content-Length: 5\r\n"
         "\r\n"
         "ABCDE\r\n"
         "--XyZ-42  \t\r\n"  // transport padding
         "content-type:application/dicom;transfer-syntax=1.2.840.10008.1.2.4.70\r\n"
         "X-Folded: one\r\n"
         "\t two\r\n"
         "\r\n"
         "\r\n\r\n--\r\n"  // a body with CRLFs and dashes
         "\r\n--XyZ-42--\r\n"
         "epilogue, ignored --XyZ-42\r\n";
}

mp::error body_error(std::string_view body, const mp::limits& limits = {}) {
  auto r = mp::parse(dicom_type, body, limits);
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

mp::error type_error(std::string_view content_type) {
  auto r = mp::parse(content_type, "--b\r\n\r\nx\r\n--b--", {});
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

// Feeds `body` in pieces of `step` bytes and collects the parts.
mp::result<std::vector<mp::part>> feed_in_steps(std::string_view body, std::size_t step, const mp::limits& limits = {}) {
  mp::reader reader("XyZ-42", limits);
  std::vector<mp::part> parts;
  for (std::size_t at = 0; at < body.size(); at += step) {
    if (auto e = reader.feed(body.substr(at, step))) return *e;
    while (auto p = reader.next()) parts.push_back(std::move(*p));
  }
  if (auto e = reader.finish()) return *e;
  while (auto p = reader.next()) parts.push_back(std::move(*p));
  return parts;
}

}  // namespace

TEST_CASE("content type: media type and parameters") {
  auto t = mp::parse_content_type(R"( Multipart/Related ; TYPE="application/dicom"; boundary="a \"b\" c";x=1;)");
  REQUIRE(t.has_value());
  CHECK(t->type == "multipart");
  CHECK(t->subtype == "related");
  CHECK(t->media_type() == "multipart/related");
  REQUIRE(t->parameters.size() == 3);
  CHECK(t->parameters[0].name == "type");
  CHECK(*t->find("Type") == "application/dicom");
  CHECK(*t->find("boundary") == R"(a "b" c)");
  CHECK(*t->find("x") == "1");
  CHECK_FALSE(t->find("start").has_value());

  auto bare = mp::parse_content_type("multipart/related;boundary=----=_Part_1/2:3?(4),5");
  REQUIRE(bare.has_value());
  CHECK(*bare->find("boundary") == "----=_Part_1/2:3?(4),5");

  auto plain = mp::parse_content_type("application/dicom+json");
  REQUIRE(plain.has_value());
  CHECK(plain->parameters.empty());
}

TEST_CASE("content type: errors") {
  CHECK(mp::parse_content_type("") .error() == mp::error{mp::errc::bad_content_type, 0});
  CHECK(mp::parse_content_type("multipart").error() == mp::error{mp::errc::bad_content_type, 9});
  CHECK(mp::parse_content_type("multipart/").error() == mp::error{mp::errc::bad_content_type, 10});
  CHECK(mp::parse_content_type("multipart/related boundary=x").error() ==
        mp::error{mp::errc::bad_content_type, 18});
  CHECK(mp::parse_content_type("multipart/related; boundary").error() == mp::error{mp::errc::bad_content_type, 27});
  CHECK(mp::parse_content_type("multipart/related; boundary=").error() == mp::error{mp::errc::bad_content_type, 28});
  CHECK(mp::parse_content_type(R"(multipart/related; boundary="abc)").error() ==
        mp::error{mp::errc::bad_content_type, 32});
  CHECK(mp::parse_content_type("multipart/related; boundary=a; Boundary=b").error() ==
        mp::error{mp::errc::bad_content_type, 31});
  CHECK(mp::parse_content_type("multipart/related; boundary=a b").error() ==
        mp::error{mp::errc::bad_content_type, 30});
}

TEST_CASE("boundary: validated per RFC 2046") {
  CHECK(type_error("application/dicom; boundary=b").code == mp::errc::not_multipart);
  CHECK(type_error("multipart/related; type=application/dicom").code == mp::errc::missing_boundary);
  CHECK(type_error(R"(multipart/related; boundary="")").code == mp::errc::bad_boundary);
  CHECK(type_error(R"(multipart/related; boundary="ends in space ")").code == mp::errc::bad_boundary);
  CHECK(type_error(R"(multipart/related; boundary="semi;colon")").code == mp::errc::bad_boundary);
  CHECK(type_error("multipart/related; boundary=" + std::string(71, 'b')).code == mp::errc::bad_boundary);
  CHECK(mp::parse("multipart/related; boundary=" + std::string(70, 'b'),
                  "--" + std::string(70, 'b') + "\r\n\r\nx\r\n--" + std::string(70, 'b') + "--")
            .has_value());
  CHECK_THROWS_AS(mp::reader("bad;boundary"), std::invalid_argument);
}

TEST_CASE("parse: parts, headers, padding, preamble and epilogue") {
  auto m = mp::parse(dicom_type, two_parts());
  REQUIRE(m.has_value());
  CHECK(m->boundary == "XyZ-42");
  CHECK(m->type == "application/dicom");
  CHECK(m->content_type.media_type() == "multipart/related");
  REQUIRE(m->parts.size() == 2);

  const auto& first = m->parts[0];
  CHECK(first.body == "ABCDE");
  REQUIRE(first.headers.size() == 2);
  CHECK(first.headers[0].name == "Content-Type");
  CHECK(first.content_type() == "application/dicom");
  CHECK(*first.find("CONTENT-LENGTH") == "5");

  const auto& second = m->parts[1];
  CHECK(second.body == "\r\n\r\n--\r\n");
  CHECK(second.content_type() == "application/dicom;transfer-syntax=1.2.840.10008.1.2.4.70");
  CHECK(*second.find("x-folded") == "one two");
  CHECK_FALSE(second.find("content-length").has_value());
}

TEST_CASE("parse: first delimiter at the very start, no headers, empty bodies") {
  auto m = mp::parse(dicom_type, "--XyZ-42\r\n\r\n\r\n--XyZ-42\r\n\r\nx\r\n--XyZ-42--");
  REQUIRE(m.has_value());
  REQUIRE(m->parts.size() == 2);
  CHECK(m->parts[0].headers.empty());
  CHECK(m->parts[0].body.empty());
  CHECK(m->parts[0].content_type().empty());
  CHECK(m->parts[1].body == "x");

  auto none = mp::parse(dicom_type, "--XyZ-42--\r\n");
  REQUIRE(none.has_value());
  CHECK(none->parts.empty());
}

TEST_CASE("reader: any split of the input gives the same parts") {
  std::string body = "--XyZ-42\r\nContent-Type: application/dicom\r\n\r\n";
  const std::string a = binary_payload(5000, 1);
  const std::string b = binary_payload(3, 2);
  body += a + "\r\n--XyZ-42\r\nContent-Type: application/dicom\r\n\r\n" + b + "\r\n--XyZ-42--";
  for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{9}, std::size_t{10},
                           std::size_t{64}, std::size_t{4096}, body.size()}) {
    CAPTURE(step);
    auto parts = feed_in_steps(body, step);
    REQUIRE(parts.has_value());
    REQUIRE(parts->size() == 2);
    CHECK((*parts)[0].body == a);
    CHECK((*parts)[1].body == b);
  }
}

TEST_CASE("reader: state after the end") {
  mp::reader reader("XyZ-42");
  CHECK_FALSE(reader.feed("--XyZ-42\r\n\r\nbody\r\n--XyZ-42--").has_value());
  CHECK(reader.done());
  CHECK_FALSE(reader.feed("anything in the epilogue, --XyZ-42\r\n").has_value());
  CHECK_FALSE(reader.finish().has_value());
  CHECK(reader.parts_started() == 1);
  auto p = reader.next();
  REQUIRE(p.has_value());
  CHECK(p->body == "body");
  CHECK_FALSE(reader.next().has_value());
  CHECK(reader.bytes_fed() == 64);
}

TEST_CASE("errors: exact codes and offsets") {
  SUBCASE("no opening delimiter") {
    CHECK(body_error("") == mp::error{mp::errc::no_opening_delimiter, 0});
    CHECK(body_error("just text\r\n--XyZ-4") == mp::error{mp::errc::no_opening_delimiter, 18});
    CHECK(body_error("x--XyZ-42\r\n\r\n") == mp::error{mp::errc::no_opening_delimiter, 13});
  }
  SUBCASE("no closing delimiter") {
    CHECK(body_error("--XyZ-42\r\n\r\nbody") == mp::error{mp::errc::no_closing_delimiter, 16});
    CHECK(body_error("--XyZ-42\r\n\r\nbody\r\n--XyZ-42") == mp::error{mp::errc::no_closing_delimiter, 26});
    CHECK(body_error("--XyZ-42\r\n\r\nbody\r\n--XyZ-42-") == mp::error{mp::errc::no_closing_delimiter, 27});
    CHECK(body_error("--XyZ-42\r\nContent-Type: a") == mp::error{mp::errc::no_closing_delimiter, 25});
    CHECK(body_error("--XyZ-42") == mp::error{mp::errc::no_closing_delimiter, 8});
  }
  SUBCASE("bad delimiter line") {
    CHECK(body_error("--XyZ-42x\r\n\r\nbody\r\n--XyZ-42--") == mp::error{mp::errc::bad_delimiter, 8});
    CHECK(body_error("--XyZ-42 x\r\n") == mp::error{mp::errc::bad_delimiter, 9});
    CHECK(body_error("--XyZ-42-x") == mp::error{mp::errc::bad_delimiter, 9});
    CHECK(body_error("--XyZ-42\n\nbody") == mp::error{mp::errc::bad_delimiter, 8});
    CHECK(body_error("--XyZ-42\r\r\n") == mp::error{mp::errc::bad_delimiter, 8});
    // a boundary inside a part's data ends the part, so the rest must be a delimiter line
    CHECK(body_error("--XyZ-42\r\n\r\nab\r\n--XyZ-42abc\r\n--XyZ-42--") == mp::error{mp::errc::bad_delimiter, 24});
  }
  SUBCASE("malformed headers") {
    CHECK(body_error("--XyZ-42\r\nNo colon\r\n\r\nx\r\n--XyZ-42--") == mp::error{mp::errc::malformed_header, 12});
    CHECK(body_error("--XyZ-42\r\nName : v\r\n\r\nx\r\n--XyZ-42--") == mp::error{mp::errc::malformed_header, 14});
    CHECK(body_error("--XyZ-42\r\n: v\r\n\r\nx\r\n--XyZ-42--") == mp::error{mp::errc::malformed_header, 10});
    CHECK(body_error("--XyZ-42\r\n folded first\r\n\r\nx\r\n--XyZ-42--") ==
          mp::error{mp::errc::malformed_header, 10});
    CHECK(body_error("--XyZ-42\r\nA: b\nC: d\r\n\r\nx\r\n--XyZ-42--") == mp::error{mp::errc::malformed_header, 14});
    CHECK(body_error("--XyZ-42\r\nA: b\rC: d\r\n\r\nx\r\n--XyZ-42--") == mp::error{mp::errc::malformed_header, 14});
    CHECK(body_error("--XyZ-42\r\nA: b"s + '\0' + "\r\n\r\nx\r\n--XyZ-42--") ==
          mp::error{mp::errc::malformed_header, 14});
    // the second part's headers are checked too
    CHECK(body_error("--XyZ-42\r\n\r\nx\r\n--XyZ-42\r\nbad\r\n\r\n\r\n--XyZ-42--") ==
          mp::error{mp::errc::malformed_header, 28});
  }
  SUBCASE("limits") {
    mp::limits tight;
    tight.max_bytes = 20;
    CHECK(body_error("--XyZ-42\r\n\r\n0123456789\r\n--XyZ-42--", tight) == mp::error{mp::errc::too_large, 20});
    tight = {};
    tight.max_parts = 2;
    CHECK(mp::parse(dicom_type, "--XyZ-42\r\n\r\na\r\n--XyZ-42\r\n\r\nb\r\n--XyZ-42--", tight).has_value());
    CHECK(body_error("--XyZ-42\r\n\r\na\r\n--XyZ-42\r\n\r\nb\r\n--XyZ-42\r\n\r\nc\r\n--XyZ-42--", tight) ==
          mp::error{mp::errc::too_many_parts, 38});
    tight = {};
    tight.max_header_bytes = 16;
    CHECK(mp::parse(dicom_type, "--XyZ-42\r\nA: 0123456789\r\n\r\nx\r\n--XyZ-42--", tight).has_value());
    CHECK(body_error("--XyZ-42\r\nA: 012345678901\r\n\r\nx\r\n--XyZ-42--", tight) ==
          mp::error{mp::errc::headers_too_large, 26});
    CHECK(body_error("--XyZ-42\r\nA: 0123456789012345678901234567890", tight) ==
          mp::error{mp::errc::headers_too_large, 26});
    CHECK(body_error("--XyZ-42" + std::string(17, ' ') + "\r\n\r\nx\r\n--XyZ-42--", tight) ==
          mp::error{mp::errc::headers_too_large, 24});
  }
}

TEST_CASE("errors: the same whatever the chunking, and sticky") {
  const std::string bad = "--XyZ-42\r\n\r\nab\r\n--XyZ-42\r\nbad header\r\n\r\n\r\n--XyZ-42--";
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{11}, bad.size()}) {
    CAPTURE(step);
    auto r = feed_in_steps(bad, step);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == mp::error{mp::errc::malformed_header, 29});
  }
  mp::reader reader("XyZ-42");
  const auto first = reader.feed("--XyZ-42\r\nbad\r\n");
  REQUIRE(first.has_value());
  CHECK(reader.feed("\r\n--XyZ-42--") == first);
  CHECK(reader.finish() == first);
  CHECK(first->to_string() == "malformed_header at byte 13");
}

TEST_CASE("errors: names") {
  CHECK(mp::to_string(mp::errc::no_closing_delimiter) == "no_closing_delimiter");
  CHECK(mp::to_string(mp::errc::too_many_parts) == "too_many_parts");
  CHECK(mp::to_string(mp::errc::bad_boundary) == "bad_boundary");
}

TEST_CASE("reader: random bodies, mutations and splits agree with the one-shot parse") {
  std::mt19937 rng(20240511);
  auto random_bytes = [&](std::size_t n) {
    // Mostly the bytes that matter to the parser, so mutations hit them.
    static constexpr char alphabet[] = "\r\n-XyZ42: \tab";
    std::string s(n, '\0');
    for (auto& c : s) c = (rng() % 4 == 0) ? static_cast<char>(rng() & 0xFF) : alphabet[rng() % (sizeof alphabet - 1)];
    return s;
  };
  mp::limits limits;
  limits.max_header_bytes = 64;
  limits.max_parts = 6;
  for (int round = 0; round < 400; ++round) {
    std::string body = rng() % 2 ? "preamble\r\n" : "";
    std::vector<std::string> expected;
    const std::size_t parts = rng() % 5;
    for (std::size_t i = 0; i < parts; ++i) {
      std::string payload = random_bytes(rng() % 200);
      // A payload may not hold the delimiter; drop rounds where chance put one in.
      if (("\r\n" + payload + "\r\n").find("\r\n--XyZ-42") != std::string::npos) payload.clear();
      expected.push_back(payload);
      body += "--XyZ-42\r\nContent-Type: application/dicom\r\n\r\n" + payload + "\r\n";
    }
    body += "--XyZ-42--\r\nepilogue";
    auto whole = mp::parse(dicom_type, body, limits);
    REQUIRE(whole.has_value());
    REQUIRE(whole->parts.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) CHECK(whole->parts[i].body == expected[i]);

    // Flip a few bytes: whatever the outcome, every split must reach the same one.
    std::string mutated = body;
    for (int flips = static_cast<int>(rng() % 4); flips > 0; --flips)
      mutated[rng() % mutated.size()] = random_bytes(1)[0];
    const auto reference = mp::parse(dicom_type, mutated, limits);
    for (std::size_t step : {std::size_t{1}, std::size_t{1} + rng() % 17, std::size_t{1} + rng() % 300}) {
      CAPTURE(round);
      CAPTURE(step);
      const auto split = feed_in_steps(mutated, step, limits);
      REQUIRE(split.has_value() == reference.has_value());
      if (!reference.has_value()) {
        CHECK(split.error() == reference.error());
        continue;
      }
      REQUIRE(split->size() == reference->parts.size());
      for (std::size_t i = 0; i < split->size(); ++i) {
        CHECK((*split)[i].body == reference->parts[i].body);
        CHECK((*split)[i].headers.size() == reference->parts[i].headers.size());
      }
    }
  }
}
