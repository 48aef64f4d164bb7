// Tests for parsers/hl7/path.hpp: the path grammar, its numbers, to_string,
// and bad_path with the offset of the offending character.
#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "hl7/error.hpp"
#include "hl7/path.hpp"

namespace hl7 = radbridge::hl7;
using hl7::errc;

namespace {

struct expected_path {
  std::string_view text;
  std::string_view segment;
  int occurrence;
  int field;
  int repetition;
  int component;
  int subcomponent;
};

}  // namespace

TEST_CASE("hl7 path: valid forms parse to the right numbers and round-trip through to_string") {
  for (const expected_path& e : {
           expected_path{"PID-3", "PID", 1, 3, 1, 0, 0},
           expected_path{"PID-3[2].1", "PID", 1, 3, 2, 1, 0},
           expected_path{"OBX[3]-5.1", "OBX", 3, 5, 1, 1, 0},
           expected_path{"MSH-9.2", "MSH", 1, 9, 1, 2, 0},
           expected_path{"PID-3.1.2", "PID", 1, 3, 1, 1, 2},
           expected_path{"Z01-1", "Z01", 1, 1, 1, 0, 0},
           expected_path{"OBX[12]-5[3].4.2", "OBX", 12, 5, 3, 4, 2},
           expected_path{"MSH-1", "MSH", 1, 1, 1, 0, 0},
           expected_path{"P1D-99999", "P1D", 1, 99999, 1, 0, 0},
       }) {
    CAPTURE(e.text);
    const auto p = hl7::parse_path(e.text);
    REQUIRE(p.has_value());
    CHECK(p->segment_name() == e.segment);
    CHECK(p->occurrence == e.occurrence);
    CHECK(p->field == e.field);
    CHECK(p->repetition == e.repetition);
    CHECK(p->component == e.component);
    CHECK(p->subcomponent == e.subcomponent);
    CHECK(p->to_string() == e.text);
  }
}

TEST_CASE("hl7 path: defaults are written in their short form") {
  const auto p = hl7::parse_path("PID[1]-3[1].1");
  REQUIRE(p.has_value());
  CHECK(p->occurrence == 1);
  CHECK(p->repetition == 1);
  CHECK(p->to_string() == "PID-3.1");
  const hl7::path def;
  CHECK(def.field == 1);
  CHECK(def.component == 0);
}

TEST_CASE("hl7 path: invalid forms are bad_path at the offending character") {
  struct bad {
    std::string_view text;
    std::size_t offset;
  };
  for (const bad& b : {
           bad{"pid-3", 0},        // lower case
           bad{"PId-3", 2},
           bad{"1ID-3", 0},        // digit first
           bad{"PI-3", 2},         // two-character name
           bad{"PID3", 3},         // no '-'
           bad{"PID-0", 4},        // fields are 1-based
           bad{"PID-3[0]", 6},     // repetitions are 1-based
           bad{"PID-3.0", 6},      // components are 1-based
           bad{"PID-3.1.0", 8},    // subcomponents are 1-based
           bad{"PID[0]-3", 4},     // occurrences are 1-based
           bad{"PID-3[2", 7},      // unclosed '['
           bad{"PID[2-3", 5},
           bad{"PID-3.1.2.3", 9},  // nothing below a subcomponent
           bad{"PID-", 4},
           bad{"PID-x", 4},
           bad{"PID--3", 4},
           bad{"", 0},
           bad{"P", 1},
           bad{"PID-3x", 5},       // trailing garbage
           bad{"PID-3 ", 5},
           bad{"PID-3[2]x", 8},
           bad{"PID-3.", 6},
           bad{"PID-100000", 4},   // beyond the largest index
           bad{"PID-3[]", 6},
       }) {
    CAPTURE(b.text);
    const auto p = hl7::parse_path(b.text);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().code == errc::bad_path);
    CHECK(p.error().offset == b.offset);
  }
}
