// engine/infer/model_registry: the shipped registry loads; every problem of a
// broken one is reported with file:line:col and a reason.
#include <doctest/doctest.h>

#include <string>

#include "infer/model_registry.hpp"
#include "support.hpp"

namespace infer = radbridge::infer;

namespace {

std::string problems(const std::string& text) {
  try {
    infer::parse_registry(text, "registry.json", "/opt/models");
  } catch (const infer::registry_error& e) {
    return e.what();
  }
  FAIL("the registry was accepted");
  return {};
}

const std::string good_model = R"({"id": "m", "version": "1", "file": "m.pt", "sha256": ")" + std::string(64, 'a') +
                               R"(", "accepts": {"modality": "CT", "body_parts": ["head"]},
  "input": {"window": {"center": 40, "width": 80}, "size": [8, 16, 16], "layout": "NCDHW", "channels": 1},
  "output": {"kind": "segmentation", "label": "v", "display": "Volume", "unit": "mL"}, "threshold": 0.4})";

}  // namespace

TEST_CASE("registry: the shipped registry names both head-CT models and their files") {
  const auto registry = infer::load_registry((radbridge::test::source_dir() / "models/registry.json").string());
  const infer::model_spec* classifier = registry.find("ich_classifier");
  const infer::model_spec* segmentation = registry.find("ich_segmentation");
  REQUIRE(classifier != nullptr);
  REQUIRE(segmentation != nullptr);
  CHECK(classifier->kind == infer::output_kind::probability);
  CHECK(segmentation->kind == infer::output_kind::segmentation);
  CHECK(segmentation->unit == "mL");
  CHECK(classifier->modality == "CT");
  CHECK(classifier->file == (radbridge::test::source_dir() / "models" / (classifier->id + "-" + classifier->version + ".pt")).string());
  CHECK(registry.find("nope") == nullptr);
}

TEST_CASE("registry: a well-formed entry, with paths relative to the registry") {
  const auto r = infer::parse_registry(R"({"models": [)" + good_model + "]}", "registry.json", "/opt/models");
  REQUIRE(r.models.size() == 1);
  const infer::model_spec& m = r.models[0];
  CHECK(m.file == "/opt/models/m.pt");
  CHECK(m.body_parts == std::vector<std::string>{"HEAD"});
  CHECK(m.size == std::array<std::size_t, 3>{8, 16, 16});
  CHECK(m.window_center == 40);
  CHECK(m.window_width == 80);
  CHECK(m.threshold == doctest::Approx(0.4));
}

TEST_CASE("registry: every problem with file:line:col and a reason") {
  CHECK(problems("{\"models\": [\n  {\"id\": \"m\", \"colour\": 1}\n]}") ==
        "registry.json:2:15: unknown key \"colour\" in a model\n"
        "registry.json:2:3: a model needs \"version\"\n"
        "registry.json:2:3: a model needs \"file\"\n"
        "registry.json:2:3: a model needs \"sha256\"\n"
        "registry.json:2:3: a model needs \"accepts\"\n"
        "registry.json:2:3: a model needs \"input\"\n"
        "registry.json:2:3: a model needs \"output\"\n"
        "registry.json:2:3: a model needs \"threshold\"");
  std::string bad = good_model;
  bad.replace(bad.find(std::string(64, 'a')), 64, "ABC");
  CHECK(problems(R"({"models": [)" + bad + "]}") ==
        "registry.json:1:67: \"sha256\" must be 64 lower-case hex digits");
  std::string no_unit = good_model;
  no_unit.replace(no_unit.find(R"(, "unit": "mL")"), 14, "");
  CHECK(problems(R"({"models": [)" + no_unit + "]}") ==
        "registry.json:3:13: a segmentation output reports a volume: its \"unit\" must be \"mL\"");
  CHECK(problems(R"({"models": [)" + good_model + ", " + good_model + "]}") ==
        "registry.json:3:107: model id \"m\" is used twice");
  CHECK(problems(R"({"models": []})") == "registry.json:1:12: \"models\" must be a non-empty array");
  CHECK(problems("{\"models\": [}") == "registry.json:1:13: invalid value");
}
