// What a report's free text says about a finding: negation, uncertainty, scope.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "review/report_text.hpp"

namespace review = radbridge::review;
namespace work = radbridge::work;

namespace {

const std::vector<std::string> bleed_terms{"hemorrhage", "hematoma", "bleed", "intracranial blood"};

std::string verdict_of(const std::string& text) {
  const auto v = review::text_verdict(text, bleed_terms);
  return v ? std::string(work::to_string(*v)) : "none";
}

}  // namespace

TEST_CASE("report text: affirmed, negated and uncertain mentions") {
  struct example {
    const char* text;
    const char* verdict;
  };
  const example examples[] = {
      {"Acute intraparenchymal hemorrhage in the left basal ganglia.", "positive"},
      {"IMPRESSION: Large left subdural HEMATOMA with 6 mm of midline shift.", "positive"},
      {"Multiple hemorrhages in both frontal lobes.", "positive"},
      {"No acute hemorrhage.", "negative"},
      {"No acute intracranial hemorrhage, mass or midline shift.", "negative"},
      {"No evidence of acute intracranial hemorrhage.", "negative"},
      {"Negative for intracranial blood.", "negative"},
      {"Without hemorrhage or infarct.", "negative"},
      {"Hemorrhage is not seen.", "negative"},
      {"The previously seen hematoma has resolved.", "negative"},
      {"Hemorrhage is not excluded.", "uncertain"},
      {"Subtle hemorrhage cannot be excluded.", "uncertain"},
      {"Possible small subarachnoid hemorrhage in the left sylvian fissure.", "uncertain"},
      {"Hyperdensity, suspicious for hemorrhage versus calcification.", "uncertain"},
      {"Cannot rule out a small bleed.", "uncertain"},
      {"Hemorrhage?", "uncertain"},
      // A negation ends with its clause: the next sentence or a "but" starts afresh.
      {"No midline shift. Acute hemorrhage in the right temporal lobe.", "positive"},
      {"No hydrocephalus but there is an acute hemorrhage in the pons.", "positive"},
      // One affirmed mention outweighs negated and uncertain ones.
      {"No extra-axial hemorrhage. Possible intraventricular bleed. Acute parenchymal hematoma.", "positive"},
      {"No subdural hematoma. Subarachnoid hemorrhage is not excluded.", "uncertain"},
      // Nothing said: no verdict. A term must be a whole word (or its plural).
      {"No acute intracranial abnormality.", "none"},
      {"Hemorrhagic transformation cannot be assessed.", "none"},
      {"", "none"},
      // A decimal point does not end a clause.
      {"No acute hemorrhage, 2.5 mm focus of calcification.", "negative"},
  };
  for (const example& e : examples) {
    CHECK_MESSAGE(verdict_of(e.text) == e.verdict, e.text);
  }
}

TEST_CASE("report text: a negation counts within six words before a term or starting within four after it") {
  CHECK(verdict_of("No sign of acute focal intracranial hemorrhage.") == "negative");      // "no" 6 words before
  CHECK(verdict_of("No sign of any acute focal intracranial hemorrhage.") == "positive");  // 7 words before
  CHECK(verdict_of("Hemorrhage of any kind not seen.") == "negative");                     // "not seen" starts 4 after
  CHECK(verdict_of("Hemorrhage in the left lobe is not seen.") == "positive");             // starts 6 after
}

TEST_CASE("report text: terms of several words, blanks and case") {
  CHECK(review::text_verdict("Intracranial  BLOOD products are seen.", {"intracranial blood"}) == work::verdict::positive);
  CHECK(review::text_verdict("Blood in the sinuses.", {"intracranial blood"}) == std::nullopt);
  CHECK(review::text_verdict("Hemorrhage.", {}) == std::nullopt);
  CHECK(review::text_verdict("Hemorrhage.", {"   "}) == std::nullopt);
}
