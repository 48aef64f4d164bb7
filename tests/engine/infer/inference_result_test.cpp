// engine/infer/inference_result: the JSON `radbridge infer --json` prints.
#include <doctest/doctest.h>

#include <stdexcept>

#include "infer/inference_result.hpp"

namespace infer = radbridge::infer;

TEST_CASE("inference_result: JSON with the model's identity, the steps in order and both finding shapes") {
  infer::inference_result r;
  r.model_id = "ich_classifier";
  r.version = "1.0.0";
  r.sha256 = "ab";
  r.study_uid = "1.2";
  r.series_uid = "1.2.3";
  r.timings_ms = {{"retrieve", 12.5}, {"inference", 3}};
  infer::finding present{"intracranial_hemorrhage", "Intracranial hemorrhage", true, 0.75, std::nullopt, ""};
  infer::finding volume{"hemorrhage_volume", "Hemorrhage volume", std::nullopt, std::nullopt, 14.25, "mL"};
  r.findings = {present, volume};
  CHECK(infer::to_json(r) ==
        R"({"model":"ich_classifier","version":"1.0.0","sha256":"ab","study_uid":"1.2","series_uid":"1.2.3",)"
        R"("timings_ms":{"retrieve":12.5,"inference":3.0},"findings":[)"
        R"({"label":"intracranial_hemorrhage","display":"Intracranial hemorrhage","present":true,"probability":0.75},)"
        R"({"label":"hemorrhage_volume","display":"Hemorrhage volume","value":14.25,"unit":"mL"}]})");
  CHECK(r.ms("retrieve") == 12.5);
  CHECK(r.ms("decode") == 0);
}

TEST_CASE("inference_result: what to_json writes reads back, alone or as an array; problems are located") {
  infer::inference_result r;
  r.model_id = "ich_segmentation";
  r.version = "1.0.0";
  r.sha256 = "cd";
  r.study_uid = "1.2";
  r.series_uid = "1.2.3";
  r.timings_ms = {{"decode", 40.5}, {"inference", 900}};
  r.findings = {{"hemorrhage_volume", "Hemorrhage volume", std::nullopt, std::nullopt, 14.25, "mL"}};
  const auto one = infer::parse_inference_results(infer::to_json(r, true), "f.json");
  REQUIRE(one.size() == 1);
  CHECK(infer::to_json(one[0]) == infer::to_json(r));
  const auto two = infer::parse_inference_results("[" + infer::to_json(r) + "," + infer::to_json(r) + "]", "f.json");
  CHECK(two.size() == 2);
  CHECK_THROWS_WITH_AS(infer::parse_inference_results(R"({"model": "m", "version": "1", "findings": [{"label": "x"}], "colour": 1})", "f.json"),
                       "f.json:1:45: a finding has either \"present\" (with \"probability\") or \"value\" (with \"unit\")\n"
                       "f.json:1:62: unknown key \"colour\" in an inference result",
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(infer::parse_inference_results(R"({"version": "1", "findings": []})", "f.json"),
                       "f.json:1:1: an inference result needs \"model\"", std::runtime_error);
  CHECK_THROWS_WITH_AS(infer::parse_inference_results("[]", "f.json"), "f.json:1:1: no inference results",
                       std::runtime_error);
}
