// engine/infer/model_runner: hash check, loading, the input contract
// (resample, window) and both output kinds, with tiny TorchScript models
// written by Debian's python3-torch for the test.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/sha256.hpp"
#include "fetch/volume.hpp"
#include "infer/model_runner.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
namespace infer = radbridge::infer;
namespace fetch = radbridge::fetch;

namespace {

// Two scripted models: `mean` returns the mean of its input as a
// probability [N]; `identity` returns its input as a segmentation map.
struct test_models {
  fs::path dir = fs::temp_directory_path() / ("radbridge-infer-" + std::to_string(::getpid()));
  test_models() {
    fs::create_directories(dir);
    const std::string script =
        "import sys, torch\n"
        "class Mean(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x.mean(dim=[1, 2, 3, 4])\n"
        "class Identity(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x\n"
        "torch.jit.script(Mean()).save(sys.argv[1] + '/mean.pt')\n"
        "torch.jit.script(Identity()).save(sys.argv[1] + '/identity.pt')\n";
    std::ofstream(dir / "make.py") << script;
    const std::string command = "/usr/bin/python3 " + (dir / "make.py").string() + " " + dir.string();
    REQUIRE(std::system(command.c_str()) == 0);
  }
  ~test_models() { fs::remove_all(dir); }

  infer::model_spec spec(const std::string& name, infer::output_kind kind, std::array<std::size_t, 3> size) const {
    infer::model_spec s;
    s.id = name;
    s.version = "0.1";
    s.file = (dir / (name + ".pt")).string();
    s.sha256 = radbridge::sha256_hex(radbridge::test::read_file(s.file));
    s.modality = "CT";
    s.body_parts = {"HEAD", "BRAIN"};
    s.window_center = 50;
    s.window_width = 100;  // HU 0 -> 0, 100 -> 1
    s.size = size;
    s.kind = kind;
    s.label = kind == infer::output_kind::probability ? "finding" : "finding_volume";
    s.display = "Finding";
    if (kind == infer::output_kind::segmentation) s.unit = "mL";
    s.threshold = 0.5;
    return s;
  }
};

fetch::volume cube(std::size_t n, float hu) {
  fetch::volume v;
  v.identity.study_uid = "1.2.3";
  v.identity.series_uid = "1.2.3.4";
  v.identity.modality = "CT";
  v.identity.body_part = "HEAD";
  v.columns = v.rows = v.slices = n;
  v.spacing = {1.0, 1.0, 2.0};
  v.hu.assign(n * n * n, hu);
  return v;
}

}  // namespace

TEST_CASE("model_runner: the input is the whole volume resampled trilinearly, then windowed") {
  const test_models models;
  const infer::model_runner same_size(models.spec("identity", infer::output_kind::segmentation, {2, 2, 2}));
  fetch::volume v = cube(2, 0);
  v.hu = {-100, 0, 25, 50, 75, 100, 150, 60};
  const std::vector<float> windowed = same_size.preprocess(v);
  REQUIRE(windowed.size() == 8);
  const std::vector<float> expected = {0, 0, 0.25f, 0.5f, 0.75f, 1, 1, 0.6f};
  for (std::size_t i = 0; i < 8; ++i) CHECK(windowed[i] == doctest::Approx(expected[i]));
  // Down to one voxel: trilinear with align_corners=false samples the centre,
  // the mean of the eight (HU 45), windowed to 0.45.
  const infer::model_runner one_voxel(models.spec("identity", infer::output_kind::segmentation, {1, 1, 1}));
  const std::vector<float> centre = one_voxel.preprocess(v);
  REQUIRE(centre.size() == 1);
  CHECK(centre[0] == doctest::Approx(0.45));
}

TEST_CASE("model_runner: a probability output is present at or above the threshold") {
  const test_models models;
  const infer::model_runner runner(models.spec("mean", infer::output_kind::probability, {4, 4, 4}));
  const infer::inference_result high = runner.run(cube(8, 70));  // windowed 0.7 everywhere
  REQUIRE(high.findings.size() == 1);
  CHECK(high.findings[0].label == "finding");
  CHECK(high.findings[0].probability.value() == doctest::Approx(0.7));
  CHECK(high.findings[0].present.value());
  CHECK_FALSE(high.findings[0].value.has_value());
  const infer::inference_result low = runner.run(cube(8, 20));
  CHECK(low.findings[0].probability.value() == doctest::Approx(0.2));
  CHECK_FALSE(low.findings[0].present.value());
  CHECK(high.model_id == "mean");
  CHECK(high.version == "0.1");
  CHECK(high.sha256 == runner.spec().sha256);
  CHECK(high.study_uid == "1.2.3");
  CHECK(high.series_uid == "1.2.3.4");
  REQUIRE(high.timings_ms.size() == 2);
  CHECK(high.timings_ms[0].step == "preprocess");
  CHECK(high.timings_ms[1].step == "inference");
  CHECK(high.ms("inference") == high.timings_ms[1].ms);
  CHECK(high.ms("inference") > 0);
}

TEST_CASE("model_runner: a segmentation output is a volume in mL of the resampled grid") {
  const test_models models;
  const infer::model_runner runner(models.spec("identity", infer::output_kind::segmentation, {4, 4, 4}));
  fetch::volume v = cube(4, 0);
  for (std::size_t i = 0; i < 20; ++i) v.hu[i] = 90;  // 20 voxels at 0.9, the rest 0
  const infer::inference_result r = runner.run(v);
  REQUIRE(r.findings.size() == 1);
  CHECK(r.findings[0].unit == "mL");
  CHECK_FALSE(r.findings[0].present.has_value());
  // Same grid: each voxel is 1 x 1 x 2 mm = 0.002 mL.
  CHECK(r.findings[0].value.value() == doctest::Approx(20 * 0.002));
  // A grid half as fine in each direction: voxels 8 times smaller.
  const infer::model_runner finer(models.spec("identity", infer::output_kind::segmentation, {8, 8, 8}));
  CHECK(finer.resampled_voxel_ml(v) == doctest::Approx(0.002 / 8));
}

TEST_CASE("model_runner: a model file that is not the registry's is refused, with the reason") {
  const test_models models;
  infer::model_spec wrong = models.spec("mean", infer::output_kind::probability, {4, 4, 4});
  const std::string registered = std::string(64, '0');
  const std::string actual = wrong.sha256;
  wrong.sha256 = registered;
  try {
    infer::model_runner runner(wrong);
    FAIL("a model with the wrong sha256 was loaded");
  } catch (const infer::infer_error& e) {
    CHECK(e.code() == infer::infer_errc::hash_mismatch);
    CHECK(std::string(e.what()) == "model mean 0.1: " + wrong.file + " has sha256 " + actual + ", the registry says " + registered);
  }
  // A corrupted file whose hash was (wrongly) registered still cannot load.
  const fs::path corrupt = models.dir / "corrupt.pt";
  std::string bytes = radbridge::test::read_file(wrong.file);
  bytes.resize(bytes.size() / 2);
  std::ofstream(corrupt, std::ios::binary) << bytes;
  infer::model_spec broken = models.spec("mean", infer::output_kind::probability, {4, 4, 4});
  broken.file = corrupt.string();
  broken.sha256 = radbridge::sha256_hex(bytes);
  try {
    infer::model_runner runner(broken);
    FAIL("a truncated model was loaded");
  } catch (const infer::infer_error& e) {
    CHECK(e.code() == infer::infer_errc::bad_model);
    CHECK(std::string(e.what()).starts_with("model mean 0.1: libtorch cannot load " + corrupt.string() + ": "));
  }
  infer::model_spec missing = broken;
  missing.file = (models.dir / "absent.pt").string();
  try {
    infer::model_runner runner(missing);
    FAIL("a missing model was loaded");
  } catch (const infer::infer_error& e) {
    CHECK(e.code() == infer::infer_errc::unreadable_model);
    CHECK(std::string(e.what()) == "model mean: cannot read " + missing.file);
  }
}

TEST_CASE("model_runner: a series the model does not accept is refused before inference") {
  const test_models models;
  const infer::model_runner runner(models.spec("mean", infer::output_kind::probability, {4, 4, 4}));
  fetch::volume mr = cube(4, 50);
  mr.identity.modality = "MR";
  try {
    runner.run(mr);
    FAIL("an MR series was accepted by a CT model");
  } catch (const infer::infer_error& e) {
    CHECK(e.code() == infer::infer_errc::wrong_modality);
    // The series by its reference (core/sha256.hpp), never its UID.
    CHECK(std::string(e.what()) == "model mean accepts modality CT; series sha256:" +
                                       radbridge::sha256_hex("1.2.3.4").substr(0, 12) + " is MR");
  }
  fetch::volume chest = cube(4, 50);
  chest.identity.body_part = "CHEST";
  try {
    runner.run(chest);
    FAIL("a chest series was accepted by a head model");
  } catch (const infer::infer_error& e) {
    CHECK(e.code() == infer::infer_errc::wrong_body_part);
    CHECK(std::string(e.what()) == "model mean accepts body parts HEAD, BRAIN; series sha256:" +
                                       radbridge::sha256_hex("1.2.3.4").substr(0, 12) + " is CHEST");
  }
  fetch::volume unnamed = cube(4, 50);
  unnamed.identity.body_part.clear();  // many scanners leave BodyPartExamined empty
  CHECK(runner.run(unnamed).findings.size() == 1);
}
