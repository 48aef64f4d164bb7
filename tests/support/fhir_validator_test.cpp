// tests/support/fhir_validator: the validator the FHIR tests rely on really
// validates, and says so loudly when it cannot run.
#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

#include "support/fhir_validator.hpp"

namespace {

using radbridge::test::fhir_issue;
using radbridge::test::validate_fhir;

constexpr const char* valid_observation =
    R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},)"
    R"("effectiveDateTime":"2024-03-12T14:28:00-05:00","valueQuantity":{"value":72,"unit":"/min",)"
    R"("system":"http://unitsofmeasure.org","code":"/min"}})";

// Sets PATH for one scope, then puts it back.
class path_override {
 public:
  explicit path_override(const char* value) {
    if (const char* old = std::getenv("PATH")) old_ = old;
    ::setenv("PATH", value, 1);
  }
  ~path_override() {
    if (old_) {
      ::setenv("PATH", old_->c_str(), 1);
    } else {
      ::unsetenv("PATH");
    }
  }
  path_override(const path_override&) = delete;
  path_override& operator=(const path_override&) = delete;

 private:
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("fhir_validator: a valid resource has no issues, broken ones have errors at their paths") {
  const auto issues = validate_fhir({
      {"valid", valid_observation},
      {"time without zone", R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)"
                            R"("effectiveDateTime":"2024-03-12T14:28"})"},
      {"no status, unknown member", R"({"resourceType":"Observation","code":{"text":"x"},"colour":"red"})"},
  });
  CHECK_MESSAGE(issues.size() == 3, radbridge::test::to_string(issues));
  for (const fhir_issue& i : issues) {
    CHECK(i.resource != "valid");
    CHECK(i.severity == "error");
  }
  CHECK(radbridge::test::to_string(issues) ==
        "time without zone: error: Invalid dateTime format (Observation.effective[x])\n"
        "no status, unknown member: error: Missing required property (Observation.status)\n"
        "no status, unknown member: error: Invalid additional property \"colour\" (Observation.colour)\n");
}

TEST_CASE("fhir_validator: text that is not JSON, or no node, is an exception, never a pass") {
  CHECK_THROWS_WITH_AS(validate_fhir({{"broken", "{"}}), doctest::Contains("not readable JSON"), std::runtime_error);
  {
    const path_override no_node("/nonexistent");
    CHECK_THROWS_WITH_AS(validate_fhir({{"valid", valid_observation}}),
                         "node (Node.js) is not on PATH; run scripts/install-deps", std::runtime_error);
  }
  CHECK(validate_fhir({{"valid", valid_observation}}).empty());
}
