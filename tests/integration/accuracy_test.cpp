// The head-CT models' accuracy, measured through the engine's own path:
// 40 studies freshly generated with a seed not used in training (9001, half
// with a hemorrhage), uploaded to a real Orthanc, fetched over DICOMweb by
// accession number, decoded with DCMTK, preprocessed and run with libtorch
// exactly as `radbridge infer` does. Targets (issue 4): hemorrhage AUC at
// least 0.95, sensitivity at least 0.90 at the registry threshold, median
// volume error under 15 % over the studies with a hemorrhage.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "fetch/dicomweb_client.hpp"
#include "fetch/study_fetch.hpp"
#include "infer/model_registry.hpp"
#include "infer/model_runner.hpp"
#include "json/json_document.hpp"
#include "support.hpp"
#include "support/orthanc_server.hpp"
#include "support/synthetic_studies.hpp"

namespace fetch = radbridge::fetch;
namespace infer = radbridge::infer;
namespace json = radbridge::json;
namespace test = radbridge::test;

namespace {

constexpr int held_out_seed = 9001;
constexpr int studies = 40;

struct truth {
  std::string accession;
  bool hemorrhage = false;
  double volume_ml = 0;
};

std::vector<truth> read_truth(const test::fs::path& file) {
  const auto doc = json::parse_document(test::read_file(file));
  REQUIRE(doc.has_value());
  std::vector<truth> out;
  for (const json::value& s : doc.value().elements()) {
    out.push_back({s.find("accession")->as_string(), s.find("hemorrhage")->as_bool(), s.find("volume_ml")->as_number()});
  }
  return out;
}

// The probability that a random positive scores above a random negative
// (ties count half): the area under the ROC curve.
double auc(const std::vector<double>& positives, const std::vector<double>& negatives) {
  double wins = 0;
  for (double p : positives) {
    for (double n : negatives) wins += p > n ? 1.0 : p == n ? 0.5 : 0.0;
  }
  return wins / static_cast<double>(positives.size() * negatives.size());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

TEST_CASE("accuracy: both head-CT models on held-out synthetic studies, through Orthanc and the engine's path") {
  test::temp_folder folder;
  test::shell("/usr/bin/python3 " + test::quoted(test::generator()) + " --seed " + std::to_string(held_out_seed) +
              " --studies " + std::to_string(studies) + " --out " + test::quoted(folder.path()) +
              " --slices 32 --size 256 --hemorrhage-fraction 0.5");
  const std::vector<truth> truths = read_truth(folder.path() / "truth.json");
  REQUIRE(truths.size() == studies);

  test::orthanc_server pacs;
  REQUIRE(pacs.upload(folder.path()) == studies * 32);
  fetch::dicomweb_settings settings;
  settings.base_url = pacs.dicomweb_url();
  const fetch::dicomweb_client client(settings);

  const infer::model_registry registry = infer::load_registry((test::source_dir() / "models/registry.json").string());
  const infer::model_runner classifier(*registry.find("ich_classifier"));
  const infer::model_runner segmentation(*registry.find("ich_segmentation"));
  fetch::series_rule rule;
  rule.modalities = {"CT"};

  std::vector<double> positive_scores, negative_scores, volume_errors;
  std::size_t detected = 0, false_alarms = 0;
  for (const truth& t : truths) {
    const fetch::fetched_series series =
        fetch::fetch_series(client, {fetch::study_key::kind::accession, t.accession}, rule);
    const infer::inference_result c = classifier.run(series.image);
    REQUIRE(c.findings.size() == 1);
    const double p = c.findings[0].probability.value();
    const bool present = c.findings[0].present.value();
    if (t.hemorrhage) {
      positive_scores.push_back(p);
      detected += present ? 1 : 0;
      // The volume error is measured where there is a volume: the
      // segmentation runs on the studies with a hemorrhage only.
      const infer::inference_result s = segmentation.run(series.image);
      REQUIRE(s.findings.size() == 1);
      volume_errors.push_back(std::abs(s.findings[0].value.value() - t.volume_ml) / t.volume_ml);
    } else {
      negative_scores.push_back(p);
      false_alarms += present ? 1 : 0;
    }
  }
  REQUIRE(!positive_scores.empty());
  REQUIRE(!negative_scores.empty());
  const double area = auc(positive_scores, negative_scores);
  const double sensitivity = static_cast<double>(detected) / static_cast<double>(positive_scores.size());
  const double specificity = 1 - static_cast<double>(false_alarms) / static_cast<double>(negative_scores.size());
  const double median_error = median(volume_errors);
  std::vector<double> sorted_errors = volume_errors;
  std::sort(sorted_errors.begin(), sorted_errors.end());
  MESSAGE("held-out seed " << held_out_seed << ": " << positive_scores.size() << " with hemorrhage, "
                           << negative_scores.size() << " without; AUC " << area << ", sensitivity " << sensitivity
                           << ", specificity " << specificity << " at threshold "
                           << classifier.spec().threshold << "; volume error median " << median_error << ", max "
                           << sorted_errors.back());
  CHECK(area >= 0.95);
  CHECK(sensitivity >= 0.90);
  CHECK(median_error < 0.15);
}
