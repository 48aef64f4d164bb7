// Tests for parsers/hl7/message.hpp: parsing, the index, accessors, encode,
// limits, and one test per errc that message::parse can produce (code,
// locator and offset each asserted exactly).
#include <doctest/doctest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "checked_access.hpp"
#include "hl7/error.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

namespace hl7 = radbridge::hl7;
using hl7::errc;

using radbridge::test::parse_ok;

namespace {

// A valid header with 12 fields (MSH-1 and MSH-2 included) and no escapes.
constexpr std::string_view msh = "MSH|^~\\&|RIS|GENHOSP|PACS|GENHOSP_PACS|20240321101500||ORM^O01|CTRL0001|P|2.5.1\r";

hl7::path path_of(std::string_view text) {
  auto p = hl7::parse_path(text);
  REQUIRE(p.has_value());
  return *p;
}

std::string value_of(const hl7::message& m, std::string_view path) {
  auto v = m.value(path);
  INFO(path);
  INFO((v ? std::string("ok") : v.error().to_string()));
  REQUIRE(v.has_value());
  return *v;
}

// Parses `bytes`, which must fail, and checks the exact code, locator and offset.
void check_parse_error(std::string_view bytes, errc code, std::string_view where, std::size_t offset,
                       const hl7::limits& lim = {}) {
  auto r = hl7::message::parse(bytes, lim);
  REQUIRE_FALSE(r.has_value());
  const hl7::error& e = r.error();
  INFO("error: ", e.to_string());
  CHECK(hl7::to_string(e.code) == hl7::to_string(code));
  CHECK(e.code == code);
  CHECK(e.where.to_string() == where);
  CHECK(e.offset == offset);
}

std::string with_msh(std::string_view rest) { return std::string(msh) + std::string(rest); }

}  // namespace

// ---------------------------------------------------------------------------
// The buffer, the index and the accessors

TEST_CASE("hl7 message: the message owns a copy of the input and hands out views into it") {
  std::string source = with_msh("PID|1||MRN1^^^H^MR~MRN2^^^H^PI||DOE^JOHN\r");
  const std::string original = source;
  const hl7::message m = parse_ok(source);
  source.assign(source.size(), 'x');  // the caller's buffer is gone; the message must not care

  CHECK(m.bytes() == original);
  CHECK(m.bytes().data() != source.data());
  CHECK(value_of(m, "PID-5.1") == "DOE");
  CHECK(value_of(m, "PID-3[2].1") == "MRN2");

  const auto raw = m.raw(path_of("PID-3[2]"));
  REQUIRE(raw.has_value());
  CHECK(*raw == "MRN2^^^H^PI");
  CHECK(raw->data() >= m.bytes().data());
  CHECK(raw->data() + raw->size() <= m.bytes().data() + m.bytes().size());

  const hl7::segment_view pid = m.segment(1);
  CHECK(pid.name() == "PID");
  CHECK(pid.name().data() == m.bytes().data() + msh.size());
  CHECK(pid.offset() == msh.size());
  CHECK(pid.raw() == "PID|1||MRN1^^^H^MR~MRN2^^^H^PI||DOE^JOHN");
  CHECK(pid.field_count() == 5);
  CHECK_FALSE(pid.is_header());
  CHECK(pid.field(1) == "1");
  CHECK(pid.field(2).empty());
  CHECK(pid.find_field(2).has_value());
  CHECK(pid.field(5) == "DOE^JOHN");
  CHECK_FALSE(pid.find_field(6).has_value());
  CHECK_FALSE(pid.find_field(0).has_value());
  CHECK(pid.field(6).empty());

  // The rvalue overload takes the string over and gives the same result.
  std::string owned = original;
  const hl7::message moved = [&] {
    auto r = hl7::message::parse(std::move(owned));
    REQUIRE(r.has_value());
    return std::move(r).value();
  }();
  CHECK(moved.bytes() == original);
  CHECK(moved.encode() == original);
  CHECK(value_of(moved, "PID-3[2].1") == "MRN2");

  // A copy has its own buffer.
  const hl7::message copy = m;
  CHECK(copy.bytes() == m.bytes());
  CHECK(copy.bytes().data() != m.bytes().data());
  CHECK(value_of(copy, "PID-5.2") == "JOHN");
}

TEST_CASE("hl7 message: MSH is a header segment whose fields 1 and 2 are the delimiters") {
  const hl7::message m = parse_ok(with_msh("PID|1\r"));
  const hl7::segment_view head = m.segment(0);
  CHECK(head.name() == "MSH");
  CHECK(head.is_header());
  CHECK(head.offset() == 0);
  CHECK(head.field(1) == "|");
  CHECK(head.field(2) == "^~\\&");
  CHECK(head.field(3) == "RIS");
  CHECK(head.field(9) == "ORM^O01");
  CHECK(head.field(12) == "2.5.1");
  CHECK(head.field_count() == 12);
  CHECK(m.segment_count() == 2);
}

TEST_CASE("hl7 message: default delimiters are read from MSH-1 and MSH-2") {
  const hl7::message m = parse_ok(with_msh("PID|1\r"));
  const hl7::delimiters expected{'|', '^', '~', '\\', '&', '\0'};
  CHECK(m.delimiters() == expected);
}

TEST_CASE("hl7 message: custom delimiters are read from MSH-1 and MSH-2 and used everywhere") {
  const std::string in =
      "MSH#$*?%#RIS#GENHOSP#PACS#GENHOSP_PACS#20240321101500##ORM$O01#X1#P#2.3.1\r"
      "PID#1##A1$$$H1*B2%SUB$$$H2##DOE$JOHN\r"
      "OBX#1#ST#C##Ref ?F?A-12; 3?S?1; C?T?D; x?R?y; a?E?b#a|b^c~d\\e&f\r";
  const hl7::message m = parse_ok(in);
  const hl7::delimiters expected{'#', '$', '*', '?', '%', '\0'};
  CHECK(m.delimiters() == expected);
  CHECK(m.message_type() == "ORM");
  CHECK(m.trigger_event() == "O01");
  CHECK(m.control_id() == "X1");
  CHECK(value_of(m, "MSH-1") == "#");
  CHECK(value_of(m, "MSH-2") == "$*?%");
  CHECK(value_of(m, "PID-3[1].1") == "A1");
  CHECK(value_of(m, "PID-3[2].1") == "B2%SUB");
  CHECK(value_of(m, "PID-3[2].1.1") == "B2");
  CHECK(value_of(m, "PID-3[2].1.2") == "SUB");
  CHECK(value_of(m, "PID-3[2].4") == "H2");
  CHECK(value_of(m, "PID-5.2") == "JOHN");
  // Escapes decode to this message's own delimiters.
  CHECK(value_of(m, "OBX-5") == "Ref #A-12; 3$1; C%D; x*y; a?b");
  // The default delimiters are ordinary text here.
  CHECK(value_of(m, "OBX-6") == "a|b^c~d\\e&f");
  CHECK(m.encode() == in);
}

TEST_CASE("hl7 message: a fifth MSH-2 character is the truncation character") {
  const std::string in =
      "MSH|^~\\&#|AI|RB|RIS|H|20240324120000||ORU^R01^ORU_R01|X1|P|2.7\r"
      "OBX|1|ST|S||ends in trunca#|\r"
      "OBX|2|ST|R||Case \\P\\4471\r";
  const hl7::message m = parse_ok(in);
  const hl7::delimiters expected{'|', '^', '~', '\\', '&', '#'};
  CHECK(m.delimiters() == expected);
  CHECK(value_of(m, "MSH-1") == "|");
  CHECK(value_of(m, "MSH-2") == "^~\\&#");
  CHECK(value_of(m, "MSH-3") == "AI");
  CHECK(value_of(m, "OBX-5") == "ends in trunca#");
  CHECK(value_of(m, "OBX[2]-5") == "Case #4471");
  CHECK(m.trigger_event() == "R01");
  CHECK(m.encode() == in);
}

TEST_CASE("hl7 message: MSH-1 and MSH-2 are never split or unescaped") {
  const hl7::message m = parse_ok(with_msh("PID|1\r"));
  CHECK(value_of(m, "MSH-1") == "|");
  CHECK(value_of(m, "MSH-2") == "^~\\&");
  const auto msh1 = m.raw(path_of("MSH-1"));
  const auto msh2 = m.raw(path_of("MSH-2"));
  REQUIRE(msh1.has_value());
  REQUIRE(msh2.has_value());
  CHECK(*msh1 == "|");
  CHECK(*msh2 == "^~\\&");
  // MSH-2 contains the component and repetition characters, but it is one value.
  CHECK(m.raw(path_of("MSH-2.1")) == std::optional<std::string_view>("^~\\&"));
  CHECK_FALSE(m.raw(path_of("MSH-2.2")).has_value());
  CHECK_FALSE(m.raw(path_of("MSH-2[2]")).has_value());
  CHECK_FALSE(m.raw(path_of("MSH-1.2")).has_value());
  CHECK(value_of(m, "MSH-2.2").empty());
}

TEST_CASE("hl7 message: the HL7 null \"\" is distinct from an empty value") {
  const hl7::message m = parse_ok(with_msh("PID|1||MRN1||\"\"|\"\"^X||\r"));
  const auto null_field = m.raw(path_of("PID-5"));
  const auto empty_field = m.raw(path_of("PID-4"));
  const auto trailing_empty = m.raw(path_of("PID-8"));
  REQUIRE(null_field.has_value());
  REQUIRE(empty_field.has_value());
  REQUIRE(trailing_empty.has_value());
  CHECK(*null_field == "\"\"");
  CHECK(hl7::is_null(*null_field));
  CHECK(empty_field->empty());
  CHECK_FALSE(hl7::is_null(*empty_field));
  CHECK_FALSE(hl7::is_null(*trailing_empty));
  // A null component inside a larger value.
  const auto component = m.raw(path_of("PID-6.1"));
  REQUIRE(component.has_value());
  CHECK(hl7::is_null(*component));
  CHECK_FALSE(hl7::is_null(*m.raw(path_of("PID-6"))));
  CHECK_FALSE(hl7::is_null("\""));
  CHECK_FALSE(hl7::is_null("\"\"\""));
  // The null is not an escape: value() hands it out as its two characters.
  CHECK(value_of(m, "PID-5") == "\"\"");
}

TEST_CASE("hl7 message: empty repetitions are kept") {
  const hl7::message m = parse_ok(with_msh("PID|1||~R2|\r"));
  const auto first = m.raw(path_of("PID-3[1]"));
  const auto second = m.raw(path_of("PID-3[2]"));
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(first->empty());
  CHECK(*second == "R2");
  CHECK_FALSE(m.raw(path_of("PID-3[3]")).has_value());
  CHECK(value_of(m, "PID-3[3]").empty());
  // An empty field has exactly one (empty) repetition.
  const auto empty_field = m.raw(path_of("PID-4[1]"));
  REQUIRE(empty_field.has_value());
  CHECK(empty_field->empty());
  CHECK_FALSE(m.raw(path_of("PID-4[2]")).has_value());
  // A field the segment does not have at all.
  CHECK_FALSE(m.raw(path_of("PID-5")).has_value());
  CHECK(value_of(m, "PID-5").empty());
  // Components beyond the last are absent, empty ones present.
  const hl7::message c = parse_ok(with_msh("PID|1||A^^C\r"));
  CHECK(c.raw(path_of("PID-3.2")) == std::optional<std::string_view>(""));
  CHECK(c.raw(path_of("PID-3.3")) == std::optional<std::string_view>("C"));
  CHECK_FALSE(c.raw(path_of("PID-3.4")).has_value());
  CHECK_FALSE(c.raw(path_of("PID-3.1.2")).has_value());
  CHECK(c.raw(path_of("PID-3.1.1")) == std::optional<std::string_view>("A"));
}

TEST_CASE("hl7 message: trailing delimiters survive encode") {
  const std::string in = with_msh(
      "PID|1||A^^~|||\r"
      "PV1|1|O^^|\r"
      "ZZZ|a|^&|~\r");
  const hl7::message m = parse_ok(in);
  CHECK(m.encode() == in);
  CHECK(m.segment(1).raw() == "PID|1||A^^~|||");
  CHECK(m.segment(1).field_count() == 6);
  CHECK(m.segment(2).raw() == "PV1|1|O^^|");
  CHECK(m.segment(3).raw() == "ZZZ|a|^&|~");
}

TEST_CASE("hl7 message: CR-terminated input re-encodes byte for byte") {
  const std::string in = with_msh(
      "PID|1||MRN1^^^H^MR~~MRN3||O\\T\\DOE^JANE||19700101|F|||1 PIPE \\F\\ ST^^TOWN\r"
      "OBR|1|ORD1^EPIC|ACC1^RIS|CT^CT HEAD^L\r"
      "OBX|1|FT|R||\\H\\Findings\\N\\\\.br\\none|||||F\r"
      "OBX|2|NM|V||12.4|mL|\r"
      "ZDS|1.2.3^RIS^Application^DICOM\r");
  const hl7::message m = parse_ok(in);
  CHECK(m.bytes() == in);
  CHECK(m.encode() == in);
  CHECK(m.segment_count() == 6);
}

TEST_CASE("hl7 message: LF and CRLF line ends are normalised to CR") {
  const std::string cr =
      "MSH|^~\\&|EPIC|GENHOSP|RIS|RAD|20240328101500||ORM^O01|EPC1|P|2.3.1\r"
      "PID|1||MRN1^^^H^MR~999^^^SSA^SS||DOE^JOHN||19800303|M\r"
      "PV1|1|O|CT^^^H\r"
      "OBR|1|ORD1^EPIC|ACC1^RIS|CT^CT HEAD^L||||\r";
  std::string lf = cr;
  std::string crlf;
  for (char& c : lf) {
    if (c == '\r') c = '\n';
  }
  for (char c : cr) {
    if (c == '\r') crlf += "\r\n";
    else crlf.push_back(c);
  }
  const hl7::message a = parse_ok(cr);
  const hl7::message b = parse_ok(lf);
  const hl7::message c = parse_ok(crlf);
  for (const hl7::message* m : {&b, &c}) {
    CHECK(m->bytes().find('\n') == std::string_view::npos);
    CHECK(m->bytes() == cr);
    CHECK(m->encode() == cr);
    REQUIRE(m->segment_count() == a.segment_count());
    for (std::size_t i = 0; i < a.segment_count(); ++i) {
      CHECK(m->segment(i).name() == a.segment(i).name());
      CHECK(m->segment(i).raw() == a.segment(i).raw());
      CHECK(m->segment(i).field_count() == a.segment(i).field_count());
    }
    for (std::string_view p : {"MSH-10", "PID-3[2].1", "PID-5.2", "PV1-3.1", "OBR-4.2", "OBR-7"}) {
      CHECK(value_of(*m, p) == value_of(a, p));
    }
    CHECK(m->control_id() == "EPC1");
  }
  CHECK(value_of(c, "PID-3[2].1") == "999");
  CHECK(value_of(c, "OBR-4.2") == "CT HEAD");
}

TEST_CASE("hl7 message: a missing final CR is added") {
  const std::string without = with_msh("PID|1||A\rPV1|1|O|");
  const hl7::message m = parse_ok(without);
  CHECK(m.bytes() == without + "\r");
  CHECK(m.encode() == without + "\r");
  CHECK(m.segment_count() == 3);
  CHECK(m.segment(2).raw() == "PV1|1|O|");
  CHECK(value_of(m, "PV1-2") == "O");
  CHECK(m.raw(path_of("PV1-3")) == std::optional<std::string_view>(""));
  // A lone MSH without its CR, too.
  const hl7::message only = parse_ok(msh.substr(0, msh.size() - 1));
  CHECK(only.encode() == msh);
}

TEST_CASE("hl7 message: leading blank lines are dropped and trailing blank lines ignored") {
  const hl7::message m = parse_ok("\r\n\r\n" + with_msh("PID|1\r\r\n\n"));
  CHECK(m.bytes().substr(0, 3) == "MSH");
  CHECK(m.segment_count() == 2);
  CHECK(m.encode() == with_msh("PID|1\r"));
}

TEST_CASE("hl7 message: Z-segments are kept verbatim") {
  const std::string in = with_msh(
      "PID|1||A\r"
      "ZPI|1|RESEARCH_OPT_OUT^Y|PREFERRED_NAME^GO\\T\\GO|^\r"
      "Z01|x~y|\r");
  const hl7::message m = parse_ok(in);
  const auto zpi = m.find("ZPI");
  REQUIRE(zpi.has_value());
  CHECK(zpi->raw() == "ZPI|1|RESEARCH_OPT_OUT^Y|PREFERRED_NAME^GO\\T\\GO|^");
  CHECK(zpi->field_count() == 4);
  CHECK(value_of(m, "ZPI-2.2") == "Y");
  CHECK(value_of(m, "ZPI-3.2") == "GO&GO");
  const auto z01 = m.find("Z01");
  REQUIRE(z01.has_value());
  CHECK(z01->raw() == "Z01|x~y|");
  CHECK(value_of(m, "Z01-1[2]") == "y");
  CHECK(m.encode() == in);
}

TEST_CASE("hl7 message: segments are found by name and occurrence") {
  const hl7::message m = parse_ok(with_msh(
      "PID|1||A\r"
      "OBX|1|NM|A^Alpha||1.5|mL\r"
      "NTE|1||note\r"
      "OBX|2|NM|B^Beta||2.5|mL\r"
      "OBX|3|CWE|C^Gamma||Y^Yes^HL70136|\r"));
  const auto first = m.find("OBX");
  const auto third = m.find("OBX", 3);
  REQUIRE(first.has_value());
  REQUIRE(third.has_value());
  CHECK(first->field(1) == "1");
  CHECK(third->field(1) == "3");
  CHECK(third->offset() == m.segment(5).offset());
  CHECK_FALSE(m.find("OBX", 4).has_value());
  CHECK_FALSE(m.find("PV1").has_value());
  CHECK(m.find("NTE").has_value());
  CHECK(value_of(m, "OBX[3]-5.1") == "Y");
  CHECK(value_of(m, "OBX[3]-5.2") == "Yes");
  CHECK(value_of(m, "OBX[2]-5") == "2.5");
  CHECK(value_of(m, "OBX-3.2") == "Alpha");
  CHECK_FALSE(m.raw(path_of("OBX[4]-5")).has_value());
  CHECK(value_of(m, "OBX[4]-5").empty());
}

TEST_CASE("hl7 message: message type, trigger event and control id come from MSH-9 and MSH-10") {
  const hl7::message a = parse_ok(with_msh("PID|1\r"));
  CHECK(a.message_type() == "ORM");
  CHECK(a.trigger_event() == "O01");
  CHECK(a.control_id() == "CTRL0001");
  const hl7::message b = parse_ok("MSH|^~\\&|A|B|C|D|20240101||ADT^A31^ADT_A05|MPI-7|P|2.5\r");
  CHECK(b.message_type() == "ADT");
  CHECK(b.trigger_event() == "A31");
  CHECK(b.control_id() == "MPI-7");
  const hl7::message c = parse_ok("MSH|^~\\&|A|B|C|D|20240101||ACK|42|P|2.3\r");
  CHECK(c.message_type() == "ACK");
  CHECK(c.trigger_event().empty());
  CHECK(c.control_id() == "42");
}

TEST_CASE("hl7 message: value unescapes, raw does not") {
  const hl7::message m = parse_ok(with_msh("PID|1||A||O\\T\\DOE^J\\S\\R||\r"));
  CHECK(m.raw(path_of("PID-5.1")) == std::optional<std::string_view>("O\\T\\DOE"));
  CHECK(value_of(m, "PID-5.1") == "O&DOE");
  CHECK(value_of(m, "PID-5.2") == "J^R");
  // A whole field keeps its (unescaped) delimiters.
  CHECK(value_of(m, "PID-5") == "O&DOE^J^R");
  const auto unescaped = m.unescape(*m.raw(path_of("PID-5")));
  REQUIRE(unescaped.has_value());
  CHECK(*unescaped == "O&DOE^J^R");
  // A path that does not follow the grammar.
  const auto bad = m.value("pid-5");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == errc::bad_path);
}

// ---------------------------------------------------------------------------
// Limits: at the limit parses, one past it fails with the exact code

TEST_CASE("hl7 message: limits.max_bytes") {
  const std::string in = with_msh("PID|1||A\r");
  hl7::limits lim;
  lim.max_bytes = in.size();
  CHECK(parse_ok(in, lim).encode() == in);
  // Exactly max_bytes without its final CR is still a frame of max_bytes bytes.
  lim.max_bytes = in.size() - 1;
  CHECK(parse_ok(std::string_view(in).substr(0, in.size() - 1), lim).encode() == in);
  check_parse_error(in, errc::frame_too_large, "", in.size() - 1, lim);
  // The owning overload checks the same limit.
  auto r = hl7::message::parse(std::string(in), lim);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::frame_too_large);
  CHECK(r.error().offset == in.size() - 1);
}

TEST_CASE("hl7 message: limits.max_segments") {
  hl7::limits lim;
  lim.max_segments = 3;
  const std::string three = with_msh("OBX|1\rOBX|2\r");
  CHECK(parse_ok(three, lim).segment_count() == 3);
  const std::string four = three + "OBX|3\r";
  check_parse_error(four, errc::too_many_segments, "OBX[3]", three.size(), lim);
}

TEST_CASE("hl7 message: limits.max_fields") {
  hl7::limits lim;
  lim.max_fields = 12;  // MSH has exactly 12 (MSH-1 and MSH-2 included)
  const std::string twelve = with_msh("PID|1|2|3|4|5|6|7|8|9|10|11|12\r");
  CHECK(parse_ok(twelve, lim).segment(1).field_count() == 12);
  const std::string thirteen = with_msh("PID|1|2|3|4|5|6|7|8|9|10|11|12|13\r");
  // The first field past the limit is named.
  check_parse_error(thirteen, errc::too_many_fields, "PID-13", thirteen.find("|13") + 1, lim);
  // Trailing empty fields count.
  const std::string trailing = with_msh("PID|1|2|3|4|5|6|7|8|9|10|11|12|\r");
  check_parse_error(trailing, errc::too_many_fields, "PID-13", trailing.size() - 1, lim);
  // The header itself is subject to the limit.
  lim.max_fields = 11;
  check_parse_error(twelve, errc::too_many_fields, "MSH-12", msh.find("2.5.1"), lim);
}

TEST_CASE("hl7 message: limits.max_repetitions") {
  hl7::limits lim;
  lim.max_repetitions = 2;
  const hl7::message ok = parse_ok(with_msh("PID|1||A~B|X~Y|~\r"), lim);
  CHECK(value_of(ok, "PID-3[2]") == "B");
  const std::string three = with_msh("PID|1||A~B^x~C^y|\r");
  check_parse_error(three, errc::too_many_repetitions, "PID-3[3].1", three.find("C^y"), lim);
  const std::string empties = with_msh("PID|1||~~|\r");
  check_parse_error(empties, errc::too_many_repetitions, "PID-3[3]", empties.find("~~|") + 2, lim);
}

// ---------------------------------------------------------------------------
// One test per errc that message::parse produces

TEST_CASE("hl7 message: errc::empty_input") {
  check_parse_error("", errc::empty_input, "", 0);
  check_parse_error(" \r\n\t\n\r ", errc::empty_input, "", 0);
}

TEST_CASE("hl7 message: errc::xml_encoded") {
  check_parse_error("<?xml version=\"1.0\"?>\n<ORM_O01 xmlns=\"urn:hl7-org:v2xml\"/>\n", errc::xml_encoded, "", 0);
  // Offsets are in the normalised input: leading blank lines are gone.
  check_parse_error("\r\n  <ORM_O01><MSH/></ORM_O01>", errc::xml_encoded, "", 0);
}

TEST_CASE("hl7 message: errc::missing_msh") {
  check_parse_error("PID|1||MRN1\rPV1|1|O\r", errc::missing_msh, "", 0);
  check_parse_error("\n\nThis is not an HL7 message.\n", errc::missing_msh, "", 0);
  check_parse_error("MS", errc::missing_msh, "", 0);
  // FHS and BHS only open batches (parse_batch), never a single message.
  check_parse_error("FHS|^~\\&|A|B\rMSH|^~\\&|A|B|C|D|1||ORM^O01|X|P|2.5\r", errc::missing_msh, "", 0);
  check_parse_error("BHS|^~\\&|A|B\r", errc::missing_msh, "", 0);
}

TEST_CASE("hl7 message: errc::bad_encoding_chars") {
  SUBCASE("MSH-2 too short") {
    check_parse_error("MSH|^~|A|B|C|D|1||ORM^O01|X|P|2.5\r", errc::bad_encoding_chars, "MSH-2", 4);
  }
  SUBCASE("MSH-2 too long") {
    check_parse_error("MSH|^~\\&#!|A|B|C|D|1||ORM^O01|X|P|2.5\r", errc::bad_encoding_chars, "MSH-2", 4);
  }
  SUBCASE("MSH-2 empty, or absent") {
    check_parse_error("MSH||A|B|C|D|1||ORM^O01|X|P|2.5\r", errc::bad_encoding_chars, "MSH-2", 4);
    check_parse_error("MSH|\rPID|1\r", errc::bad_encoding_chars, "MSH-2", 4);
  }
  SUBCASE("duplicate characters") {
    check_parse_error("MSH|^^\\&|A|B|C|D|1||ORM^O01|X|P|2.5\r", errc::bad_encoding_chars, "MSH-2", 5);
    check_parse_error("MSH|^~\\&~|A|B|C|D|1||ORM^O01|X|P|2.5\r", errc::bad_encoding_chars, "MSH-2", 8);
  }
  SUBCASE("alphanumeric characters") {
    check_parse_error("MSH|^~A&|A|B|C|D|1||ORM^O01|X|P|2.5\r", errc::bad_encoding_chars, "MSH-2", 6);
    check_parse_error("MSH|^~\\&1|A|B|C|D|1||ORM^O01|X|P|2.5\r", errc::bad_encoding_chars, "MSH-2", 8);
    check_parse_error("MSHX^~\\&XAXBXCXDX1XXORM^O01XXXPX2.5\r", errc::bad_encoding_chars, "MSH-1", 3);
  }
  SUBCASE("no field separator") {
    check_parse_error("MSH\rPID|1\r", errc::bad_encoding_chars, "MSH-1", 3);
    check_parse_error("MSH", errc::bad_encoding_chars, "MSH-1", 3);
  }
  SUBCASE("a batch envelope's later header that declares other encoding characters") {
    // Only an envelope (parse_with_header for FHS/BHS) has a later header segment.
    const std::string in = "FHS|^~\\&|A\rBHS|^~\\#|B\r";
    auto r = hl7::parse_with_header(std::string(in), {}, true);
    REQUIRE_FALSE(r.has_value());
    INFO("error: ", r.error().to_string());
    CHECK(r.error().code == errc::bad_encoding_chars);
    CHECK(r.error().where.to_string() == "BHS-1");
    CHECK(r.error().offset == in.find("BHS") + 3);
  }
}

TEST_CASE("hl7 message: errc::bad_segment_name") {
  SUBCASE("lower case") {
    const std::string in = with_msh("EVN|A08|20240329093500\rpid|1||MRN1\rPV1|1|O\r");
    check_parse_error(in, errc::bad_segment_name, "pid", in.find("pid"));
  }
  SUBCASE("two characters") {
    const std::string in = with_msh("EVN|A08|20240329093000\rP1|1||MRN1\rPV1|1|O\r");
    check_parse_error(in, errc::bad_segment_name, "P1", in.find("P1|"));
  }
  SUBCASE("a two-character name at the end") {
    const std::string in = with_msh("PI\r");
    check_parse_error(in, errc::bad_segment_name, "PI", msh.size());
  }
  SUBCASE("a digit first") {
    const std::string in = with_msh("1ID|1\r");
    check_parse_error(in, errc::bad_segment_name, "1ID", msh.size());
  }
}

TEST_CASE("hl7 message: errc::bad_batch for a header segment after the first segment of a message") {
  // One message per parse: a second MSH (two messages in one frame) or a batch
  // header inside a message is a segment sequence error, not more segments.
  SUBCASE("a second MSH") {
    const std::string in = with_msh("PID|1\r") + "MSH|^~\\&|RIS|GENHOSP|PACS|GENHOSP_PACS|1||ORM^O01|CTRL0002|P|2.5.1\r";
    check_parse_error(in, errc::bad_batch, "MSH[2]", in.rfind("MSH"));
  }
  SUBCASE("a second MSH that declares other encoding characters") {
    const std::string in = with_msh("PID|1\rMSH|^~\\#|A\r");
    check_parse_error(in, errc::bad_batch, "MSH[2]", in.rfind("MSH"));
  }
  SUBCASE("BHS and FHS") {
    const std::string bhs = with_msh("PID|1\rBHS|^~\\&|A\r");
    check_parse_error(bhs, errc::bad_batch, "BHS", bhs.find("BHS"));
    const std::string fhs = with_msh("FHS|^~\\&|A\rPID|1\r");
    check_parse_error(fhs, errc::bad_batch, "FHS", fhs.find("FHS"));
  }
}

TEST_CASE("hl7 message: errc::missing_required_field") {
  SUBCASE("MSH-9 empty") {
    const std::string in = "MSH|^~\\&|A|B|C|D|20240101|||X1|P|2.5\rPID|1\r";
    check_parse_error(in, errc::missing_required_field, "MSH-9", in.find("||X1") + 1);
  }
  SUBCASE("MSH-9 without a message type") {
    const std::string in = "MSH|^~\\&|A|B|C|D|20240101||^O01|X1|P|2.5\r";
    check_parse_error(in, errc::missing_required_field, "MSH-9", in.find("^O01"));
  }
  SUBCASE("MSH-9 absent") {
    const std::string in = "MSH|^~\\&|A|B|C|D|20240101\rPID|1\r";
    check_parse_error(in, errc::missing_required_field, "MSH-9", in.find('\r'));
  }
  SUBCASE("MSH-10 empty") {
    const std::string in = "MSH|^~\\&|A|B|C|D|20240101||ORM^O01||P|2.5\r";
    check_parse_error(in, errc::missing_required_field, "MSH-10", in.find("||P") + 1);
  }
  SUBCASE("MSH-10 absent") {
    const std::string in = "MSH|^~\\&|A|B|C|D|20240101||ORM^O01\r";
    check_parse_error(in, errc::missing_required_field, "MSH-10", in.find('\r'));
  }
}

TEST_CASE("hl7 message: errc::frame_too_large") {
  std::string in = with_msh("OBX|1|TX|N||");
  in.append(200, 'x');
  in += "\r";
  hl7::limits lim;
  lim.max_bytes = 100;
  check_parse_error(in, errc::frame_too_large, "", 100, lim);
}

TEST_CASE("hl7 message: errc::too_many_segments") {
  hl7::limits lim;
  lim.max_segments = 2;
  const std::string in = with_msh("PID|1\rPV1|1|O\r");
  check_parse_error(in, errc::too_many_segments, "PV1", in.find("PV1"), lim);
}

TEST_CASE("hl7 message: errc::too_many_fields") {
  hl7::limits lim;
  lim.max_fields = 12;
  const std::string in = with_msh("PID|1\rOBX|1|2|3|4|5|6|7|8|9|10|11|12|13|14\r");
  check_parse_error(in, errc::too_many_fields, "OBX-13", in.find("|13|") + 1, lim);
}

TEST_CASE("hl7 message: errc::too_many_repetitions") {
  hl7::limits lim;
  lim.max_repetitions = 3;
  const std::string in = with_msh("PID|1\rPID|2||A~B~C~D~E\r");
  check_parse_error(in, errc::too_many_repetitions, "PID[2]-3[4]", in.find("D~E"), lim);
}

TEST_CASE("hl7 message: errc::bad_escape") {
  SUBCASE("unterminated at the end of a field") {
    const std::string in = with_msh("OBX|1|ST|N||Reaction \\X0||||||F\r");
    check_parse_error(in, errc::bad_escape, "OBX-5", in.find("\\X0"));
  }
  SUBCASE("unterminated at the end of the segment") {
    const std::string in = with_msh("OBX|1|ST|N||Reaction \\F\rPID|1\r");
    check_parse_error(in, errc::bad_escape, "OBX-5", in.find("\\F"));
  }
  SUBCASE("unknown escape \\Q\\") {
    const std::string in = with_msh("PID|1||A||DOE^J\\Q\\R\r");
    check_parse_error(in, errc::bad_escape, "PID-5.2", in.find("\\Q\\"));
  }
  SUBCASE("an escape spanning a component separator") {
    const std::string in = with_msh("OBX|1|ST|N||Ratio 3\\S^\\1\r");
    check_parse_error(in, errc::bad_escape, "OBX-5.1", in.find("\\S^"));
  }
  SUBCASE("\\P\\ without a declared truncation character") {
    const std::string in = with_msh("OBX|1|ST|N||Case \\P\\4471\r");
    check_parse_error(in, errc::bad_escape, "OBX-5", in.find("\\P\\"));
  }
  SUBCASE("inside a component of a second repetition") {
    const std::string in = with_msh("PID|1||MRN1^^^H^MR~\\Q\\^^^SSA^SS||DOE\r");
    check_parse_error(in, errc::bad_escape, "PID-3[2].1", in.find("\\Q\\"));
  }
  SUBCASE("inside a subcomponent") {
    const std::string in = with_msh("OBR|1|||CT^HEAD||||||||||||A&\\Z&C^D\r");
    check_parse_error(in, errc::bad_escape, "OBR-16.1.2", in.find("\\Z&"));
  }
  SUBCASE("in the second occurrence of a segment") {
    const std::string in = with_msh("OBX|1|ST|A||ok\rOBX|2|ST|B||\\W\\\r");
    check_parse_error(in, errc::bad_escape, "OBX[2]-5", in.find("\\W\\"));
  }
}

TEST_CASE("hl7 message: errc::bad_hex_escape") {
  SUBCASE("odd count") {
    const std::string in = with_msh("OBX|1|TX|N||line\\X0D0\\next\r");
    check_parse_error(in, errc::bad_hex_escape, "OBX-5", in.find("\\X0D0"));
  }
  SUBCASE("non-hex digit") {
    const std::string in = with_msh("OBX|1|TX|N||A^line\\X0G\\next\r");
    check_parse_error(in, errc::bad_hex_escape, "OBX-5.2", in.find("\\X0G"));
  }
  SUBCASE("no digits") {
    const std::string in = with_msh("OBX|1|TX|N||line\\X\\next\r");
    check_parse_error(in, errc::bad_hex_escape, "OBX-5", in.find("\\X\\"));
  }
}

TEST_CASE("hl7 message: errc::unknown_charset") {
  const std::string in =
      "MSH|^~\\&|EPIC|GENHOSP|RIS|RAD|20240329092000||ADT^A08|E1|P|2.5||||||KLINGON-1\rPID|1\r";
  check_parse_error(in, errc::unknown_charset, "MSH-18", in.find("KLINGON"));
  const std::string component =
      "MSH|^~\\&|EPIC|GENHOSP|RIS|RAD|20240329092000||ADT^A08|E1|P|2.5||||||UTF-8^x~ASCII\rPID|1\r";
  check_parse_error(component, errc::unknown_charset, "MSH-18.1", component.find("UTF-8"));
}

TEST_CASE("hl7 message: errc::invalid_text") {
  const std::string head_utf8 = "MSH|^~\\&|A|B|C|D|20240101||ADT^A08|X1|P|2.5||||||UNICODE UTF-8\r";
  const std::string head_empty = "MSH|^~\\&|A|B|C|D|20240101||ADT^A08|X1|P|2.5||||||\r";
  const std::string head_latin1 = "MSH|^~\\&|A|B|C|D|20240101||ADT^A08|X1|P|2.5||||||8859/1\r";
  const std::string pid = "PID|1||MRN1||M\xFCLLER^J\xD6RG\r";  // Latin-1 bytes

  SUBCASE("bad UTF-8 under UNICODE UTF-8") {
    const std::string in = head_utf8 + pid;
    check_parse_error(in, errc::invalid_text, "PID-5.1", in.find('\xFC'));
  }
  SUBCASE("bad UTF-8 under an empty MSH-18") {
    const std::string in = head_empty + pid;
    check_parse_error(in, errc::invalid_text, "PID-5.1", in.find('\xFC'));
  }
  SUBCASE("bad UTF-8 under an absent MSH-18") {
    const std::string in = with_msh(pid);
    check_parse_error(in, errc::invalid_text, "PID-5.1", in.find('\xFC'));
  }
  SUBCASE("a truncated sequence at a field end") {
    const std::string in = head_utf8 + "PID|1||MRN1||M\xC3|X\r";
    check_parse_error(in, errc::invalid_text, "PID-5", in.find('\xC3'));
  }
  SUBCASE("8859/1 accepts any byte and decodes it to UTF-8") {
    std::string in = head_latin1 + pid + "NTE|1||";
    for (int b = 0x80; b <= 0xFF; ++b) in.push_back(static_cast<char>(b));
    in += "\r";
    const hl7::message m = parse_ok(in);
    CHECK(m.charset() == hl7::charset::latin1);
    CHECK(value_of(m, "PID-5.1") == "M\xC3\xBCLLER");
    CHECK(value_of(m, "PID-5.2") == "J\xC3\x96RG");
    const std::string all = value_of(m, "NTE-3");
    CHECK(all.size() == 256);  // 128 bytes, each two in UTF-8
    CHECK(all.substr(0, 2) == "\xC2\x80");
    CHECK(all.substr(254) == "\xC3\xBF");
    CHECK(m.encode() == in);
  }
  SUBCASE("valid UTF-8 is accepted under UTF-8, and under an empty MSH-18") {
    const std::string utf8_pid = "PID|1||MRN1||M\xC3\x9CLLER^J\xC3\x96RG\r";
    const hl7::message a = parse_ok(head_utf8 + utf8_pid);
    CHECK(a.charset() == hl7::charset::utf8);
    CHECK(value_of(a, "PID-5.1") == "M\xC3\x9CLLER");
    const hl7::message b = parse_ok(head_empty + utf8_pid);
    CHECK(b.charset() == hl7::charset::ascii);
    CHECK(value_of(b, "PID-5.2") == "J\xC3\x96RG");
  }
}

TEST_CASE("hl7 message: errc::invalid_text for a NUL byte, in every charset") {
  // NUL is no HL7 text: it would end a C string, and PostgreSQL refuses it in
  // text columns (MSH-3/4/10 are stored as text).
  using namespace std::string_literals;
  SUBCASE("in MSH-10") {
    const std::string in = "MSH|^~\\&|A|B|C|D|1||ORM^O01|X\0Y|P|2.5\r"s;
    check_parse_error(in, errc::invalid_text, "MSH-10", in.find('\0'));
  }
  SUBCASE("in a field of an 8859/1 message, where every other byte is text") {
    const std::string in = "MSH|^~\\&|A|B|C|D|1||ORM^O01|X1|P|2.5||||||8859/1\rNTE|1||a\xE9\0b\r"s;
    check_parse_error(in, errc::invalid_text, "NTE-3", in.find('\0'));
  }
  SUBCASE("inside a kept escape") {
    const std::string in = with_msh("NTE|1||\\Z\0\\\r"s);
    check_parse_error(in, errc::invalid_text, "NTE-3", in.find('\0'));
  }
}

TEST_CASE("hl7 message: a hex escape naming bytes invalid in the charset is reported by value") {
  const std::string in =
      "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|X1|P|2.5||||||UNICODE UTF-8\r"
      "OBX|1|ST|N||ok\rOBX|2|ST|N||Caf\\XE9\\ au lait|\r";
  const hl7::message m = parse_ok(in);  // the escape itself is well formed
  const auto v = m.value("OBX[2]-5");
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().code == errc::invalid_text);
  CHECK(v.error().offset == in.find("\\XE9\\"));
  CHECK(v.error().where.to_string() == "OBX[2]-5");
  CHECK(value_of(m, "OBX-5") == "ok");
}

// ---------------------------------------------------------------------------
// Locators

TEST_CASE("hl7 message: locate names the position of a byte") {
  const std::string in = with_msh(
      "PID|1||MRN1^^^H^MR~MRN2^^^SSA&X^SS||DOE^JOHN\r"
      "OBX|1|NM|A||1\r"
      "OBX|2|NM|B||2\r"
      "OBX|3|CWE|C||Y^Yes^HL70136\r");
  const hl7::message m = parse_ok(in);
  auto where = [&](std::size_t offset) { return m.locate(offset).to_string(); };

  CHECK(where(0) == "MSH");
  CHECK(where(3) == "MSH-1");
  CHECK(where(4) == "MSH-2");
  CHECK(where(6) == "MSH-2");
  CHECK(where(in.find("RIS")) == "MSH-3");
  CHECK(where(in.find("ORM^O01") + 4) == "MSH-9.2");
  CHECK(where(in.find("PID")) == "PID");
  CHECK(where(in.find("PID") + 4) == "PID-1");
  CHECK(where(in.find("MRN2")) == "PID-3[2].1");
  CHECK(where(in.find("SSA")) == "PID-3[2].4.1");
  CHECK(where(in.find("X^SS")) == "PID-3[2].4.2");
  CHECK(where(in.find("JOHN")) == "PID-5.2");
  CHECK(where(in.find("OBX|2")) == "OBX[2]");
  CHECK(where(in.find("||2") + 2) == "OBX[2]-5");
  CHECK(where(in.find("Y^Yes")) == "OBX[3]-5.1");
  CHECK(where(in.find("HL70136")) == "OBX[3]-5.3");

  const hl7::location l = m.locate(in.find("X^SS"));
  CHECK(l.segment == "PID");
  CHECK(l.segment_occurrence == 1);
  CHECK(l.field == 3);
  CHECK(l.repetition == 2);
  CHECK(l.component == 4);
  CHECK(l.subcomponent == 2);

  const hl7::location o = m.locate(in.find("Yes"));
  CHECK(o.segment == "OBX");
  CHECK(o.segment_occurrence == 3);
  CHECK(o.field == 5);
  CHECK(o.repetition == 1);
  CHECK(o.component == 2);
  CHECK(o.subcomponent == 0);
}

TEST_CASE("hl7 message: locate_in works on unparsed bytes with any line ends and delimiters") {
  const hl7::delimiters defaults;
  const std::string lf = "MSH|^~\\&|A|B\nPID|1||X~Y^Z\nPID|2||Q\n";
  CHECK(hl7::locate_in(lf, defaults, lf.find("Z")).to_string() == "PID-3[2].2");
  CHECK(hl7::locate_in(lf, defaults, lf.find("Q")).to_string() == "PID[2]-3");
  CHECK(hl7::locate_in(lf, defaults, 0).to_string() == "MSH");
  // Offsets past the end are clamped to the end.
  CHECK(hl7::locate_in(lf, defaults, lf.size() + 100).segment.empty());

  const hl7::delimiters custom{'#', '$', '*', '?', '%', '\0'};
  const std::string hash = "MSH#$*?%#RIS#H\rPID#1##A$$$H*B$$$S%T##DOE$JOHN\r";
  CHECK(hl7::locate_in(hash, custom, hash.find("RIS")).to_string() == "MSH-3");
  CHECK(hl7::locate_in(hash, custom, hash.find("B$")).to_string() == "PID-3[2].1");
  CHECK(hl7::locate_in(hash, custom, hash.find("T#")).to_string() == "PID-3[2].4.2");
  CHECK(hl7::locate_in(hash, custom, hash.find("JOHN")).to_string() == "PID-5.2");

  // A bad, short segment name is reported as written.
  const std::string short_name = "MSH|^~\\&|A\rP1|1\r";
  CHECK(hl7::locate_in(short_name, defaults, short_name.find("P1")).to_string() == "P1");
}
