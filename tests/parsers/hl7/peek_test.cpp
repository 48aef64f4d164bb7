// Tests for parsers/hl7/peek.cpp: the forgiving MSH reader used for NAKs.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "hl7/message.hpp"
#include "hl7/peek.hpp"

namespace hl7 = radbridge::hl7;
using namespace std::string_view_literals;

namespace {

void check_not_found(const hl7::msh_peek& p) {
  CHECK_FALSE(p.found);
  CHECK(p.delimiters == hl7::delimiters{});
  CHECK(p.encoding.empty());
  for (std::size_t n = 0; n < p.fields.size(); ++n) {
    CAPTURE(n);
    CHECK(p.field(n).empty());
  }
  CHECK(p.control_id().empty());
  CHECK(p.message_type().empty());
  CHECK(p.trigger_event().empty());
}

hl7::errc parse_error(std::string_view bytes) {
  const auto m = hl7::message::parse(bytes);
  REQUIRE_FALSE(m.has_value());
  return m.error().code;
}

// A routing header with the given control id; CR-terminated, PID after it.
const std::string routed = "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01^ORM_O01|CTRL1|P|2.5\r";

void check_routing(const hl7::msh_peek& p, std::string_view control_id) {
  CHECK(p.found);
  CHECK(p.sending_application() == "RIS");
  CHECK(p.sending_facility() == "GENHOSP");
  CHECK(p.receiving_application() == "RADBRIDGE");
  CHECK(p.receiving_facility() == "RAD");
  CHECK(p.field(7) == "20260101120000");
  CHECK(p.message_type() == "ORM");
  CHECK(p.trigger_event() == "O01");
  CHECK(p.control_id() == control_id);
  CHECK(p.processing_id() == "P");
  CHECK(p.version() == "2.5");
}

}  // namespace

TEST_CASE("hl7 peek: garbage, empty input and plain text are not found") {
  check_not_found(hl7::peek_msh(""));
  check_not_found(hl7::peek_msh("\x01\x02\xff\xfe garbage \x7f"));
  check_not_found(hl7::peek_msh("\0\0\0MSX|\0"sv));
  check_not_found(hl7::peek_msh("Hello, this is not HL7.\nJust text that mentions MSH in passing.\n"));
  check_not_found(hl7::peek_msh("MSHELLO world\r"));
  check_not_found(hl7::peek_msh("\r\n\r\n"));
  check_not_found(hl7::peek_msh("PID|1||MRN1\rOBX|1|TX\r"));
  // MSH followed by a character that cannot be a field separator.
  check_not_found(hl7::peek_msh("MSH1^~\\&|A\r"));
  check_not_found(hl7::peek_msh("MSH ^~\\&|A\r"));
}

TEST_CASE("hl7 peek: a valid message gives its header fields raw") {
  const std::string bytes =
      "MSH|^~\\&|SAPP|SFAC^1.2.3^ISO|RAPP|RFAC|20260101120000|SEC|ORU^R01^ORU_R01|CTRL42|P^T|2.5.1|7|CONT|AL|NE|USA|"
      "UNICODE UTF-8|en|HANDLING|PROFILE^HL7\r"
      "PID|1||MRN1\r";
  REQUIRE(hl7::message::parse(std::string_view(bytes)).has_value());
  const hl7::msh_peek p = hl7::peek_msh(bytes);
  CHECK(p.found);
  CHECK(p.delimiters == hl7::delimiters{});
  CHECK(p.encoding == "|^~\\&");
  CHECK(p.sending_application() == "SAPP");
  CHECK(p.sending_facility() == "SFAC^1.2.3^ISO");
  CHECK(p.receiving_application() == "RAPP");
  CHECK(p.receiving_facility() == "RFAC");
  CHECK(p.field(7) == "20260101120000");
  CHECK(p.field(8) == "SEC");
  CHECK(p.field(9) == "ORU^R01^ORU_R01");
  CHECK(p.message_type() == "ORU");
  CHECK(p.trigger_event() == "R01");
  CHECK(p.control_id() == "CTRL42");
  CHECK(p.field(10) == "CTRL42");
  CHECK(p.processing_id() == "P^T");
  CHECK(p.version() == "2.5.1");
  CHECK(p.field(13) == "7");
  CHECK(p.field(14) == "CONT");
  CHECK(p.accept_ack_type() == "AL");
  CHECK(p.application_ack_type() == "NE");
  CHECK(p.field(17) == "USA");
  CHECK(p.charset() == "UNICODE UTF-8");
  CHECK(p.field(19) == "en");
  CHECK(p.field(20) == "HANDLING");
  CHECK(p.field(21) == "PROFILE^HL7");
  // MSH-1 and MSH-2 are in `encoding`, not in the field table; out of range is empty.
  CHECK(p.field(0).empty());
  CHECK(p.field(1).empty());
  CHECK(p.field(2).empty());
  CHECK(p.field(22).empty());
  CHECK(p.field(1000).empty());
}

TEST_CASE("hl7 peek: fields a short header does not have are empty") {
  const hl7::msh_peek p = hl7::peek_msh("MSH|^~\\&|APP||||||ADT^A01|C1\r");
  CHECK(p.found);
  CHECK(p.sending_application() == "APP");
  CHECK(p.sending_facility().empty());
  CHECK(p.control_id() == "C1");
  CHECK(p.processing_id().empty());
  CHECK(p.version().empty());
  CHECK(p.accept_ack_type().empty());
  CHECK(p.application_ack_type().empty());
  CHECK(p.charset().empty());

  const hl7::msh_peek only_type = hl7::peek_msh("MSH|^~\\&|||||||ACK|C2\r");
  CHECK(only_type.message_type() == "ACK");
  CHECK(only_type.trigger_event().empty());

  const hl7::msh_peek bare = hl7::peek_msh("MSH|^~\\&");
  CHECK(bare.found);
  CHECK(bare.encoding == "|^~\\&");
  CHECK(bare.control_id().empty());
  CHECK(bare.sending_application().empty());

  const hl7::msh_peek no_msh2 = hl7::peek_msh("MSH|");
  CHECK(no_msh2.found);
  CHECK(no_msh2.encoding == "|");
  CHECK(no_msh2.delimiters == hl7::delimiters{});
  CHECK(no_msh2.control_id().empty());
}

TEST_CASE("hl7 peek: messages the full parser rejects still give MSH-10 and the routing fields") {
  SUBCASE("bad escape") {
    const std::string bytes = routed + "PID|1||MRN1||DOE\\Q\\JOHN\r";
    CHECK(parse_error(bytes) == hl7::errc::bad_escape);
    check_routing(hl7::peek_msh(bytes), "CTRL1");
  }
  SUBCASE("unknown charset") {
    const std::string bytes =
        "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01^ORM_O01|CTRL2|P|2.5||||||KLINGON-8\r"
        "PID|1\r";
    CHECK(parse_error(bytes) == hl7::errc::unknown_charset);
    const hl7::msh_peek p = hl7::peek_msh(bytes);
    check_routing(p, "CTRL2");
    CHECK(p.charset() == "KLINGON-8");
  }
  SUBCASE("bad segment name") {
    const std::string bytes = "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01|CTRL3|P|2.5\rpid|1\r";
    CHECK(parse_error(bytes) == hl7::errc::bad_segment_name);
    check_routing(hl7::peek_msh(bytes), "CTRL3");
  }
  SUBCASE("MSH-2 too short: the defaults are used") {
    const std::string bytes = "MSH|^~|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01|CTRL4|P|2.5\rPID|1\r";
    CHECK(parse_error(bytes) == hl7::errc::bad_encoding_chars);
    const hl7::msh_peek p = hl7::peek_msh(bytes);
    check_routing(p, "CTRL4");
    CHECK(p.encoding == "|^~");
    CHECK(p.delimiters == hl7::delimiters{});
  }
  SUBCASE("MSH-2 too long: the defaults are used") {
    const std::string bytes = "MSH|^~\\&#*|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01|CTRL5|P|2.5\r";
    CHECK(parse_error(bytes) == hl7::errc::bad_encoding_chars);
    const hl7::msh_peek p = hl7::peek_msh(bytes);
    check_routing(p, "CTRL5");
    CHECK(p.encoding == "|^~\\&#*");
    CHECK(p.delimiters == hl7::delimiters{});
  }
  SUBCASE("MSH-9 missing") {
    const std::string bytes = "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000|||CTRL6|P|2.5\r";
    CHECK(parse_error(bytes) == hl7::errc::missing_required_field);
    const hl7::msh_peek p = hl7::peek_msh(bytes);
    CHECK(p.found);
    CHECK(p.control_id() == "CTRL6");
    CHECK(p.message_type().empty());
    CHECK(p.sending_application() == "RIS");
  }
  SUBCASE("bytes invalid in the charset") {
    const std::string bytes = routed + "PID|1||MRN1||M\xFF\xFEller\r";
    CHECK(parse_error(bytes) == hl7::errc::invalid_text);
    check_routing(hl7::peek_msh(bytes), "CTRL1");
  }
}

TEST_CASE("hl7 peek: MSH after garbage, an MLLP start block or a batch envelope") {
  SUBCASE("garbage lines before MSH") {
    const std::string bytes = std::string("\x00\x01 garbage \xff\r\nmore junk\n"sv) + routed + "PID|1\r";
    check_routing(hl7::peek_msh(bytes), "CTRL1");
  }
  SUBCASE("spaces, tabs and blank lines before MSH, which message::parse skips") {
    // Else a message that parses and is stored gets an ACK with an empty MSA-2.
    for (const std::string lead : {" ", "\t", "  \t ", "\r\n \r\n\t"}) {
      CAPTURE(lead);
      const std::string bytes = lead + routed + "PID|1\r";
      REQUIRE(hl7::message::parse(std::string_view(bytes)).has_value());
      check_routing(hl7::peek_msh(bytes), "CTRL1");
    }
  }
  SUBCASE("MLLP start block") {
    const std::string bytes = "\x0b" + routed + "PID|1\r\x1c\r";
    check_routing(hl7::peek_msh(bytes), "CTRL1");
  }
  SUBCASE("MLLP start block after a previous frame's end") {
    const std::string bytes = "\x1c\r\x0b" + routed + "\x1c\r";
    check_routing(hl7::peek_msh(bytes), "CTRL1");
  }
  SUBCASE("FHS and BHS lines before MSH") {
    const std::string bytes = "FHS|^~\\&|FAPP|FFAC|FRCV|FRFAC|20260101000000||||FCTRL\r"
                              "BHS|^~\\&|BAPP|BFAC|BRCV|BRFAC|20260101000000||||BCTRL\r" +
                              routed + "PID|1\rBTS|1\rFTS|1\r";
    check_routing(hl7::peek_msh(bytes), "CTRL1");
  }
  SUBCASE("MSH inside a field of an earlier line is not a segment") {
    const std::string bytes = "NTE|1||see MSH|^~\\&|X|Y\r" + routed;
    check_routing(hl7::peek_msh(bytes), "CTRL1");
  }
  SUBCASE("the first MSH wins") {
    const std::string bytes =
        routed + "PID|1\rMSH|^~\\&|OTHER|F|R|F|20260101120000||ADT^A01|CTRL9|P|2.5\r";
    check_routing(hl7::peek_msh(bytes), "CTRL1");
  }
}

TEST_CASE("hl7 peek: custom delimiters") {
  const std::string bytes = "MSH!@#$%!APP!FAC@X!RAPP!RFAC!20260101!!ORU@R01@ORU_R01!CTRL7!P!2.5!!!NE!AL\rPID!1\r";
  REQUIRE(hl7::message::parse(std::string_view(bytes)).has_value());
  const hl7::msh_peek p = hl7::peek_msh(bytes);
  CHECK(p.found);
  CHECK(p.delimiters == hl7::delimiters{'!', '@', '#', '$', '%'});
  CHECK(p.encoding == "!@#$%");
  CHECK(p.sending_application() == "APP");
  CHECK(p.sending_facility() == "FAC@X");
  CHECK(p.field(9) == "ORU@R01@ORU_R01");
  CHECK(p.message_type() == "ORU");
  CHECK(p.trigger_event() == "R01");
  CHECK(p.control_id() == "CTRL7");
  CHECK(p.version() == "2.5");
  CHECK(p.accept_ack_type() == "NE");
  CHECK(p.application_ack_type() == "AL");

  // A '|' or '^' is content under these delimiters.
  const hl7::msh_peek q = hl7::peek_msh("MSH!@#$%!A|B!F^G!!!!!ADT@A01!C|1\r");
  CHECK(q.sending_application() == "A|B");
  CHECK(q.sending_facility() == "F^G");
  CHECK(q.control_id() == "C|1");
}

TEST_CASE("hl7 peek: a truncation character in MSH-2") {
  const hl7::msh_peek p = hl7::peek_msh("MSH|^~\\&#|APP||||||ORU^R01|C1|P|2.7\r");
  CHECK(p.found);
  CHECK(p.encoding == "|^~\\&#");
  CHECK(p.delimiters == hl7::delimiters{'|', '^', '~', '\\', '&', '#'});
  CHECK(p.control_id() == "C1");
  CHECK(p.version() == "2.7");
}

TEST_CASE("hl7 peek: LF and CRLF line endings end the MSH segment") {
  const hl7::msh_peek lf = hl7::peek_msh(
      "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01^ORM_O01|CTRL1|P|2.5\nPID|1||MRN1\n");
  check_routing(lf, "CTRL1");
  CHECK(lf.field(13).empty());

  const hl7::msh_peek crlf = hl7::peek_msh(
      "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01^ORM_O01|CTRL1|P|2.5\r\nPID|1||MRN1\r\n");
  check_routing(crlf, "CTRL1");

  const hl7::msh_peek after_lf_garbage = hl7::peek_msh(
      "junk\nMSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01^ORM_O01|CTRL1|P|2.5\n");
  check_routing(after_lf_garbage, "CTRL1");

  // No terminator at all: the header runs to the end of the bytes.
  const hl7::msh_peek unterminated =
      hl7::peek_msh("MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01^ORM_O01|CTRL1|P|2.5");
  check_routing(unterminated, "CTRL1");
}

TEST_CASE("hl7 peek: views point into the given bytes") {
  const std::string bytes = routed;
  const hl7::msh_peek p = hl7::peek_msh(bytes);
  CHECK(p.control_id().data() == bytes.data() + bytes.find("CTRL1"));
  CHECK(p.encoding.data() == bytes.data() + 3);
}

TEST_CASE("hl7 peek: an MLLP end block ends the MSH segment") {
  // A one-segment message whose sender left out the final CR: the frame's
  // end block (0x1C) is not part of MSH-12.
  const std::string bytes = "\x0bMSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01^ORM_O01|CTRL1|P|2.5\x1c\r";
  check_routing(hl7::peek_msh(bytes), "CTRL1");
  // MSH directly followed by the end block is no MSH segment.
  check_not_found(hl7::peek_msh("\x0bMSH\x1c\r"));
  check_not_found(hl7::peek_msh("\x0bMSH\x1c^~\\&|A\r"));
}

TEST_CASE("hl7 peek: a lone 0x1C inside a field is data, as the full parser reads it") {
  // Found by fuzz_hl7: MSH-10 with a 0x1C in it ended the peek there, so
  // the ACK lost MSH-18 (the charset) and echoed a different MSA-2.
  const std::string bytes =
      "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01^ORM_O01|CT\x1cRL1|P|2.5||||||8859/1\rPID|1\r";
  const hl7::msh_peek p = hl7::peek_msh(bytes);
  CHECK(p.control_id() == "CT\x1cRL1");
  CHECK(p.charset() == "8859/1");
  const auto parsed = hl7::message::parse(bytes);
  REQUIRE(parsed.has_value());
  const auto control_id = parsed->value("MSH-10");
  REQUIRE(control_id.has_value());
  CHECK(*control_id == "CT\x1cRL1");
  // A 0x1C last in the input, or before a line end, still ends the segment.
  CHECK(hl7::peek_msh("MSH|^~\\&|A|B|C|D|1||ADT^A01|X1|P|2.5\x1c").version() == "2.5");
  CHECK(hl7::peek_msh("MSH|^~\\&|A|B|C|D|1||ADT^A01|X1|P|2.5\x1c\nPID").version() == "2.5");
}
