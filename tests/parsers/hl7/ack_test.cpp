// Tests for parsers/hl7/ack.cpp: original and enhanced mode ACKs, when to
// send them, the MSH/MSA/ERR contents, and the NAK for a rejected message.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "checked_access.hpp"
#include "hl7/ack.hpp"
#include "hl7/message.hpp"
#include "hl7/peek.hpp"

namespace hl7 = radbridge::hl7;

using radbridge::test::value_at;

namespace {

// Original mode: MSH-15 and MSH-16 empty.
const std::string orm =
    "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RADHOSP|20260101120000||ORM^O01^ORM_O01|CTRL123|P|2.5.1\r"
    "PID|1||MRN1\r";

// Enhanced mode: MSH-15 (accept) and MSH-16 (application) as given.
std::string with_ack_types(std::string_view accept, std::string_view application) {
  return "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RADHOSP|20260101120000||ORM^O01^ORM_O01|CTRL123|P|2.5.1|||" +
         std::string(accept) + "|" + std::string(application) + "\rPID|1||MRN1\r";
}

hl7::ack_request request(hl7::ack_code code, hl7::ack_kind kind = hl7::ack_kind::accept) {
  hl7::ack_request r;
  r.code = code;
  r.kind = kind;
  r.control_id = "ACK0001";
  r.timestamp = "20261123125600+0000";
  return r;
}

hl7::ack_error make_error(int code, hl7::location where, char severity, std::string text) {
  hl7::ack_error e;
  e.code = code;
  e.where = std::move(where);
  e.severity = severity;
  e.text = std::move(text);
  return e;
}

hl7::location loc(std::string segment, int occurrence, int field = 0, int repetition = 0, int component = 0,
                  int subcomponent = 0) {
  hl7::location l;
  l.segment = std::move(segment);
  l.segment_occurrence = occurrence;
  l.field = field;
  l.repetition = repetition;
  l.component = component;
  l.subcomponent = subcomponent;
  return l;
}

std::string build(const std::string& original, const hl7::ack_request& r) {
  const std::optional<std::string> ack = hl7::build_ack(hl7::peek_msh(original), r);
  REQUIRE(ack.has_value());
  return *ack;
}

hl7::message parse_ack(const std::string& bytes) {
  auto m = hl7::message::parse(std::string_view(bytes));
  if (!m) FAIL((std::string("ACK does not parse: ") + m.error().to_string() + " in " + bytes));
  return std::move(*m);
}

std::string raw_at(const hl7::message& m, std::string_view path) {
  const auto p = hl7::parse_path(path);
  REQUIRE(p.has_value());
  return std::string(m.raw(*p).value_or(""));
}

}  // namespace

TEST_CASE("hl7 ack: original mode AA, AE, AR") {
  const hl7::msh_peek original = hl7::peek_msh(orm);
  CHECK(hl7::mode_of(original) == hl7::ack_mode::original);

  const std::string msh =
      "MSH|^~\\&|RADBRIDGE|RADHOSP|RIS|GENHOSP|20261123125600+0000||ACK^O01^ACK|ACK0001|P|2.5.1\r";
  CHECK(build(orm, request(hl7::ack_code::accept)) == msh + "MSA|AA|CTRL123\r");
  CHECK(build(orm, request(hl7::ack_code::error)) == msh + "MSA|AE|CTRL123\r");
  CHECK(build(orm, request(hl7::ack_code::reject)) == msh + "MSA|AR|CTRL123\r");
  // In original mode there is one kind of ACK: the kind asked for does not change the code.
  CHECK(build(orm, request(hl7::ack_code::accept, hl7::ack_kind::application)) == msh + "MSA|AA|CTRL123\r");
  CHECK(build(orm, request(hl7::ack_code::error, hl7::ack_kind::application)) == msh + "MSA|AE|CTRL123\r");
  CHECK(build(orm, request(hl7::ack_code::reject, hl7::ack_kind::application)) == msh + "MSA|AR|CTRL123\r");
}

TEST_CASE("hl7 ack: enhanced mode CA/CE/CR for the accept ACK, AA/AE/AR for the application ACK") {
  const std::string original = with_ack_types("AL", "AL");
  CHECK(hl7::mode_of(hl7::peek_msh(original)) == hl7::ack_mode::enhanced);
  struct row {
    hl7::ack_code code;
    hl7::ack_kind kind;
    const char* msa1;
  };
  const row rows[] = {
      {hl7::ack_code::accept, hl7::ack_kind::accept, "CA"},
      {hl7::ack_code::error, hl7::ack_kind::accept, "CE"},
      {hl7::ack_code::reject, hl7::ack_kind::accept, "CR"},
      {hl7::ack_code::accept, hl7::ack_kind::application, "AA"},
      {hl7::ack_code::error, hl7::ack_kind::application, "AE"},
      {hl7::ack_code::reject, hl7::ack_kind::application, "AR"},
  };
  for (const row& r : rows) {
    CAPTURE(r.msa1);
    const hl7::message ack = parse_ack(build(original, request(r.code, r.kind)));
    CHECK(value_at(ack, "MSA-1") == r.msa1);
    CHECK(value_at(ack, "MSA-2") == "CTRL123");
  }
}

TEST_CASE("hl7 ack: mode_of and ack_code_text") {
  CHECK(hl7::mode_of(hl7::peek_msh(orm)) == hl7::ack_mode::original);
  CHECK(hl7::mode_of(hl7::peek_msh(with_ack_types("AL", ""))) == hl7::ack_mode::enhanced);
  CHECK(hl7::mode_of(hl7::peek_msh(with_ack_types("", "NE"))) == hl7::ack_mode::enhanced);
  CHECK(hl7::mode_of(hl7::peek_msh(with_ack_types("NE", "NE"))) == hl7::ack_mode::enhanced);

  using hl7::ack_code;
  using hl7::ack_kind;
  using hl7::ack_mode;
  for (const ack_kind kind : {ack_kind::accept, ack_kind::application}) {
    CHECK(hl7::ack_code_text(ack_mode::original, kind, ack_code::accept) == "AA");
    CHECK(hl7::ack_code_text(ack_mode::original, kind, ack_code::error) == "AE");
    CHECK(hl7::ack_code_text(ack_mode::original, kind, ack_code::reject) == "AR");
  }
  CHECK(hl7::ack_code_text(ack_mode::enhanced, ack_kind::accept, ack_code::accept) == "CA");
  CHECK(hl7::ack_code_text(ack_mode::enhanced, ack_kind::accept, ack_code::error) == "CE");
  CHECK(hl7::ack_code_text(ack_mode::enhanced, ack_kind::accept, ack_code::reject) == "CR");
  CHECK(hl7::ack_code_text(ack_mode::enhanced, ack_kind::application, ack_code::accept) == "AA");
  CHECK(hl7::ack_code_text(ack_mode::enhanced, ack_kind::application, ack_code::error) == "AE");
  CHECK(hl7::ack_code_text(ack_mode::enhanced, ack_kind::application, ack_code::reject) == "AR");
}

TEST_CASE("hl7 ack: should_send in enhanced mode follows MSH-15 and MSH-16") {
  using hl7::ack_code;
  using hl7::ack_kind;
  struct row {
    const char* condition;
    bool on_accept, on_error, on_reject;
  };
  // HL7 table 0155: AL always, NE never, ER error/reject only, SU successful completion only.
  const row rows[] = {
      {"AL", true, true, true},
      {"NE", false, false, false},
      {"ER", false, true, true},
      {"SU", true, false, false},
  };
  for (const row& r : rows) {
    CAPTURE(r.condition);
    // MSH-15 governs the accept ACK; MSH-16 is set to the opposite extreme to show it is not read.
    const std::string accept_msg = with_ack_types(r.condition, std::string_view(r.condition) == "NE" ? "AL" : "NE");
    const hl7::msh_peek a = hl7::peek_msh(accept_msg);
    CHECK(hl7::should_send(a, ack_kind::accept, ack_code::accept) == r.on_accept);
    CHECK(hl7::should_send(a, ack_kind::accept, ack_code::error) == r.on_error);
    CHECK(hl7::should_send(a, ack_kind::accept, ack_code::reject) == r.on_reject);

    // MSH-16 governs the application ACK.
    const std::string app_msg = with_ack_types(std::string_view(r.condition) == "NE" ? "AL" : "NE", r.condition);
    const hl7::msh_peek b = hl7::peek_msh(app_msg);
    CHECK(hl7::should_send(b, ack_kind::application, ack_code::accept) == r.on_accept);
    CHECK(hl7::should_send(b, ack_kind::application, ack_code::error) == r.on_error);
    CHECK(hl7::should_send(b, ack_kind::application, ack_code::reject) == r.on_reject);
  }
}

TEST_CASE("hl7 ack: should_send takes an empty condition in enhanced mode as AL") {
  using hl7::ack_code;
  using hl7::ack_kind;
  const std::string accept_empty = with_ack_types("", "NE");
  const hl7::msh_peek a = hl7::peek_msh(accept_empty);
  REQUIRE(hl7::mode_of(a) == hl7::ack_mode::enhanced);
  for (const ack_code code : {ack_code::accept, ack_code::error, ack_code::reject}) {
    CHECK(hl7::should_send(a, ack_kind::accept, code));
    CHECK_FALSE(hl7::should_send(a, ack_kind::application, code));
  }
  const std::string application_empty = with_ack_types("NE", "");
  const hl7::msh_peek b = hl7::peek_msh(application_empty);
  REQUIRE(hl7::mode_of(b) == hl7::ack_mode::enhanced);
  for (const ack_code code : {ack_code::accept, ack_code::error, ack_code::reject}) {
    CHECK_FALSE(hl7::should_send(b, ack_kind::accept, code));
    CHECK(hl7::should_send(b, ack_kind::application, code));
  }
}

TEST_CASE("hl7 ack: should_send in original mode answers with exactly one ACK") {
  using hl7::ack_code;
  using hl7::ack_kind;
  const hl7::msh_peek p = hl7::peek_msh(orm);
  REQUIRE(hl7::mode_of(p) == hl7::ack_mode::original);
  const bool accept_kind = hl7::should_send(p, ack_kind::accept, ack_code::accept);
  for (const ack_code code : {ack_code::accept, ack_code::error, ack_code::reject}) {
    const bool a = hl7::should_send(p, ack_kind::accept, code);
    const bool b = hl7::should_send(p, ack_kind::application, code);
    CHECK(a != b);                // one of the two, never both, never none
    CHECK(a == accept_kind);      // and the same one whatever the outcome
  }
}

TEST_CASE("hl7 ack: the ACK header swaps routing, copies MSH-11/12/18 and uses the request's id and time") {
  const std::string original =
      "MSH|^~\\&|RIS^1.2.3^ISO|GENHOSP^2.16.840^ISO|RADBRIDGE|RADHOSP^X|20260101120000|SEC|ADT^A08^ADT_A01|"
      "C-77|P^T|2.5.1^USA|42||AL|NE|USA|UNICODE UTF-8|en\r"
      "PID|1||MRN1\r";
  hl7::ack_request r = request(hl7::ack_code::accept, hl7::ack_kind::application);
  r.control_id = "RB-000042";
  r.timestamp = "20261123125600.1234+0100";
  const std::string ack = build(original, r);
  CHECK(ack ==
        "MSH|^~\\&|RADBRIDGE|RADHOSP^X|RIS^1.2.3^ISO|GENHOSP^2.16.840^ISO|20261123125600.1234+0100||ACK^A08^ACK|"
        "RB-000042|P^T|2.5.1^USA||||||UNICODE UTF-8\r"
        "MSA|AA|C-77\r");
  const hl7::message m = parse_ack(ack);
  CHECK(m.message_type() == "ACK");
  CHECK(m.trigger_event() == "A08");
  CHECK(value_at(m, "MSH-9.3") == "ACK");
  CHECK(m.control_id() == "RB-000042");
  CHECK(value_at(m, "MSH-3") == "RADBRIDGE");
  CHECK(value_at(m, "MSH-4.2") == "X");
  CHECK(value_at(m, "MSH-5.2") == "1.2.3");
  CHECK(value_at(m, "MSH-6.1") == "GENHOSP");
  CHECK(value_at(m, "MSH-11.2") == "T");
  CHECK(value_at(m, "MSH-12.1") == "2.5.1");
  CHECK(value_at(m, "MSH-18") == "UNICODE UTF-8");
  CHECK(m.charset() == hl7::charset::utf8);
}

TEST_CASE("hl7 ack: MSH-18 is left out when the original has none; MSH-9 without a trigger") {
  const std::string original = "MSH|^~\\&|A|B|C|D|20260101||QRY|Q1|D|2.3\r";
  const std::string ack = build(original, request(hl7::ack_code::accept));
  CHECK(ack == "MSH|^~\\&|C|D|A|B|20261123125600+0000||ACK^^ACK|ACK0001|D|2.3\rMSA|AA|Q1\r");
  parse_ack(ack);
}

TEST_CASE("hl7 ack: without MSH-5 the ACK is sent from the fallback application") {
  const std::string original = "MSH|^~\\&|RIS|GENHOSP|||20260101||ADT^A01|C1|P|2.5\r";
  CHECK(build(original, request(hl7::ack_code::accept)) ==
        "MSH|^~\\&|RADBRIDGE||RIS|GENHOSP|20261123125600+0000||ACK^A01^ACK|ACK0001|P|2.5\rMSA|AA|C1\r");
  hl7::ack_request r = request(hl7::ack_code::accept);
  r.fallback_application = "ENGINE&1";
  CHECK(build(original, r) ==
        "MSH|^~\\&|ENGINE\\T\\1||RIS|GENHOSP|20261123125600+0000||ACK^A01^ACK|ACK0001|P|2.5\rMSA|AA|C1\r");
}

TEST_CASE("hl7 ack: MSA-2 echoes the original MSH-10 byte for byte") {
  for (const std::string_view id : {"CTRL123", "A\\F\\B\\S\\C", "X\\X41\\Y\\E\\Z", "ID WITH SPACES", "1.2&3"}) {
    CAPTURE(id);
    const std::string original =
        "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101||ORM^O01|" + std::string(id) + "|P|2.5\rPID|1\r";
    REQUIRE(hl7::message::parse(std::string_view(original)).has_value());
    const std::string ack = build(original, request(hl7::ack_code::accept));
    CHECK(ack.find("\rMSA|AA|" + std::string(id) + "\r") != std::string::npos);
    const hl7::message m = parse_ack(ack);
    CHECK(m.find("MSA")->field(2) == id);
  }
  // The unescaped value of MSA-2 equals the unescaped original MSH-10.
  const std::string original = "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101||ORM^O01|A\\F\\B|P|2.5\r";
  const hl7::message m = parse_ack(build(original, request(hl7::ack_code::accept)));
  CHECK(value_at(m, "MSA-2") == "A|B");
}

TEST_CASE("hl7 ack: NUL bytes of the original are written as '?', never copied") {
  using namespace std::string_literals;
  const std::string original = "MSH|^~\\&|R\0IS|GENHOSP|RADBRIDGE|RAD|20260101||ORM^O01|X\0Y|P|2.5\rPID|1\r"s;
  hl7::ack_request r = request(hl7::ack_code::error);
  r.errors.push_back(make_error(hl7::err::data_type, loc("\0\0\0"s, 1), 'E', "bad\0text"s));
  const std::string ack = build(original, r);
  CHECK(ack.find('\0') == std::string::npos);
  const hl7::message m = parse_ack(ack);
  CHECK(value_at(m, "MSH-5") == "R?IS");
  CHECK(value_at(m, "MSA-2") == "X?Y");
  CHECK(value_at(m, "ERR-2.1") == "???");
  CHECK(value_at(m, "ERR-8") == "bad?text");
}

TEST_CASE("hl7 ack: no ACK for an ACK") {
  const std::string ack = "MSH|^~\\&|RADBRIDGE|RAD|RIS|GENHOSP|20260101||ACK^O01^ACK|A1|P|2.5\rMSA|AA|C1\r";
  CHECK_FALSE(hl7::build_ack(hl7::peek_msh(ack), request(hl7::ack_code::accept)).has_value());
  CHECK_FALSE(hl7::build_ack(hl7::peek_msh(ack), request(hl7::ack_code::error)).has_value());
  const std::string bare = "MSH|^~\\&|RADBRIDGE|RAD|RIS|GENHOSP|20260101||ACK|A1|P|2.3\rMSA|AA|C1\r";
  CHECK_FALSE(hl7::build_ack(hl7::peek_msh(bare), request(hl7::ack_code::accept)).has_value());
  // ACK as a trigger or structure is not the message type.
  const std::string not_ack = "MSH|^~\\&|A|B|C|D|20260101||ADT^ACK|A1|P|2.5\r";
  CHECK(hl7::build_ack(hl7::peek_msh(not_ack), request(hl7::ack_code::accept)).has_value());
}

TEST_CASE("hl7 ack: ERR segments with location, table 0357 code, severity and text") {
  hl7::ack_request r = request(hl7::ack_code::error);
  r.errors.push_back(make_error(hl7::err::data_type, loc("PID", 1, 5, 1, 1), 'E', "Bad name"));
  r.errors.push_back(make_error(hl7::err::required_field_missing, loc("MSH", 1, 10), 'W', "x|y^z"));
  const std::string ack = build(orm, r);
  CHECK(ack ==
        "MSH|^~\\&|RADBRIDGE|RADHOSP|RIS|GENHOSP|20261123125600+0000||ACK^O01^ACK|ACK0001|P|2.5.1\r"
        "MSA|AE|CTRL123|Bad name\r"
        "ERR||PID^1^5^1^1|102^Data type error^HL70357|E||||Bad name\r"
        "ERR||MSH^1^10^1|101^Required field missing^HL70357|W||||x\\F\\y\\S\\z\r");

  const hl7::message m = parse_ack(ack);
  CHECK(value_at(m, "MSA-3") == "Bad name");
  CHECK(value_at(m, "ERR-3.1") == "102");
  CHECK(value_at(m, "ERR-4") == "E");
  CHECK(value_at(m, "ERR[2]-2.1") == "MSH");
  CHECK(value_at(m, "ERR[2]-2.3") == "10");
  CHECK(value_at(m, "ERR[2]-4") == "W");
  CHECK(value_at(m, "ERR[2]-8") == "x|y^z");
}

TEST_CASE("hl7 ack: ERR-2 is segment^occurrence^field^repetition^component^subcomponent") {
  struct row {
    hl7::location where;
    const char* err2;
  };
  const row rows[] = {
      {loc("PID", 1, 3, 2, 1), "PID^1^3^2^1"},
      {loc("OBX", 2, 5, 1, 1, 2), "OBX^2^5^1^1^2"},
      {loc("OBX", 3, 5, 2), "OBX^3^5^2"},
      {loc("PID", 1, 5), "PID^1^5^1"},     // a field without a repetition is its first
      {loc("PID", 0, 5), "PID^1^5^1"},     // occurrence 0 (not known) is written as the first
      {loc("MSH", 1), "MSH^1"},            // segment only
      {loc("ZPI", 4, 12, 3, 2, 5), "ZPI^4^12^3^2^5"},
      {hl7::location{}, ""},               // nowhere in particular
  };
  for (const row& x : rows) {
    CAPTURE(x.err2);
    hl7::ack_request r = request(hl7::ack_code::error);
    r.errors.push_back(make_error(hl7::err::internal_error, x.where, 'E', ""));
    const hl7::message m = parse_ack(build(orm, r));
    const auto err = m.find("ERR");
    REQUIRE(err.has_value());
    CHECK(err->field(2) == x.err2);
    CHECK(err->field(3) == "207^Application internal error^HL70357");
    // No text: ERR-8 and MSA-3 stay empty.
    CHECK(err->field(8).empty());
    CHECK(m.find("MSA")->field(3).empty());
  }
}

TEST_CASE("hl7 ack: ERR-3 carries code^text^HL70357 from table 0357") {
  struct row {
    int code;
    const char* text;
  };
  const row rows[] = {
      {100, "Segment sequence error"},     {101, "Required field missing"},
      {102, "Data type error"},            {103, "Table value not found"},
      {104, "Value too long"},             {200, "Unsupported message type"},
      {201, "Unsupported event code"},     {202, "Unsupported processing id"},
      {203, "Unsupported version id"},     {207, "Application internal error"},
  };
  for (const row& x : rows) {
    CAPTURE(x.code);
    CHECK(hl7::error_code_text(x.code) == x.text);
    hl7::ack_request r = request(hl7::ack_code::error);
    r.errors.push_back(make_error(x.code, loc("PID", 1, 3), 'E', "t"));
    const hl7::message m = parse_ack(build(orm, r));
    CHECK(raw_at(m, "ERR-3") == std::to_string(x.code) + "^" + x.text + "^HL70357");
    CHECK(value_at(m, "ERR-3.3") == "HL70357");
  }
  CHECK(hl7::err::segment_sequence == 100);
  CHECK(hl7::err::required_field_missing == 101);
  CHECK(hl7::err::data_type == 102);
  CHECK(hl7::err::table_value_not_found == 103);
  CHECK(hl7::err::value_too_long == 104);
  CHECK(hl7::err::unsupported_message_type == 200);
  CHECK(hl7::err::unsupported_event == 201);
  CHECK(hl7::err::unsupported_processing_id == 202);
  CHECK(hl7::err::unsupported_version == 203);
  CHECK(hl7::err::unknown_key == 204);
  CHECK(hl7::err::duplicate_key == 205);
  CHECK(hl7::err::record_locked == 206);
  CHECK(hl7::err::internal_error == 207);
  CHECK(hl7::error_code_text(0) == "Message accepted");
  CHECK(hl7::error_code_text(204) == "Unknown key identifier");
  CHECK(hl7::error_code_text(205) == "Duplicate key identifier");
  CHECK(hl7::error_code_text(206) == "Application record locked");
  CHECK(hl7::error_code_text(999).empty());
  CHECK(hl7::error_code_text(-1).empty());
}

TEST_CASE("hl7 ack: ERR-4 severity and MSA-3 from the first error") {
  hl7::ack_request r = request(hl7::ack_code::error);
  r.errors.push_back(make_error(hl7::err::data_type, loc("OBX", 1, 5), 'W', "first"));
  r.errors.push_back(make_error(hl7::err::value_too_long, loc("OBX", 1, 3), 'I', "second"));
  r.errors.push_back(make_error(hl7::err::internal_error, hl7::location{}, 'F', "third"));
  const hl7::message m = parse_ack(build(orm, r));
  CHECK(value_at(m, "MSA-1") == "AE");
  CHECK(value_at(m, "MSA-3") == "first");
  CHECK(value_at(m, "ERR-4") == "W");
  CHECK(value_at(m, "ERR[2]-4") == "I");
  CHECK(value_at(m, "ERR[3]-4") == "F");
  CHECK(value_at(m, "ERR-8") == "first");
  CHECK(value_at(m, "ERR[2]-8") == "second");
  CHECK(value_at(m, "ERR[3]-8") == "third");
  CHECK(value_at(m, "ERR[2]-3.1") == "104");
  CHECK_FALSE(m.find("ERR", 4).has_value());
  CHECK(m.segment_count() == 5u);
}

TEST_CASE("hl7 ack: ack_error::from maps every errc to its table 0357 code") {
  using hl7::errc;
  struct row {
    errc code;
    int hl7_code;
  };
  // Table 0357: 100 segment sequence error, 101 required field missing,
  // 102 data type error, 103 table value not found, 104 value too long,
  // 207 application internal error.
  const row rows[] = {
      {errc::empty_input, 100},             // no MSH segment at all
      {errc::xml_encoded, 102},             // not ER7-encoded: the message as a whole is not of the expected type
      {errc::missing_msh, 100},             // MSH is not the first segment
      {errc::bad_encoding_chars, 100},      // MSH-1/2 unusable: the segment structure cannot be read
      {errc::bad_segment_name, 100},        // a segment that cannot be there
      {errc::missing_required_field, 101},  // MSH-9 / MSH-10 empty
      {errc::frame_too_large, 104},         // sizes over the limits
      {errc::too_many_segments, 104},
      {errc::too_many_fields, 104},
      {errc::too_many_repetitions, 104},
      {errc::bad_escape, 102},              // malformed content of a field
      {errc::bad_hex_escape, 102},
      {errc::unknown_charset, 103},         // MSH-18 not a value of table 0211 we support
      {errc::invalid_text, 102},
      {errc::bad_batch, 100},               // envelope segments out of order
      {errc::bad_path, 207},                // our own path expression: not the sender's fault
  };
  for (const row& x : rows) {
    CAPTURE(hl7::to_string(x.code));
    CHECK(hl7::hl7_error_code(x.code) == x.hl7_code);
    hl7::error e;
    e.code = x.code;
    e.offset = 17;
    e.where = loc("PID", 2, 5, 1, 3);
    const hl7::ack_error a = hl7::ack_error::from(e);
    CHECK(a.code == x.hl7_code);
    CHECK(a.severity == 'E');
    CHECK(a.where.segment == "PID");
    CHECK(a.where.segment_occurrence == 2);
    CHECK(a.where.field == 5);
    CHECK(a.where.repetition == 1);
    CHECK(a.where.component == 3);
    CHECK(a.where.subcomponent == 0);
    CHECK(a.text == e.to_string());
    CHECK(a.text.find(std::string(hl7::to_string(x.code))) != std::string::npos);
    CHECK_FALSE(hl7::error_code_text(a.code).empty());
  }
}

TEST_CASE("hl7 ack: end-to-end NAK for a message with a bad escape in PID-5") {
  const std::string bytes =
      "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|RAD|20260101120000||ORM^O01^ORM_O01|CTRL777|P|2.5\r"
      "PID|1||MRN1^^^GENHOSP^MR||DOE\\Q\\^JOHN\r"
      "ORC|NW|ACC1\r";
  const auto parsed = hl7::message::parse(std::string_view(bytes));
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == hl7::errc::bad_escape);
  CHECK(parsed.error().offset == bytes.find("\\Q\\"));

  const hl7::msh_peek original = hl7::peek_msh(bytes);
  REQUIRE(original.found);
  hl7::ack_request r;
  r.code = hl7::ack_code::error;
  r.kind = hl7::ack_kind::application;
  r.control_id = "NAK1";
  r.timestamp = "20261123125600+0000";
  r.errors.push_back(hl7::ack_error::from(parsed.error()));
  const auto nak = hl7::build_ack(original, r);
  REQUIRE(nak.has_value());

  const hl7::message m = parse_ack(*nak);
  CHECK(m.message_type() == "ACK");
  CHECK(m.trigger_event() == "O01");
  CHECK(m.control_id() == "NAK1");
  CHECK(value_at(m, "MSH-3") == "RADBRIDGE");
  CHECK(value_at(m, "MSH-5") == "RIS");
  CHECK(value_at(m, "MSA-1") == "AE");
  CHECK(value_at(m, "MSA-2") == "CTRL777");
  CHECK(value_at(m, "ERR-2.1") == "PID");
  CHECK(value_at(m, "ERR-2.2") == "1");
  CHECK(value_at(m, "ERR-2.3") == "5");
  CHECK(value_at(m, "ERR-2.4") == "1");
  CHECK(value_at(m, "ERR-3.1") == "102");
  CHECK(value_at(m, "ERR-3.2") == "Data type error");
  CHECK(value_at(m, "ERR-3.3") == "HL70357");
  CHECK(value_at(m, "ERR-4") == "E");
  CHECK(value_at(m, "ERR-8") == parsed.error().to_string());
  CHECK(value_at(m, "MSA-3") == parsed.error().to_string());
  CHECK(value_at(m, "ERR-8").find("bad_escape") != std::string::npos);
}

TEST_CASE("hl7 ack: NAK for a message whose MSH-2 is broken uses the default delimiters") {
  const std::string bytes = "MSH|^~|RIS|GENHOSP|RADBRIDGE|RAD|20260101||ORM^O01|CTRL8|P|2.5\r";
  const auto parsed = hl7::message::parse(std::string_view(bytes));
  REQUIRE_FALSE(parsed.has_value());
  hl7::ack_request r = request(hl7::ack_code::reject);
  r.errors.push_back(hl7::ack_error::from(parsed.error()));
  const hl7::message m = parse_ack(build(bytes, r));
  CHECK(value_at(m, "MSH-2") == "^~\\&");
  CHECK(value_at(m, "MSA-1") == "AR");
  CHECK(value_at(m, "MSA-2") == "CTRL8");
  CHECK(value_at(m, "ERR-3.1") == "100");
}

TEST_CASE("hl7 ack: an ACK for a message with custom delimiters uses them") {
  const std::string original = "MSH!@#$%!RIS!HOSP@1!RB!RAD!20260101!!ORM@O01!C1!P!2.5\rPID!1\r";
  hl7::ack_request r = request(hl7::ack_code::error);
  r.control_id = "A1";
  r.errors.push_back(make_error(hl7::err::data_type, loc("PID", 1, 5, 1, 1), 'E', "bad ! and @ here|"));
  const std::string ack = build(original, r);
  CHECK(ack ==
        "MSH!@#$%!RB!RAD!RIS!HOSP@1!20261123125600+0000!!ACK@O01@ACK!A1!P!2.5\r"
        "MSA!AE!C1!bad $F$ and $S$ here|\r"
        "ERR!!PID@1@5@1@1!102@Data type error@HL70357!E!!!!bad $F$ and $S$ here|\r");
  const hl7::message m = parse_ack(ack);
  CHECK(m.delimiters() == hl7::delimiters{'!', '@', '#', '$', '%'});
  CHECK(value_at(m, "MSA-3") == "bad ! and @ here|");
  CHECK(value_at(m, "MSH-4") == "RAD");
  CHECK(value_at(m, "MSH-6.2") == "1");
}

TEST_CASE("hl7 ack: every ACK built parses with message::parse") {
  for (const std::string& original :
       {orm, with_ack_types("AL", "ER"), std::string("MSH|^~\\&#|A|B|C|D|20260101||ORU^R01|X#1|P|2.7\r")}) {
    CAPTURE(original);
    for (const hl7::ack_code code : {hl7::ack_code::accept, hl7::ack_code::error, hl7::ack_code::reject}) {
      hl7::ack_request r = request(code);
      if (code != hl7::ack_code::accept) {
        r.errors.push_back(make_error(hl7::err::internal_error, loc("MSH", 1, 9), 'E', "a|b^c~d\\e&f#g\r\nh"));
      }
      const hl7::message m = parse_ack(build(original, r));
      CHECK(m.message_type() == "ACK");
      CHECK(m.control_id() == "ACK0001");
      if (code != hl7::ack_code::accept) {
        CHECK(value_at(m, "ERR-8") == "a|b^c~d\\e&f#g\r\nh");
      }
    }
  }
}

TEST_CASE("hl7 ack: ack_code_of reads MSA-1 with the ACK's own field separator") {
  CHECK(hl7::ack_code_of(build(orm, request(hl7::ack_code::accept))) == "AA");
  CHECK(hl7::ack_code_of(build(with_ack_types("AL", "ER"), request(hl7::ack_code::reject))) == "CR");
  CHECK(hl7::ack_code_of("MSH!@#$%!RB!RAD\rMSA!AE!C1!text\r") == "AE");
  CHECK(hl7::ack_code_of("MSH|^~\\&|RB\rMSA|AA\r") == "AA");  // MSA-1 ends at the segment's end
  CHECK(hl7::ack_code_of("MSH|^~\\&|RB\rMSAX|AA|C1\r") == "");  // not an MSA segment
  CHECK(hl7::ack_code_of("MSH|^~\\&|RB\r") == "");
  CHECK(hl7::ack_code_of("MS") == "");
  CHECK(hl7::ack_code_of("PID|MSA|AA\r") == "");
}
