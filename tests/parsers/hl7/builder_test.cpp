// Tests for parsers/hl7/builder.cpp: field-by-field building, escaping,
// structure that grows only as far as set, and misuse that throws.
#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "checked_access.hpp"
#include "hl7/builder.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

namespace hl7 = radbridge::hl7;

using radbridge::test::value_at;

namespace {

hl7::message parse_built(const std::string& bytes) {
  auto m = hl7::message::parse(std::string_view(bytes));
  if (!m) FAIL((std::string("builder output does not parse: ") + m.error().to_string() + " in " + bytes));
  return std::move(*m);
}

std::string encoded(const hl7::segment_builder& s) {
  std::string out;
  s.encode_into(out);
  return out;
}

// A minimal valid MSH so that built segments can be read back with message::parse.
void add_header(hl7::message_builder& b) {
  b.add("MSH").set(3, "TEST").set_components(9, {"ADT", "A08"}).set(10, "C1");
}

}  // namespace

TEST_CASE("hl7 builder: MSH, PID and OBR field by field") {
  hl7::message_builder b;
  b.add("MSH")
      .set(3, "RADBRIDGE")
      .set(4, "GENHOSP")
      .set(5, "RIS")
      .set(6, "RAD")
      .set(7, "20260101120000")
      .set_components(9, {"ORU", "R01", "ORU_R01"})
      .set(10, "CTRL1")
      .set(11, "P")
      .set(12, "2.5.1");
  b.add("PID").set(1, "1").set_components(3, {"MRN1", "", "", "GENHOSP", "MR"}).set_components(5, {"DOE", "JANE"});
  b.add("OBR").set(1, "1").set(3, "ACC1").set_components(4, {"CTHEAD", "CT HEAD WITHOUT CONTRAST", "L"});

  const std::string expected =
      "MSH|^~\\&|RADBRIDGE|GENHOSP|RIS|RAD|20260101120000||ORU^R01^ORU_R01|CTRL1|P|2.5.1\r"
      "PID|1||MRN1^^^GENHOSP^MR||DOE^JANE\r"
      "OBR|1||ACC1|CTHEAD^CT HEAD WITHOUT CONTRAST^L\r";
  CHECK(b.encode() == expected);

  const hl7::message m = parse_built(b.encode());
  CHECK(m.segment_count() == 3u);
  CHECK(m.message_type() == "ORU");
  CHECK(m.trigger_event() == "R01");
  CHECK(m.control_id() == "CTRL1");
  CHECK(value_at(m, "MSH-9.3") == "ORU_R01");
  CHECK(value_at(m, "PID-3.1") == "MRN1");
  CHECK(value_at(m, "PID-3.2") == "");
  CHECK(value_at(m, "PID-3.4") == "GENHOSP");
  CHECK(value_at(m, "PID-5.2") == "JANE");
  CHECK(value_at(m, "OBR-4.2") == "CT HEAD WITHOUT CONTRAST");
}

TEST_CASE("hl7 builder: every delimiter in a value is escaped and round-trips") {
  const std::string_view text = "a|b^c~d\\e&f";
  hl7::message_builder b;
  add_header(b);
  b.add("PID").set(5, text);
  // | -> \F\, ^ -> \S\, ~ -> \R\, \ -> \E\, & -> \T\ (HL7 v2.x section 2.7).
  CHECK(encoded(*b.find("PID")) == "PID|||||a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f");

  const hl7::message m = parse_built(b.encode());
  CHECK(m.find("PID")->field(5) == "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f");
  CHECK(value_at(m, "PID-5") == text);
  CHECK(value_at(m, "PID-5.1") == text);
  CHECK(value_at(m, "PID-5.1.1") == text);
  // Nothing leaked into a second component, subcomponent or repetition.
  CHECK(value_at(m, "PID-5.2") == "");
  CHECK(value_at(m, "PID-5.1.2") == "");
  CHECK(value_at(m, "PID-5[2]") == "");
}

TEST_CASE("hl7 builder: values in component and subcomponent positions are escaped too") {
  hl7::message_builder b;
  add_header(b);
  b.add("PID").set(5, 1, 1, 1, "O^BRIEN").set(5, 1, 2, 1, "SMITH&SONS").set(5, 1, 2, 2, "x~y");
  CHECK(encoded(*b.find("PID")) == "PID|||||O\\S\\BRIEN^SMITH\\T\\SONS&x\\R\\y");
  const hl7::message m = parse_built(b.encode());
  CHECK(value_at(m, "PID-5.1") == "O^BRIEN");
  CHECK(value_at(m, "PID-5.2.1") == "SMITH&SONS");
  CHECK(value_at(m, "PID-5.2.2") == "x~y");
}

TEST_CASE("hl7 builder: custom delimiters are written in MSH-1/MSH-2 and used for escaping") {
  const hl7::delimiters d{'!', '@', '#', '$', '%'};
  hl7::message_builder b(d);
  CHECK(b.delimiters() == d);
  b.add("MSH").set(3, "APP").set_components(9, {"ADT", "A08"}).set(10, "C1");
  // The default delimiters are ordinary characters here; the declared ones are escaped.
  const std::string_view text = "x|^~\\&y!z@w#v$u%t";
  b.add("PID").set_components(3, {"A", "B"}).set(3, 2, 1, 2, "S").set(5, text);

  const std::string expected =
      "MSH!@#$%!APP!!!!!!ADT@A08!C1\r"
      "PID!!!A@B#%S!!x|^~\\&y$F$z$S$w$R$v$E$u$T$t\r";
  CHECK(b.encode() == expected);

  const hl7::message m = parse_built(b.encode());
  CHECK(m.delimiters() == d);
  CHECK(m.message_type() == "ADT");
  CHECK(value_at(m, "PID-3.2") == "B");
  CHECK(value_at(m, "PID-3[2].1.2") == "S");
  CHECK(value_at(m, "PID-5") == text);
}

TEST_CASE("hl7 builder: set with repetition, component and subcomponent positions") {
  hl7::segment_builder pid("PID", hl7::delimiters{});
  pid.set(3, 2, 4, 2, "x");
  // Repetition 1 stays empty; in repetition 2 components 1..3 are empty and
  // component 4 has an empty first subcomponent.
  CHECK(encoded(pid) == "PID|||~^^^&x");
  pid.set(3, 1, 1, 1, "123");
  CHECK(encoded(pid) == "PID|||123~^^^&x");
  pid.set(3, 2, 1, 1, "456");
  CHECK(encoded(pid) == "PID|||123~456^^^&x");
  pid.set(3, 2, 4, 1, "ISO");
  CHECK(encoded(pid) == "PID|||123~456^^^ISO&x");
  // Setting the same position again replaces the value.
  pid.set(3, 2, 4, 2, "y");
  CHECK(encoded(pid) == "PID|||123~456^^^ISO&y");

  hl7::message_builder b;
  add_header(b);
  b.add("PID") = pid;
  const hl7::message m = parse_built(b.encode());
  CHECK(value_at(m, "PID-3.1") == "123");
  CHECK(value_at(m, "PID-3[2].1") == "456");
  CHECK(value_at(m, "PID-3[2].4.1") == "ISO");
  CHECK(value_at(m, "PID-3[2].4.2") == "y");
}

TEST_CASE("hl7 builder: set on a field replaces its value") {
  hl7::segment_builder pid("PID", hl7::delimiters{});
  pid.set(5, "A").set(5, "B");
  CHECK(encoded(pid) == "PID|||||B");
}

TEST_CASE("hl7 builder: set_components writes components 1..n of the first repetition") {
  hl7::segment_builder pid("PID", hl7::delimiters{});
  pid.set_components(5, {"DOE", "JOHN", "Q", "JR"});
  CHECK(encoded(pid) == "PID|||||DOE^JOHN^Q^JR");

  hl7::segment_builder obx("OBX", hl7::delimiters{});
  obx.set_components(3, {"ICH", "Hemorrhage^bleed", "L"});
  CHECK(encoded(obx) == "OBX|||ICH^Hemorrhage\\S\\bleed^L");

  hl7::segment_builder one("NTE", hl7::delimiters{});
  one.set_components(2, {"only"});
  CHECK(encoded(one) == "NTE||only");
}

TEST_CASE("hl7 builder: set_null writes the HL7 null, distinct from an empty value") {
  hl7::message_builder b;
  add_header(b);
  b.add("PID").set_null(5).set(7, "");
  CHECK(encoded(*b.find("PID")) == "PID|||||\"\"||");

  const hl7::message m = parse_built(b.encode());
  const auto pid5 = m.raw(hl7::parse_path("PID-5").value());
  REQUIRE(pid5);
  CHECK(*pid5 == "\"\"");
  CHECK(hl7::is_null(*pid5));
  const auto pid7 = m.raw(hl7::parse_path("PID-7").value());
  REQUIRE(pid7);
  CHECK(pid7->empty());
  CHECK_FALSE(hl7::is_null(*pid7));
}

TEST_CASE("hl7 builder: set_raw keeps repetitions, components, subcomponents and escapes") {
  hl7::segment_builder pid("PID", hl7::delimiters{});
  pid.set_raw(3, "123^^^H&X~456^^^H");
  CHECK(encoded(pid) == "PID|||123^^^H&X~456^^^H");
  // The structure is kept, so later sets address it.
  pid.set(3, 2, 1, 1, "789");
  CHECK(encoded(pid) == "PID|||123^^^H&X~789^^^H");
  pid.set(3, 1, 4, 2, "Y");
  CHECK(encoded(pid) == "PID|||123^^^H&Y~789^^^H");
  // Escape sequences in raw input are not escaped again.
  pid.set_raw(5, "O\\S\\BRIEN^JO");
  CHECK(encoded(pid) == "PID|||123^^^H&Y~789^^^H||O\\S\\BRIEN^JO");
  // set_raw replaces the whole field, repetitions included.
  pid.set_raw(3, "A");
  CHECK(encoded(pid) == "PID|||A||O\\S\\BRIEN^JO");

  hl7::message_builder b;
  add_header(b);
  b.add("PID").set_raw(3, "123^^^H&X~456^^^H").set_raw(5, "O\\S\\BRIEN^JO");
  const hl7::message m = parse_built(b.encode());
  CHECK(value_at(m, "PID-3[2].1") == "456");
  CHECK(value_at(m, "PID-3.4.2") == "X");
  CHECK(value_at(m, "PID-5.1") == "O^BRIEN");
  CHECK(value_at(m, "PID-5.2") == "JO");
}

TEST_CASE("hl7 builder: structure grows only as far as set") {
  const hl7::delimiters d{};
  CHECK(encoded(hl7::segment_builder("PID", d)) == "PID");
  CHECK(encoded(hl7::segment_builder("MSH", d)) == "MSH|^~\\&");
  CHECK(encoded(hl7::segment_builder("FHS", d)) == "FHS|^~\\&");
  CHECK(encoded(hl7::segment_builder("BHS", d)) == "BHS|^~\\&");
  CHECK(encoded(hl7::segment_builder("MSH", d).set(3, "A")) == "MSH|^~\\&|A");
  CHECK(encoded(hl7::segment_builder("PID", d).set(5, "")) == "PID|||||");
  CHECK(encoded(hl7::segment_builder("PID", d).set(1, "1")) == "PID|1");
  CHECK(encoded(hl7::segment_builder("ZZZ", d).set(1, 1, 3, 1, "x")) == "ZZZ|^^x");
  CHECK(encoded(hl7::segment_builder("ZZZ", d).set(2, 3, 1, 1, "r")) == "ZZZ||~~r");
  CHECK(encoded(hl7::segment_builder("ZZZ", d).set(1, 1, 1, 3, "s")) == "ZZZ|&&s");
  CHECK(encoded(hl7::segment_builder("ZZZ", d).set(3, "a").set(6, "")) == "ZZZ|||a|||");
  // Setting an earlier field later does not add anything after the last one.
  CHECK(encoded(hl7::segment_builder("ZZZ", d).set(4, "d").set(1, "a")) == "ZZZ|a|||d");

  hl7::message_builder b;
  b.add("MSH");
  b.add("PID");
  CHECK(b.encode() == "MSH|^~\\&\rPID\r");
  CHECK(hl7::message_builder{}.encode().empty());
}

TEST_CASE("hl7 builder: message_builder::set by path") {
  hl7::message_builder b;
  b.set("MSH-3", "APP").set("MSH-9.1", "ADT").set("MSH-9.2", "A01").set("MSH-10", "C1");
  b.set("PID-3[2].1", "456").set("PID-3.1", "123").set("PID-3[2].4.2", "ISO");
  b.set("PID-5", "a^b");
  b.set("OBX-5", "first").set("OBX[2]-5", "second").set("OBX-3.2", "x");

  const std::string expected =
      "MSH|^~\\&|APP||||||ADT^A01|C1\r"
      "PID|||123~456^^^&ISO||a\\S\\b\r"
      "OBX|||^x||first\r"
      "OBX|||||second\r";
  CHECK(b.encode() == expected);
  REQUIRE(b.find("OBX", 2) != nullptr);
  CHECK(b.find("OBX", 3) == nullptr);
  CHECK(b.find("NTE") == nullptr);

  const hl7::message m = parse_built(b.encode());
  CHECK(value_at(m, "PID-3[2].4.2") == "ISO");
  CHECK(value_at(m, "PID-5") == "a^b");
  CHECK(value_at(m, "OBX[2]-5") == "second");

  // Naming an existing occurrence changes it; no segment is appended.
  b.set("OBX[2]-5", "changed");
  CHECK(b.find("OBX", 3) == nullptr);
  CHECK(encoded(*b.find("OBX", 2)) == "OBX|||||changed");
  // Appending the next occurrence of a segment that is not last.
  b.set("PID[2]-1", "2");
  CHECK(b.encode() == "MSH|^~\\&|APP||||||ADT^A01|C1\r"
                      "PID|||123~456^^^&ISO||a\\S\\b\r"
                      "OBX|||^x||first\r"
                      "OBX|||||changed\r"
                      "PID|2\r");
}

TEST_CASE("hl7 builder: a path that skips an occurrence throws and adds nothing") {
  hl7::message_builder b;
  b.set("OBX-5", "a").set("OBX[2]-5", "b");
  const std::string before = b.encode();
  CHECK_THROWS_AS(b.set("OBX[4]-5", "x"), std::invalid_argument);
  CHECK_THROWS_AS(b.set("NTE[2]-3", "x"), std::invalid_argument);
  CHECK(b.encode() == before);
}

TEST_CASE("hl7 builder: a bad path throws invalid_argument") {
  hl7::message_builder b;
  for (const std::string_view p : {"", "PID", "PID3", "pid-3", "PI-3", "PID-", "PID-3.", "PID-3..1", "PID-0",
                                   "PID-3[0]", "PID[0]-3", "PID-3.0", "PID-3.1.0", "PID-3.1.1.1", "PID-3 ",
                                   "1ID-3", "PID-x"}) {
    CAPTURE(p);
    CHECK_THROWS_AS(b.set(p, "x"), std::invalid_argument);
  }
  CHECK(b.encode().empty());
}

TEST_CASE("hl7 builder: an invalid segment name throws invalid_argument") {
  hl7::message_builder b;
  for (const std::string_view name : {"", "P", "PI", "PIDX", "pid", "Pid", "1AB", "P-D", "P D", "PI|"}) {
    CAPTURE(name);
    CHECK_THROWS_AS(b.add(name), std::invalid_argument);
    CHECK_THROWS_AS(hl7::segment_builder(name, hl7::delimiters{}), std::invalid_argument);
  }
  // Valid names: an upper-case letter, then upper-case letters or digits.
  CHECK_NOTHROW(b.add("ZPI"));
  CHECK_NOTHROW(b.add("Z01"));
  CHECK_NOTHROW(b.add("OBX"));
  CHECK(b.encode() == "ZPI\rZ01\rOBX\r");
}

TEST_CASE("hl7 builder: header fields 1 and 2 cannot be set") {
  for (const std::string_view name : {"MSH", "FHS", "BHS"}) {
    CAPTURE(name);
    hl7::segment_builder s(name, hl7::delimiters{});
    for (std::size_t f : {1u, 2u}) {
      CAPTURE(f);
      CHECK_THROWS_AS(s.set(f, "x"), std::invalid_argument);
      CHECK_THROWS_AS(s.set(f, 1, 1, 1, "x"), std::invalid_argument);
      CHECK_THROWS_AS(s.set_components(f, {"x", "y"}), std::invalid_argument);
      CHECK_THROWS_AS(s.set_null(f), std::invalid_argument);
      CHECK_THROWS_AS(s.set_raw(f, "x"), std::invalid_argument);
    }
    CHECK(encoded(s) == std::string(name) + "|^~\\&");
  }
  // Fields 1 and 2 of other segments are ordinary fields.
  CHECK(encoded(hl7::segment_builder("PID", hl7::delimiters{}).set(1, "1").set(2, "2")) == "PID|1|2");

  hl7::message_builder b;
  b.set("MSH-3", "APP");
  CHECK_THROWS_AS(b.set("MSH-1", "!"), std::invalid_argument);
  CHECK_THROWS_AS(b.set("MSH-2", "@#$%"), std::invalid_argument);
  CHECK_THROWS_AS(b.set("MSH-2.1", "x"), std::invalid_argument);
  CHECK(b.encode() == "MSH|^~\\&|APP\r");
}

TEST_CASE("hl7 builder: position 0 throws invalid_argument") {
  hl7::segment_builder s("PID", hl7::delimiters{});
  CHECK_THROWS_AS(s.set(0, "x"), std::invalid_argument);
  CHECK_THROWS_AS(s.set(0, 1, 1, 1, "x"), std::invalid_argument);
  CHECK_THROWS_AS(s.set(3, 0, 1, 1, "x"), std::invalid_argument);
  CHECK_THROWS_AS(s.set(3, 1, 0, 1, "x"), std::invalid_argument);
  CHECK_THROWS_AS(s.set(3, 1, 1, 0, "x"), std::invalid_argument);
  CHECK_THROWS_AS(s.set_components(0, {"x"}), std::invalid_argument);
  CHECK_THROWS_AS(s.set_null(0), std::invalid_argument);
  CHECK_THROWS_AS(s.set_raw(0, "x"), std::invalid_argument);
  CHECK(encoded(s) == "PID");
}

TEST_CASE("hl7 builder: a truncation character gives a 5-character MSH-2 and is escaped as \\P\\") {
  hl7::delimiters d;
  d.truncation = '#';
  hl7::message_builder b(d);
  b.add("MSH").set(3, "A#B").set_components(9, {"ORU", "R01"}).set(10, "C1").set(12, "2.7");
  b.add("OBX").set(5, "#1 of 2");
  CHECK(b.encode() == "MSH|^~\\&#|A\\P\\B||||||ORU^R01|C1||2.7\rOBX|||||\\P\\1 of 2\r");

  const hl7::message m = parse_built(b.encode());
  CHECK(m.delimiters() == d);
  CHECK(value_at(m, "MSH-2") == "^~\\&#");
  CHECK(value_at(m, "MSH-3") == "A#B");
  CHECK(value_at(m, "OBX-5") == "#1 of 2");

  // Without a declared truncation character '#' is an ordinary character.
  CHECK(encoded(hl7::segment_builder("OBX", hl7::delimiters{}).set(5, "#1")) == "OBX|||||#1");
}

TEST_CASE("hl7 builder: CR and LF in a value become \\X0D\\ and \\X0A\\") {
  const std::string_view text = "line1\r\nline2\nline3\r";
  hl7::message_builder b;
  add_header(b);
  b.add("OBX").set(5, text);
  CHECK(encoded(*b.find("OBX")) == "OBX|||||line1\\X0D\\\\X0A\\line2\\X0A\\line3\\X0D\\");

  const std::string bytes = b.encode();
  // The only CRs left are the two segment terminators.
  CHECK(std::count(bytes.begin(), bytes.end(), '\r') == 2);
  CHECK(bytes.find('\n') == std::string::npos);
  const hl7::message m = parse_built(bytes);
  CHECK(m.segment_count() == 2u);
  CHECK(value_at(m, "OBX-5") == text);

  // With custom delimiters the hex escape uses the declared escape character.
  hl7::segment_builder custom("OBX", hl7::delimiters{'!', '@', '#', '$', '%'});
  custom.set(5, "a\nb");
  CHECK(encoded(custom) == "OBX!!!!!a$X0A$b");
}
