// engine/results/fhir_time: HL7 v2 timestamps as FHIR dateTime, clock readings as FHIR instant.
#include <doctest/doctest.h>

#include <chrono>

#include "results/fhir_time.hpp"

namespace results = radbridge::results;
using namespace std::chrono;

TEST_CASE("fhir_date_time: a time with an offset keeps its precision, seconds filled in") {
  CHECK(results::fhir_date_time("20240312142800-0500") == "2024-03-12T14:28:00-05:00");
  CHECK(results::fhir_date_time("20240312142815+0100") == "2024-03-12T14:28:15+01:00");
  CHECK(results::fhir_date_time("202403121428+0000") == "2024-03-12T14:28:00+00:00");
  CHECK(results::fhir_date_time("2024031214-0000") == "2024-03-12T14:00:00-00:00");
  CHECK(results::fhir_date_time("20240312142815.1234+1400") == "2024-03-12T14:28:15.1234+14:00");
  CHECK(results::fhir_date_time("20240229235959-1359") == "2024-02-29T23:59:59-13:59");
}

TEST_CASE("fhir_date_time: without an offset only the date is kept (FHIR needs a zone with a time)") {
  CHECK(results::fhir_date_time("20240312142800") == "2024-03-12");
  CHECK(results::fhir_date_time("20240312142815.5") == "2024-03-12");
  CHECK(results::fhir_date_time("202403121428") == "2024-03-12");
  CHECK(results::fhir_date_time("20240312") == "2024-03-12");
  CHECK(results::fhir_date_time("202403") == "2024-03");
  CHECK(results::fhir_date_time("2024") == "2024");
  // An offset on a date alone says nothing FHIR can carry.
  CHECK(results::fhir_date_time("20240312-0500") == "2024-03-12");
}

TEST_CASE("fhir_date_time: text that is no HL7 timestamp") {
  for (const char* bad : {"", "2024-03-12", "20240312T1428", "2024031", "20241312", "20240230", "20230229",
                          "20240312240000-0500", "20240312146000", "20240312142860", "00000312",
                          "20240312142800-05", "20240312142800-0560", "20240312142800+1401", "20240312142800-1500",
                          "202403121428.5", "20240312142800.", "20240312142800.12345", "20240312142800+05:00",
                          " 20240312"}) {
    CAPTURE(bad);
    CHECK_FALSE(results::fhir_date_time(bad).has_value());
  }
}

TEST_CASE("fhir_instant: UTC with milliseconds and Z") {
  const sys_days day{2024y / March / 12};
  CHECK(results::fhir_instant(day + 14h + 35min + 7s + 250ms) == "2024-03-12T14:35:07.250Z");
  CHECK(results::fhir_instant(day + 14h + 35min + 7s + 250ms + 999us) == "2024-03-12T14:35:07.250Z");
  CHECK(results::fhir_instant(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  CHECK(results::fhir_instant(sys_days{1969y / December / 31} + 23h + 59min + 59s + 1ms) == "1969-12-31T23:59:59.001Z");
}
