// Golden tests over samples/hl7: every sample parses and round-trips, both
// through message::encode and through a rebuild with message_builder from
// the raw fields; the line-ending variants agree; each malformed sample fails
// with its own error code.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hl7/batch.hpp"
#include "hl7/builder.hpp"
#include "hl7/error.hpp"
#include "hl7/message.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
namespace hl7 = radbridge::hl7;
using hl7::errc;
using radbridge::test::read_file;
using radbridge::test::source_dir;

namespace {

fs::path samples() { return source_dir() / "samples" / "hl7"; }

// The files directly in `dir` whose name ends with `ext`, sorted.
std::vector<fs::path> files_in(const fs::path& dir, std::string_view ext) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ext) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_batch_file(const fs::path& p) { return p.filename().string().starts_with("batch_"); }

// Copies every field of `segment` into `builder` as it is written.
void copy_segment(hl7::message_builder& builder, const hl7::segment_view& segment) {
  hl7::segment_builder& out = builder.add(segment.name());
  const std::size_t first = segment.is_header() ? 3 : 1;  // header fields 1 and 2 are the delimiters
  for (std::size_t f = first; f <= segment.field_count(); ++f) out.set_raw(f, segment.field(f));
}

// The message rebuilt field by field with message_builder.
std::string rebuild(const hl7::message& m) {
  hl7::message_builder builder(m.delimiters());
  for (std::size_t i = 0; i < m.segment_count(); ++i) copy_segment(builder, m.segment(i));
  return builder.encode();
}

// A batch file rebuilt: the envelope's FHS/BHS, the messages, then BTS/FTS.
// (Our batch samples hold one batch, so the trailers all follow the messages.)
std::string rebuild(const hl7::batch& b) {
  REQUIRE(b.envelope.has_value());
  const hl7::message& env = *b.envelope;
  hl7::message_builder head(env.delimiters());
  hl7::message_builder tail(env.delimiters());
  for (std::size_t i = 0; i < env.segment_count(); ++i) {
    const hl7::segment_view s = env.segment(i);
    copy_segment(s.name() == "FHS" || s.name() == "BHS" ? head : tail, s);
  }
  std::string out = head.encode();
  for (const hl7::message& m : b.messages) out += rebuild(m);
  return out + tail.encode();
}

hl7::error parse_error_of(const fs::path& file) {
  const std::string bytes = read_file(file);
  REQUIRE_FALSE(bytes.empty());
  auto r = hl7::message::parse(bytes);
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

}  // namespace

TEST_CASE("hl7 samples: there are at least 30 samples") {
  const auto files = files_in(samples(), ".hl7");
  CHECK(files.size() >= 30);
}

TEST_CASE("hl7 samples: every single-message sample parses and encode gives back the file") {
  std::size_t checked = 0;
  for (const fs::path& file : files_in(samples(), ".hl7")) {
    if (is_batch_file(file)) continue;
    CAPTURE(file.filename().string());
    const std::string bytes = read_file(file);
    REQUIRE_FALSE(bytes.empty());
    auto m = hl7::message::parse(bytes);
    INFO((m ? std::string("parsed") : m.error().to_string()));
    REQUIRE(m.has_value());
    CHECK(m->segment(0).name() == "MSH");
    CHECK_FALSE(m->control_id().empty());
    CHECK(m->bytes() == bytes);
    CHECK(m->encode() == bytes);
    ++checked;
  }
  CHECK(checked >= 28);
}

TEST_CASE("hl7 samples: every single-message sample rebuilt with message_builder equals the file") {
  for (const fs::path& file : files_in(samples(), ".hl7")) {
    if (is_batch_file(file)) continue;
    CAPTURE(file.filename().string());
    const std::string bytes = read_file(file);
    auto m = hl7::message::parse(bytes);
    REQUIRE(m.has_value());
    CHECK(rebuild(*m) == bytes);
  }
}

TEST_CASE("hl7 samples: batch samples parse, and rebuilt with message_builder equal the file") {
  std::size_t batches = 0;
  for (const fs::path& file : files_in(samples(), ".hl7")) {
    if (!is_batch_file(file)) continue;
    CAPTURE(file.filename().string());
    const std::string bytes = read_file(file);
    CHECK(hl7::looks_like_batch(bytes));
    auto b = hl7::parse_batch(bytes);
    INFO((b ? std::string("parsed") : b.error().to_string()));
    REQUIRE(b.has_value());
    REQUIRE(b->envelope.has_value());
    CHECK_FALSE(b->messages.empty());
    // The parsed pieces, concatenated in file order, are the file.
    const hl7::message& env = *b->envelope;
    std::string pieces;
    for (std::size_t i = 0; i < env.segment_count(); ++i) {
      const auto name = env.segment(i).name();
      if (name == "FHS" || name == "BHS") pieces += std::string(env.segment(i).raw()) + "\r";
    }
    for (const hl7::message& m : b->messages) pieces += m.encode();
    for (std::size_t i = 0; i < env.segment_count(); ++i) {
      const auto name = env.segment(i).name();
      if (name == "BTS" || name == "FTS") pieces += std::string(env.segment(i).raw()) + "\r";
    }
    CHECK(pieces == bytes);
    CHECK(rebuild(*b) == bytes);
    ++batches;
  }
  CHECK(batches >= 2);
}

TEST_CASE("hl7 samples: batch sample contents") {
  auto nightly = hl7::parse_batch(read_file(samples() / "batch_adt_nightly.hl7"));
  REQUIRE(nightly.has_value());
  REQUIRE(nightly->messages.size() == 4);
  CHECK(nightly->messages[0].trigger_event() == "A04");
  CHECK(nightly->messages[3].control_id() == "EPC20240327000004904");
  const auto count = nightly->envelope->value("BTS-1");
  REQUIRE(count.has_value());
  CHECK(*count == "4");

  auto ai = hl7::parse_batch(read_file(samples() / "batch_oru_r01_ai_results.hl7"));
  REQUIRE(ai.has_value());
  REQUIRE(ai->messages.size() == 3);
  const auto answer = ai->messages[1].value("OBX-5.1");
  REQUIRE(answer.has_value());
  CHECK(*answer == "Y");
}

TEST_CASE("hl7 samples: values from samples with custom delimiters, charsets and escapes") {
  auto parse_sample = [](std::string_view name) {
    auto m = hl7::message::parse(read_file(samples() / name));
    INFO(name);
    REQUIRE(m.has_value());
    return std::move(m).value();
  };
  auto value = [](const hl7::message& m, std::string_view path) {
    auto v = m.value(path);
    INFO(path);
    REQUIRE(v.has_value());
    return *v;
  };

  const hl7::message hash = parse_sample("orm_o01_custom_delims_hash.hl7");
  CHECK(hash.delimiters() == hl7::delimiters{'#', '$', '*', '?', '%', '\0'});
  CHECK(value(hash, "MSH-2") == "$*?%");
  CHECK(value(hash, "PID-3[2].1") == "999-00-1008");
  CHECK(value(hash, "OBR-13") == "Ref #A-12; score 3$1; C%D; ?H?urgent?N?");

  const hl7::message bang = parse_sample("adt_a08_custom_delims_bang.hl7");
  CHECK(value(bang, "PID-11.1") == "9 BANG!BAR RD");
  CHECK(value(bang, "NTE-3") == "Backslash is literal here: C:\\TEMP; escaped bang ! and caret ^");

  const hl7::message latin1 = parse_sample("adt_a08_charset_8859_1.hl7");
  CHECK(latin1.charset() == hl7::charset::latin1);
  CHECK(value(latin1, "PID-5.2") == "M\xC3\xA9LANIE");
  CHECK(value(latin1, "PID-5.3") == "H\xC3\x89L\xC3\x88NE");

  const hl7::message utf8 = parse_sample("adt_a04_charset_utf8.hl7");
  CHECK(utf8.charset() == hl7::charset::utf8);
  CHECK(value(utf8, "PID-5[2].1") == "M\xC3\xBCller-Test");

  const hl7::message trunc = parse_sample("oru_r01_v27_truncation_char.hl7");
  CHECK(trunc.delimiters().truncation == '#');
  CHECK(value(trunc, "MSH-2") == "^~\\&#");
  CHECK(value(trunc, "OBX[3]-5") == "Case #4471");

  const hl7::message esc = parse_sample("oru_r01_escape_sequences_report.hl7");
  CHECK(value(esc, "OBX[1]-5") == "Nodule A|B segment");
  CHECK(value(esc, "OBX[5]-5") == "Saved to C:\\PACS\\export");
  CHECK(value(esc, "OBX[7]-5") == "First line\r\nSecond line\ttabbed");
  CHECK(value(esc, "OBX[8]-5") == "\\.ce\\REPORT\\.br\\\\.in+4\\Indented line\\.br\\\\.sk2\\skip");
  CHECK(value(esc, "OBX[9]-5") == "|^&~\\");
}

TEST_CASE("hl7 samples: LF and CRLF variants parse to the same message") {
  const auto files = files_in(samples() / "line_endings", ".hl7");
  REQUIRE(files.size() >= 2);
  std::vector<std::string> encoded;
  for (const fs::path& file : files) {
    CAPTURE(file.filename().string());
    const std::string bytes = read_file(file);
    CHECK(bytes.find('\n') != std::string::npos);
    auto m = hl7::message::parse(bytes);
    INFO((m ? std::string("parsed") : m.error().to_string()));
    REQUIRE(m.has_value());
    CHECK(m->bytes().find('\n') == std::string_view::npos);
    CHECK(m->segment_count() == 5);
    CHECK(rebuild(*m) == m->encode());
    encoded.push_back(m->encode());
  }
  for (const std::string& e : encoded) CHECK(e == encoded.front());
}

TEST_CASE("hl7 samples: each malformed sample fails with its expected code") {
  struct expected {
    std::string_view file;
    errc code;
  };
  const fs::path dir = samples() / "malformed";
  for (const expected& e : {
           expected{"not_hl7.txt", errc::missing_msh},
           expected{"missing_msh.hl7", errc::missing_msh},
           expected{"bad_encoding_chars.hl7", errc::bad_encoding_chars},
           expected{"bad_escape.hl7", errc::bad_escape},
           expected{"unknown_charset.hl7", errc::unknown_charset},
           expected{"bad_segment_name.hl7", errc::bad_segment_name},
           expected{"bad_segment_name_lowercase.hl7", errc::bad_segment_name},
           expected{"xml_encoded.xml", errc::xml_encoded},
       }) {
    CAPTURE(e.file);
    const hl7::error err = parse_error_of(dir / e.file);
    INFO(err.to_string());
    CHECK(hl7::to_string(err.code) == hl7::to_string(e.code));
  }
}

TEST_CASE("hl7 samples: every malformed sample has an expected code") {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(samples() / "malformed")) {
    if (entry.is_regular_file()) ++count;
  }
  CHECK(count == 8);  // the list in the test above; add the new file there
}

TEST_CASE("hl7 samples: malformed samples point at the problem") {
  const fs::path dir = samples() / "malformed";
  const std::string escape_bytes = read_file(dir / "bad_escape.hl7");
  const hl7::error escape = parse_error_of(dir / "bad_escape.hl7");
  CHECK(escape.where.to_string() == "OBX-5");
  CHECK(escape.offset == escape_bytes.find("\\X0|"));

  const std::string charset_bytes = read_file(dir / "unknown_charset.hl7");
  const hl7::error charset = parse_error_of(dir / "unknown_charset.hl7");
  CHECK(charset.where.to_string() == "MSH-18");
  CHECK(charset.offset == charset_bytes.find("KLINGON-1"));

  const hl7::error encoding = parse_error_of(dir / "bad_encoding_chars.hl7");
  CHECK(encoding.where.to_string() == "MSH-2");
  CHECK(encoding.offset == 4);

  const std::string lower_bytes = read_file(dir / "bad_segment_name_lowercase.hl7");
  const hl7::error lower = parse_error_of(dir / "bad_segment_name_lowercase.hl7");
  CHECK(lower.where.to_string() == "pid");
  CHECK(lower.offset == lower_bytes.find("pid|"));
}
