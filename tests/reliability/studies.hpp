// Synthetic head CTs for the scenarios that need more than the pipeline
// fixture's four: `count` studies of 16 slices of 128 x 128 (what the
// models accept; they resample), made by the generator once per object, each
// with its own accession, patient, Study Instance UID and truth, uploaded to a
// PACS study by study (or part of one) when the scenario wants it there.
//
// Guarantees: the files live in a temporary folder removed with the object;
// upload() sends the first `files` instances of a study (all by default) in
// path order and fails the test case when Orthanc refuses one.
// Not provided: isolation from other studies in the same Orthanc.
#pragma once

#include <doctest/doctest.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "support/orthanc_server.hpp"
#include "support/pipeline_fixture.hpp"
#include "support/process.hpp"
#include "support/synthetic_studies.hpp"

namespace {

struct study_set {
  static constexpr int slices = 16;
  test::temp_folder folder{"radbridge-reliability-studies"};
  std::vector<study_truth> truth;

  study_set(int seed, int count) {
    test::generate(folder.path(), seed, count, slices, 128);
    truth = read_truth(folder.path() / "truth.json");
    REQUIRE(truth.size() == static_cast<std::size_t>(count));
  }

  void upload(const test::orthanc_server& pacs, std::size_t study, std::size_t files = slices) const {
    const std::vector<fs::path> all = test::files_in(folder.path() / truth.at(study).folder);
    REQUIRE(all.size() == static_cast<std::size_t>(slices));
    for (std::size_t i = 0; i < files && i < all.size(); ++i) REQUIRE(pacs.upload(all[i]) == 1);
  }

  std::size_t positives() const {
    std::size_t n = 0;
    for (const study_truth& s : truth) n += s.hemorrhage;
    return n;
  }
};

}  // namespace
