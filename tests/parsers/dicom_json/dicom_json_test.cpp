// Tests for parsers/dicom_json/dicom_json.cpp: reading attributes of DICOM
// JSON data sets as QIDO-RS and STOW-RS servers write them, and every shape
// problem as a shape_error with its exact message.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dicom_json/dicom_json.hpp"
#include "json/json_document.hpp"

namespace dj = radbridge::dicom_json;
namespace json = radbridge::json;

namespace {

json::value parse_ok(std::string_view text) {
  auto r = json::parse_document(text);
  if (!r) FAIL(json::format_error("t.json", r.error()));
  return std::move(r).value();
}

// The shape_error's message, or "no error".
template <class F>
std::string shape_error_of(F&& f) {
  try {
    (void)f();
  } catch (const dj::shape_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("dicom_json: texts and numbers, as QIDO-RS answers them") {
  const json::value d = parse_ok(R"({
    "0020000D": {"vr": "UI", "Value": ["1.2.840.10008.1 "]},
    "00080050": {"vr": "SH", "Value": ["  A 1\u0000"]},
    "00080061": {"vr": "CS", "Value": ["CT", null, "MR"]},
    "00200011": {"vr": "IS", "Value": [3]},
    "00180050": {"vr": "DS", "Value": ["2.50 "]},
    "00201209": {"vr": "IS", "Value": [1.5]},
    "0008103e": {"vr": "LO", "Value": ["lower-case tag"]},
    "00081030": {"vr": "LO"},
    "00100010": null,
    "00100020": {"vr": "LO", "Value": null},
    "00101010": {"vr": "AS", "Value": ["not a number"]},
    "00081196": {"vr": "US", "Value": [45056]}
  })");

  CHECK(dj::first_text(d, "0020000D") == "1.2.840.10008.1");
  CHECK(dj::first_text(d, "00080050") == "A 1");
  CHECK(dj::all_texts(d, "00080061") == std::vector<std::string>{"CT", "MR"});
  CHECK(dj::first_text(d, "00200011") == "3");
  CHECK(dj::first_text(d, "00201209") == "1.5");
  CHECK(dj::first_text(d, "0008103E") == "lower-case tag");
  CHECK(dj::find_attribute(d, "0008103E") != nullptr);
  for (const char* absent : {"00081030", "00100010", "00100020", "7FE00010"}) {
    CAPTURE(absent);
    CHECK(dj::first_text(d, absent).empty());
    CHECK(dj::values_of(d, absent).empty());
    CHECK_FALSE(dj::first_number(d, absent).has_value());
  }
  CHECK(dj::find_attribute(d, "7FE00010") == nullptr);

  CHECK(dj::first_number(d, "00200011") == 3.0);
  CHECK(dj::first_number(d, "00180050") == 2.5);
  CHECK_FALSE(dj::first_number(d, "00101010").has_value());
  CHECK(dj::first_uint16(d, "00081196") == std::optional<std::uint16_t>{0xB000});
  CHECK_FALSE(dj::first_uint16(d, "00101010").has_value());

  CHECK(dj::text_of(json::value{}, "00100010") == std::nullopt);
}

TEST_CASE("dicom_json: sequence items, as STOW-RS answers them") {
  const json::value d = parse_ok(R"({
    "00081199": {"vr": "SQ", "Value": [
      {"00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]}, "00081155": {"vr": "UI", "Value": ["1.2.3"]}},
      {"00081155": {"vr": "UI", "Value": ["1.2.4"]}}
    ]},
    "00081198": {"vr": "SQ"}
  })");
  const auto items = dj::items_of(d, "00081199");
  REQUIRE(items.size() == 2);
  CHECK(dj::first_text(items[0], "00081150") == "1.2.840.10008.5.1.4.1.1.2");
  CHECK(dj::first_text(items[1], "00081155") == "1.2.4");
  CHECK(dj::first_text(items[1], "00081150").empty());
  CHECK(dj::items_of(d, "00081198").empty());
}

TEST_CASE("dicom_json: shapes DICOM JSON does not allow are shape_errors naming the tag") {
  const json::value d = parse_ok(R"({
    "00080050": "A1",
    "00080060": {"vr": "CS", "Value": "CT"},
    "00100020": {"vr": "LO", "Value": [{"x": 1}]},
    "00081199": {"vr": "SQ", "Value": [1]},
    "00081197": {"vr": "US", "Value": [70000]},
    "00081196": {"vr": "US", "Value": [-1]},
    "00081195": {"vr": "US", "Value": [1.5]}
  })");
  CHECK(shape_error_of([&] { return dj::first_text(d, "00080050"); }) == "attribute 00080050 is not an object");
  CHECK(shape_error_of([&] { return dj::all_texts(d, "00080060"); }) == "\"Value\" of 00080060 is not an array");
  CHECK(shape_error_of([&] { return dj::first_text(d, "00100020"); }) == "a value of 00100020 is a object, not text");
  CHECK(shape_error_of([&] { return dj::items_of(d, "00081199"); }) ==
        "an item of 00081199 is a number, not an object");
  CHECK(shape_error_of([&] { return dj::first_uint16(d, "00081197"); }) ==
        "00081197 is not an unsigned 16-bit number");
  CHECK(shape_error_of([&] { return dj::first_uint16(d, "00081196"); }) ==
        "00081196 is not an unsigned 16-bit number");
  CHECK(shape_error_of([&] { return dj::first_uint16(d, "00081195"); }) ==
        "00081195 is not an unsigned 16-bit number");
  // An object value is no number: read as absent, like any optional attribute.
  CHECK_FALSE(dj::first_number(d, "00100020").has_value());
}

TEST_CASE("dicom_json: UIDs and padding") {
  CHECK(dj::is_uid("1.2.840.10008.5.1.4.1.1.2"));
  CHECK(dj::is_uid(std::string(64, '1')));
  CHECK_FALSE(dj::is_uid(std::string(65, '1')));
  CHECK_FALSE(dj::is_uid(""));
  CHECK_FALSE(dj::is_uid("1.2.x"));
  CHECK_FALSE(dj::is_uid("1.2/../3"));
  CHECK(dj::trim(" \tA B \t") == "A B");
  CHECK(dj::trim(std::string_view("1.2\0", 4)) == "1.2");
  CHECK(dj::trim("   ").empty());
}
