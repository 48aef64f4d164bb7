// Tests for parsers/hl7/batch.cpp: FHS/BHS/BTS/FTS envelopes, message
// splitting, and the exact error for each envelope violation.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "checked_access.hpp"
#include "hl7/batch.hpp"
#include "support.hpp"

namespace hl7 = radbridge::hl7;

using radbridge::test::value_at;

namespace {

std::string sample(const char* name) {
  return radbridge::test::read_file(radbridge::test::source_dir() / "samples" / "hl7" / name);
}

// One small, valid message (MSH + PID), CR-terminated.
std::string msg(std::string_view control_id, std::string_view mrn = "1") {
  return "MSH|^~\\&|SND|FAC|RCV|FAC|20260101120000||ADT^A04|" + std::string(control_id) + "|P|2.5\r" +
         "PID|1||" + std::string(mrn) + "\r";
}

const hl7::error& batch_error_of(const hl7::result<hl7::batch>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

}  // namespace

TEST_CASE("hl7 batch: looks_like_batch") {
  CHECK(hl7::looks_like_batch("FHS|^~\\&|A\r"));
  CHECK(hl7::looks_like_batch("BHS|^~\\&|A\r"));
  CHECK(hl7::looks_like_batch("\r\n\r\nFHS|^~\\&|A\r"));
  CHECK(hl7::looks_like_batch("\n\nBHS|^~\\&\r"));
  CHECK_FALSE(hl7::looks_like_batch("MSH|^~\\&|A|B|C|D|2026||ADT^A01|C1|P|2.5\r"));
  CHECK_FALSE(hl7::looks_like_batch(""));
  CHECK_FALSE(hl7::looks_like_batch("\r\n"));
  CHECK_FALSE(hl7::looks_like_batch("FH"));
  CHECK_FALSE(hl7::looks_like_batch("xFHS|^~\\&"));
  CHECK_FALSE(hl7::looks_like_batch("BTS|1\r"));
  CHECK(hl7::looks_like_batch(sample("batch_adt_nightly.hl7")));
  CHECK(hl7::looks_like_batch(sample("batch_oru_r01_ai_results.hl7")));
  CHECK_FALSE(hl7::looks_like_batch(sample("adt_a08_update_allergy.hl7")));
}

TEST_CASE("hl7 batch: samples/hl7/batch_adt_nightly.hl7") {
  const std::string bytes = sample("batch_adt_nightly.hl7");
  REQUIRE_FALSE(bytes.empty());
  const auto b = hl7::parse_batch(bytes);
  if (!b) FAIL(b.error().to_string());
  REQUIRE(b->envelope.has_value());
  const hl7::message& env = *b->envelope;

  // BTS-1 is the number of messages in the batch; FTS-1 the number of batches.
  CHECK(value_at(env, "BTS-1") == "4");
  REQUIRE(b->messages.size() == 4u);
  CHECK(value_at(env, "BTS-1") == std::to_string(b->messages.size()));
  CHECK(value_at(env, "FTS-1") == "1");

  REQUIRE(env.segment_count() == 4u);
  CHECK(env.segment(0).name() == "FHS");
  CHECK(env.segment(1).name() == "BHS");
  CHECK(env.segment(2).name() == "BTS");
  CHECK(env.segment(3).name() == "FTS");
  CHECK(value_at(env, "FHS-1") == "|");
  CHECK(value_at(env, "FHS-2") == "^~\\&");
  CHECK(value_at(env, "FHS-3") == "EPIC");
  CHECK(value_at(env, "FHS-4") == "GENHOSP");
  CHECK(value_at(env, "FHS-5") == "RADBRIDGE");
  CHECK(value_at(env, "FHS-7") == "20240327000100");
  CHECK(value_at(env, "FHS-9") == "adt_nightly_20240327.hl7");
  CHECK(value_at(env, "FHS-11") == "FHS20240327001");
  CHECK(value_at(env, "BHS-3") == "EPIC");
  CHECK(value_at(env, "BHS-9") == "ADTBATCH");
  CHECK(value_at(env, "BHS-11") == "BHS20240327001");

  const char* const control_ids[] = {"EPC20240327000001901", "EPC20240327000002902", "EPC20240327000003903",
                                     "EPC20240327000004904"};
  const char* const triggers[] = {"A04", "A08", "A31", "A01"};
  const char* const given_names[] = {"LIMA", "MIKE", "NOVEMBER", "OSCAR"};
  for (std::size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    const hl7::message& m = b->messages[i];
    CHECK(m.segment_count() == 4u);  // MSH, EVN, PID, PV1
    CHECK(m.message_type() == "ADT");
    CHECK(m.trigger_event() == triggers[i]);
    CHECK(m.control_id() == control_ids[i]);
    CHECK(value_at(m, "PID-5.2") == given_names[i]);
    CHECK(value_at(m, "PID-3[2].4") == "SSA");
  }
}

TEST_CASE("hl7 batch: samples/hl7/batch_oru_r01_ai_results.hl7") {
  const std::string bytes = sample("batch_oru_r01_ai_results.hl7");
  REQUIRE_FALSE(bytes.empty());
  const auto b = hl7::parse_batch(bytes);
  if (!b) FAIL(b.error().to_string());
  REQUIRE(b->envelope.has_value());
  const hl7::message& env = *b->envelope;

  CHECK(value_at(env, "BTS-1") == "3");
  REQUIRE(b->messages.size() == 3u);
  CHECK(value_at(env, "BTS-1") == std::to_string(b->messages.size()));
  CHECK(value_at(env, "BTS-2") == "3 ORU messages");
  CHECK(value_at(env, "FTS-1") == "1");
  CHECK(value_at(env, "FTS-2") == "End of file");
  CHECK(value_at(env, "FHS-3") == "AIENGINE");
  CHECK(value_at(env, "FHS-6") == "GENHOSP_RAD");
  CHECK(value_at(env, "FHS-9") == "ai_nightly_20240326.hl7");
  CHECK(value_at(env, "FHS-10") == "Nightly AI results");
  CHECK(value_at(env, "FHS-11") == "FHS20240326001");
  CHECK(value_at(env, "BHS-9") == "AIBATCH^1^ORU");
  CHECK(value_at(env, "BHS-9.1") == "AIBATCH");
  CHECK(value_at(env, "BHS-9.2") == "1");
  CHECK(value_at(env, "BHS-9.3") == "ORU");
  CHECK(value_at(env, "BHS-10") == "Stroke triage batch");
  CHECK(value_at(env, "BHS-11") == "BHS20240326001");

  const char* const control_ids[] = {"RB20240326230000101", "RB20240326230000102", "RB20240326230000103"};
  const char* const names[] = {"ALPHA", "DELTA", "JULIET"};
  const char* const findings[] = {"N", "Y", "N"};
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    const hl7::message& m = b->messages[i];
    CHECK(m.segment_count() == 4u);  // MSH, PID, OBR, OBX
    CHECK(m.message_type() == "ORU");
    CHECK(m.trigger_event() == "R01");
    CHECK(m.control_id() == control_ids[i]);
    CHECK(value_at(m, "PID-5.2") == names[i]);
    CHECK(value_at(m, "OBX-5.1") == findings[i]);
    CHECK(value_at(m, "OBX-5.3") == "HL70136");
  }
}

TEST_CASE("hl7 batch: a file with two batches") {
  const std::string bytes = "FHS|^~\\&|SND|FAC|RCV|FAC|20260101120000||||F1\r"
                            "BHS|^~\\&|SND|FAC|RCV|FAC|20260101120000||||B1\r" +
                            msg("M1", "111") + msg("M2", "222") +
                            "BTS|2\r"
                            "BHS|^~\\&|SND|FAC|RCV|FAC|20260101120100||||B2\r" +
                            msg("M3", "333") +
                            "BTS|1\r"
                            "FTS|2\r";
  const auto b = hl7::parse_batch(bytes);
  if (!b) FAIL(b.error().to_string());
  REQUIRE(b->messages.size() == 3u);
  CHECK(b->messages[0].control_id() == "M1");
  CHECK(b->messages[1].control_id() == "M2");
  CHECK(b->messages[2].control_id() == "M3");
  CHECK(value_at(b->messages[1], "PID-3") == "222");
  CHECK(b->messages[2].segment_count() == 2u);

  REQUIRE(b->envelope.has_value());
  const hl7::message& env = *b->envelope;
  REQUIRE(env.segment_count() == 6u);
  const char* const names[] = {"FHS", "BHS", "BTS", "BHS", "BTS", "FTS"};
  for (std::size_t i = 0; i < 6; ++i) CHECK(env.segment(i).name() == names[i]);
  CHECK(value_at(env, "FHS-11") == "F1");
  CHECK(value_at(env, "BHS-11") == "B1");
  CHECK(value_at(env, "BHS[2]-11") == "B2");
  CHECK(value_at(env, "BHS[2]-7") == "20260101120100");
  CHECK(value_at(env, "BTS-1") == "2");
  CHECK(value_at(env, "BTS[2]-1") == "1");
  CHECK(value_at(env, "FTS-1") == "2");
}

TEST_CASE("hl7 batch: envelope segments are optional; counts may be left out") {
  SUBCASE("messages only") {
    const auto b = hl7::parse_batch(msg("M1") + msg("M2"));
    if (!b) FAIL(b.error().to_string());
    CHECK_FALSE(b->envelope.has_value());
    REQUIRE(b->messages.size() == 2u);
    CHECK(b->messages[1].control_id() == "M2");
  }
  SUBCASE("BHS and BTS without FHS, BTS-1 empty") {
    const auto b = hl7::parse_batch("BHS|^~\\&|S\r" + msg("M1") + msg("M2") + msg("M3") + "BTS\r");
    if (!b) FAIL(b.error().to_string());
    REQUIRE(b->envelope.has_value());
    CHECK(b->messages.size() == 3u);
    CHECK(b->envelope->segment_count() == 2u);
    CHECK(value_at(*b->envelope, "BHS-3") == "S");
  }
  SUBCASE("LF line endings") {
    std::string bytes = "FHS|^~\\&|S\nBHS|^~\\&|S\n" + msg("M1") + msg("M2") + "BTS|2\nFTS|1\n";
    for (char& c : bytes) {
      if (c == '\r') c = '\n';
    }
    const auto b = hl7::parse_batch(bytes);
    if (!b) FAIL(b.error().to_string());
    REQUIRE(b->messages.size() == 2u);
    CHECK(b->messages[1].control_id() == "M2");
    CHECK(b->messages[1].segment_count() == 2u);
    REQUIRE(b->envelope.has_value());
    CHECK(value_at(*b->envelope, "BTS-1") == "2");
  }
}

TEST_CASE("hl7 batch: BTS-1 that does not match the message count") {
  const std::string bytes = "BHS|^~\\&|S\r" + msg("M1") + msg("M2") + "BTS|3\r";
  const auto r = hl7::parse_batch(bytes);
  const hl7::error& e = batch_error_of(r);
  CHECK(e.code == hl7::errc::bad_batch);
  CHECK(e.where.segment == "BTS");
  CHECK(e.where.segment_occurrence == 1);
  CHECK(e.offset == bytes.find("BTS|3"));

  // A count that is not a number is not the number of messages either.
  const auto r2 = hl7::parse_batch("BHS|^~\\&|S\r" + msg("M1") + "BTS|one\r");
  CHECK(batch_error_of(r2).code == hl7::errc::bad_batch);
  CHECK(batch_error_of(r2).where.segment == "BTS");
}

TEST_CASE("hl7 batch: the count mismatch in a second batch names BTS[2]") {
  const std::string bytes = "BHS|^~\\&|S\r" + msg("M1") + "BTS|1\r" + "BHS|^~\\&|S\r" + msg("M2") + msg("M3") +
                            "BTS|1\r";
  const auto r = hl7::parse_batch(bytes);
  const hl7::error& e = batch_error_of(r);
  CHECK(e.code == hl7::errc::bad_batch);
  CHECK(e.where.segment == "BTS");
  CHECK(e.where.segment_occurrence == 2);
  CHECK(e.where.to_string() == "BTS[2]");
  CHECK(e.offset == bytes.rfind("BTS|1"));
}

TEST_CASE("hl7 batch: FTS-1 that does not match the batch count") {
  const std::string bytes = "FHS|^~\\&|S\rBHS|^~\\&|S\r" + msg("M1") + "BTS|1\rFTS|2\r";
  const auto r = hl7::parse_batch(bytes);
  const hl7::error& e = batch_error_of(r);
  CHECK(e.code == hl7::errc::bad_batch);
  CHECK(e.where.segment == "FTS");
  CHECK(e.offset == bytes.find("FTS|2"));
}

TEST_CASE("hl7 batch: BHS without BTS") {
  SUBCASE("the file ends inside the batch: the missing BTS is reported at the end") {
    const std::string bytes = "FHS|^~\\&|S\rBHS|^~\\&|S\r" + msg("M1") + msg("M2");
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_batch);
    CHECK(e.where.segment == "BTS");
    CHECK(e.where.segment_occurrence == 1);
    CHECK(e.offset == bytes.size());
  }
  SUBCASE("the second batch of a file is not closed: BTS[2] is missing") {
    const std::string bytes = "BHS|^~\\&|B1\r" + msg("M1") + "BTS|1\rBHS|^~\\&|B2\r" + msg("M2");
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_batch);
    CHECK(e.where.to_string() == "BTS[2]");
    CHECK(e.offset == bytes.size());
  }
  SUBCASE("a second BHS before the first batch's BTS") {
    const std::string bytes = "BHS|^~\\&|B1\r" + msg("M1") + "BHS|^~\\&|B2\r" + msg("M2") + "BTS|1\r";
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_batch);
    CHECK(e.where.segment == "BHS");
    CHECK(e.where.segment_occurrence == 2);
    CHECK(e.offset == bytes.find("BHS|^~\\&|B2"));
  }
  SUBCASE("FTS while a batch is open") {
    const std::string bytes = "FHS|^~\\&|S\rBHS|^~\\&|S\r" + msg("M1") + "FTS|1\r";
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_batch);
    CHECK(e.where.segment == "FTS");
    CHECK(e.offset == bytes.find("FTS"));
  }
}

TEST_CASE("hl7 batch: BTS without BHS") {
  SUBCASE("messages then BTS") {
    const std::string bytes = msg("M1") + "BTS|1\r";
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_batch);
    CHECK(e.where.segment == "BTS");
    CHECK(e.offset == bytes.find("BTS"));
  }
  SUBCASE("FHS, messages, BTS") {
    const std::string bytes = "FHS|^~\\&|S\r" + msg("M1") + "BTS|1\rFTS|1\r";
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_batch);
    CHECK(e.where.segment == "BTS");
    CHECK(e.offset == bytes.find("BTS"));
  }
}

TEST_CASE("hl7 batch: a segment that is neither envelope nor message before the first MSH") {
  SUBCASE("after BHS") {
    const std::string bytes = "FHS|^~\\&|S\rBHS|^~\\&|S\rPID|1||X\r" + msg("M1") + "BTS|1\rFTS|1\r";
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_batch);
    CHECK(e.where.segment == "PID");
    CHECK(e.offset == bytes.find("PID|1||X"));
  }
  SUBCASE("first in the file") {
    const std::string bytes = "EVN|A04\r" + msg("M1");
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_batch);
    CHECK(e.where.segment == "EVN");
    CHECK(e.offset == 0u);
  }
}

TEST_CASE("hl7 batch: FHS that is not first") {
  SUBCASE("after BHS") {
    const std::string bytes = "BHS|^~\\&|S\rFHS|^~\\&|S\r" + msg("M1") + "BTS|1\rFTS|1\r";
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_batch);
    CHECK(e.where.segment == "FHS");
    CHECK(e.offset == bytes.find("FHS"));
  }
  SUBCASE("after a message") {
    const std::string bytes = msg("M1") + "FHS|^~\\&|S\r" + msg("M2");
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_batch);
    CHECK(e.where.segment == "FHS");
    CHECK(e.offset == bytes.find("FHS"));
  }
}

TEST_CASE("hl7 batch: nothing may follow FTS") {
  const std::string bytes = "FHS|^~\\&|S\rBHS|^~\\&|S\r" + msg("M1") + "BTS|1\rFTS|1\r" + msg("M2");
  const auto r = hl7::parse_batch(bytes);
  const hl7::error& e = batch_error_of(r);
  CHECK(e.code == hl7::errc::bad_batch);
  CHECK(e.where.segment == "MSH");
  CHECK(e.offset == bytes.find("MSH|^~\\&|SND|FAC|RCV|FAC|20260101120000||ADT^A04|M2"));
}

TEST_CASE("hl7 batch: empty input") {
  CHECK(batch_error_of(hl7::parse_batch("")).code == hl7::errc::empty_input);
  CHECK(batch_error_of(hl7::parse_batch("\r\n\r\n")).code == hl7::errc::empty_input);
}

TEST_CASE("hl7 batch: an error inside a message is that message's error, offset from the start of the file") {
  SUBCASE("bad escape, CR line ends") {
    const std::string bytes = "FHS|^~\\&|S\rBHS|^~\\&|S\r" + msg("M1") +
                              "MSH|^~\\&|SND|FAC|RCV|FAC|20260101120000||ADT^A04|M2|P|2.5\r"
                              "PID|1||2||DOE\\Q\\JOHN\r"
                              "BTS|2\rFTS|1\r";
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_escape);
    CHECK(e.offset == bytes.find("\\Q\\"));
    CHECK(bytes.substr(e.offset, 3) == "\\Q\\");
    CHECK(e.where.segment == "PID");
    CHECK(e.where.field == 5);
  }
  SUBCASE("bad segment name") {
    const std::string bytes = "BHS|^~\\&|S\r" + msg("M1") + msg("M2") + "pid|2\r" + "BTS|2\r";
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_segment_name);
    CHECK(e.offset == bytes.find("pid|2"));
  }
  SUBCASE("missing MSH-10") {
    const std::string bytes = "BHS|^~\\&|S\r" + msg("M1") +
                              "MSH|^~\\&|SND|FAC|RCV|FAC|20260101120000||ADT^A04||P|2.5\rBTS|2\r";
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::missing_required_field);
    CHECK(e.where.segment == "MSH");
    CHECK(e.where.field == 10);
  }
  SUBCASE("bad escape, CRLF line ends") {
    std::string bytes = "FHS|^~\\&|S\r\nBHS|^~\\&|S\r\n";
    for (const std::string_view line :
         {"MSH|^~\\&|SND|FAC|RCV|FAC|20260101120000||ADT^A04|M1|P|2.5", "PID|1||1||DOE^JANE",
          "MSH|^~\\&|SND|FAC|RCV|FAC|20260101120000||ADT^A04|M2|P|2.5", "EVN|A04", "PID|1||2||DOE\\Q\\JOHN",
          "BTS|2", "FTS|1"}) {
      bytes.append(line);
      bytes.append("\r\n");
    }
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_escape);
    CHECK(e.offset == bytes.find("\\Q\\"));
    CHECK(bytes.substr(e.offset, 3) == "\\Q\\");
    CHECK(e.where.segment == "PID");
    CHECK(e.where.field == 5);
  }
}

TEST_CASE("hl7 batch: an error inside an envelope segment is located in the file") {
  SUBCASE("bad escape in BTS-2") {
    const std::string bytes = "FHS|^~\\&|S\rBHS|^~\\&|S\r" + msg("M1") + "BTS|1|bad \\Q\\ text\rFTS|1\r";
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_escape);
    CHECK(e.offset == bytes.find("\\Q\\"));
    CHECK(e.where.segment == "BTS");
    CHECK(e.where.field == 2);
  }
  SUBCASE("BHS-2 that differs from FHS-2, CRLF line ends") {
    const std::string bytes = "FHS|^~\\&|S\r\nBHS|^~\\#|S\r\n" + msg("M1") + "BTS|1\r\nFTS|1\r\n";
    const auto r = hl7::parse_batch(bytes);
    const hl7::error& e = batch_error_of(r);
    CHECK(e.code == hl7::errc::bad_encoding_chars);
    CHECK(e.where.segment == "BHS");
    CHECK(e.offset == bytes.find("BHS") + 3);
  }
}
