// A segment moved between messages with other delimiters and character sets.
#include <doctest/doctest.h>

#include <string>

#include "hl7/charset.hpp"
#include "hl7/message.hpp"
#include "hl7/reencode.hpp"

namespace hl7 = radbridge::hl7;

namespace {

hl7::message parse(const std::string& text) {
  auto m = hl7::message::parse(text);
  REQUIRE_MESSAGE(m.has_value(), m.error().to_string());
  return std::move(*m);
}

std::string pid_of(const hl7::message& m, const hl7::delimiters& to, hl7::charset cs) {
  const auto pid = m.find("PID");
  REQUIRE(pid.has_value());
  auto text = hl7::reencode_segment(m, *pid, to, cs);
  REQUIRE_MESSAGE(text.has_value(), text.error().to_string());
  return *text;
}

}  // namespace

TEST_CASE("reencode: the same delimiters give the segment back, empty places and nulls kept") {
  const auto m = parse("MSH|^~\\&|A|B|||20240101||ADT^A40|C1|P|2.5\rPID|1||MRN1^^^HOSP^MR~E7^^^ENT||\"\"|DOE^JANE^^^^^L\r");
  CHECK(pid_of(m, hl7::delimiters{}, hl7::charset::ascii) == "PID|1||MRN1^^^HOSP^MR~E7^^^ENT||\"\"|DOE^JANE^^^^^L");
}

TEST_CASE("reencode: other delimiters; a value holding the target's delimiter is escaped, the source's unescaped") {
  // The source writes '#' as its component separator and a literal '^' in a name.
  const auto m = parse("MSH|#~\\&|A|B|||20240101||ADT^A40|C1|P|2.5\rPID|1||MRN1###HOSP~E7###ENT||O^NEIL#ANN \\S\\ MARIE\r");
  CHECK(pid_of(m, hl7::delimiters{}, hl7::charset::ascii) ==
        "PID|1||MRN1^^^HOSP~E7^^^ENT||O\\S\\NEIL^ANN # MARIE");
  hl7::delimiters bang;
  bang.field = '!';
  CHECK(pid_of(m, bang, hl7::charset::ascii) == "PID!1!!MRN1^^^HOSP~E7^^^ENT!!O\\S\\NEIL^ANN # MARIE");
}

TEST_CASE("reencode: UTF-8 into Latin-1 as its bytes; a character Latin-1 or ASCII cannot hold is invalid_text") {
  const auto m = parse("MSH|^~\\&|A|B|||20240101||ADT^A08|C1|P|2.5|||||||UNICODE UTF-8\rPID|1||M1^^^H||M\xC3\xBCLLER^J\xC5\x8D\r");
  const auto pid = m.find("PID");
  REQUIRE(pid.has_value());
  const auto latin1 = hl7::reencode_segment(m, *pid, hl7::delimiters{}, hl7::charset::latin1);
  REQUIRE_FALSE(latin1.has_value());
  CHECK(latin1.error().to_string() == "invalid_text at PID-5.2 (byte 85)");

  const auto only_latin = parse("MSH|^~\\&|A|B|||20240101||ADT^A08|C1|P|2.5|||||||UNICODE UTF-8\rPID|1||M1^^^H||M\xC3\xBCLLER\r");
  CHECK(pid_of(only_latin, hl7::delimiters{}, hl7::charset::latin1) == "PID|1||M1^^^H||M\xFCLLER");
  CHECK(pid_of(only_latin, hl7::delimiters{}, hl7::charset::utf8) == "PID|1||M1^^^H||M\xC3\xBCLLER");
  const auto as_ascii = hl7::reencode_segment(only_latin, *only_latin.find("PID"), hl7::delimiters{}, hl7::charset::ascii);
  REQUIRE_FALSE(as_ascii.has_value());
  CHECK(as_ascii.error().code == hl7::errc::invalid_text);
}

TEST_CASE("reencode: a header segment cannot move") {
  const auto m = parse("MSH|^~\\&|A|B|||20240101||ADT^A08|C1|P|2.5\rPID|1||M1\r");
  const auto moved = hl7::reencode_segment(m, m.segment(0), hl7::delimiters{}, hl7::charset::ascii);
  REQUIRE_FALSE(moved.has_value());
  CHECK(moved.error().code == hl7::errc::bad_segment_name);
}
