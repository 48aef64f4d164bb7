// engine/infer/inference_result: the JSON `radbridge infer --json` prints.
#include <doctest/doctest.h>

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
