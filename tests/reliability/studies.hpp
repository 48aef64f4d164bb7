// Synthetic head CTs for the scenarios that need more than the pipeline
// fixture's four: `count` studies of 16 slices of 128 x 128 (what the
// models accept; they resample), made by the generator once per object, each
// with its own accession, patient, Study Instance UID and truth, uploaded to a
// PACS study by study (or part of one) when the scenario wants it there.
//
// Guarantees: the files live in a temporary folder removed with the object;
// upload() sends the first `files` instances of a study (all by default) in
// path order and fails the test case when Orthanc refuses one; upload_all()
// sends every study. with_orders() is a replay's messages: filler with the
// orders of a range of studies spread evenly among them, each placed (or the
// test case fails).
// Not provided: isolation from other studies in the same Orthanc.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "support/orthanc_server.hpp"
#include "support/pipeline_fixture.hpp"
#include "support/process.hpp"
#include "support/synthetic_studies.hpp"
#include "traffic.hpp"

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

  void upload_all(const test::orthanc_server& pacs) const {
    for (std::size_t i = 0; i < truth.size(); ++i) upload(pacs, i);
  }

  // `total` messages: filler (filler_message(filler_prefix, n)) with the
  // orders (control ids ORD-<study>) for studies first .. first + count - 1,
  // order k at message k * step + step / 2, step = total / count.
  std::vector<std::string> with_orders(long total, std::size_t first, std::size_t count,
                                       const std::string& filler_prefix) const {
    REQUIRE(count > 0);
    const long step = std::max<long>(1, total / static_cast<long>(count));
    std::vector<std::string> messages;
    std::size_t k = 0;
    for (long n = 0; n < total; ++n) {
      if (k < count && n == static_cast<long>(k) * step + step / 2) {
        const std::size_t study = first + k++;
        messages.push_back(order_for(truth.at(study), "ORD-" + std::to_string(study)));
      } else {
        messages.push_back(radbridge::reliability::filler_message(filler_prefix, n));
      }
    }
    REQUIRE_MESSAGE(k == count, "only " << k << " of " << count << " orders fit in " << total << " messages");
    return messages;
  }
};

}  // namespace
