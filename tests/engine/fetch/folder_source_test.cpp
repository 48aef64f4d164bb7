// engine/fetch/folder_source: studies from a folder tree of generated DICOM
// files, with what a real export also holds (truth.json, notes, a DICOMDIR,
// a second copy of an instance, a second series made with dcmodify).
#include <doctest/doctest.h>

#include <algorithm>

#include <string>
#include <vector>

#include "support/synthetic_studies.hpp"
#include "fetch/dicom_decode.hpp"
#include "fetch/fetch_error.hpp"
#include "fetch/folder_source.hpp"

namespace fetch = radbridge::fetch;
namespace test = radbridge::test;
namespace fs = std::filesystem;

namespace {

using test::quoted;
using test::shell;

constexpr int slices = 6;

// The values of "key": "..." in truth.json, in order.
std::vector<std::string> truth_values(const fs::path& folder, const std::string& key) {
  const std::string text = test::read_file(folder / "truth.json");
  const std::string start = "\"" + key + "\": \"";
  std::vector<std::string> out;
  for (auto at = text.find(start); at != std::string::npos; at = text.find(start, at + 1)) {
    const auto from = at + start.size();
    out.push_back(text.substr(from, text.find('"', from) - from));
  }
  return out;
}

fetch::fetch_errc error_of(auto&& call, std::string& what) {
  try {
    call();
  } catch (const fetch::fetch_error& e) {
    what = e.what();
    return e.code();
  }
  FAIL("no error");
  return fetch::fetch_errc::timeout;
}

// Two generated studies plus the clutter of a real export, and study 0 with a
// second, thinner series.
struct export_folder {
  test::temp_folder tmp;
  fs::path root = tmp.path();
  std::vector<std::string> study_uids, series_uids, accessions;

  export_folder() {
    test::generate(root, 11, 2, slices, 32);
    study_uids = truth_values(root, "study_uid");
    series_uids = truth_values(root, "series_uid");
    accessions = truth_values(root, "accession");
    REQUIRE(study_uids.size() == 2);

    const fs::path thin = root / "study-000" / "thin";
    fs::create_directories(thin);
    for (const auto& f : test::files_in(root / "study-000")) {
      fs::copy_file(f, thin / f.filename());
      shell("dcmodify -nb -gin -m '(0020,000e)=2.25.42' -m '(0020,0011)=5' -m '(0018,0050)=1.25' "
            "-m '(0008,103e)=HEAD THIN' " + quoted(thin / f.filename()));
    }
    std::ofstream(root / "notes.txt") << "not DICOM\n";
    std::ofstream(root / "study-001" / "empty.dcm");
    fs::copy_file(root / "study-001" / "IM0003.dcm", root / "study-001" / "IM0003 copy.dcm");

    // A DICOMDIR over copies of two files (dcmmkdir wants names without extensions).
    const fs::path media = root / "zz-media";
    fs::create_directories(media / "S0");
    fs::copy_file(root / "study-001" / "IM0001.dcm", media / "S0" / "IM0001");
    fs::copy_file(root / "study-001" / "IM0002.dcm", media / "S0" / "IM0002");
    shell("cd " + quoted(media) + " && dcmmkdir +r -Pfl +I S0");
    REQUIRE(fs::exists(media / "DICOMDIR"));
  }
};

}  // namespace

TEST_CASE("folder_source: a study's series by StudyInstanceUID or AccessionNumber, clutter skipped") {
  const export_folder folder;
  const fetch::folder_source source(folder.root);

  const auto by_uid = source.list_series(folder.study_uids[0]);
  REQUIRE(by_uid.size() == 2);
  const auto& original = by_uid[0];  // SeriesNumber 2 before 5
  CHECK(original.identity.series_uid == folder.series_uids[0]);
  CHECK(original.identity.study_uid == folder.study_uids[0]);
  CHECK(original.identity.accession == folder.accessions[0]);
  CHECK(original.identity.patient_id == "SYNP-11-0");
  CHECK(original.identity.modality == "CT");
  CHECK(original.identity.body_part == "HEAD");
  CHECK(original.identity.series_description == "HEAD NON-CONTRAST");
  CHECK(original.series_number == 2);
  CHECK(original.instances == slices);
  REQUIRE(original.slice_thickness.has_value());
  CHECK(*original.slice_thickness == doctest::Approx(150.0 / slices));
  const auto& thin = by_uid[1];
  CHECK(thin.identity.series_uid == "2.25.42");
  CHECK(thin.identity.series_description == "HEAD THIN");
  CHECK(thin.series_number == 5);
  CHECK(thin.instances == slices);
  CHECK(thin.slice_thickness == 1.25);

  const auto by_accession = source.list_series(folder.accessions[0]);
  REQUIRE(by_accession.size() == 2);
  CHECK(by_accession[1].identity.series_uid == "2.25.42");
  CHECK(fetch::select_series(by_accession, {{"CT"}, {"HEAD"}, "", fetch::prefer::thinnest_slices})
            .identity.series_uid == "2.25.42");

  // study 1: the copy of IM0003 and the DICOMDIR's copies count once
  const auto other = source.list_series(folder.accessions[1]);
  REQUIRE(other.size() == 1);
  CHECK(other[0].identity.series_uid == folder.series_uids[1]);
  CHECK(other[0].instances == slices);

  std::vector<std::string> studies = {folder.study_uids[0], folder.study_uids[1]};
  std::sort(studies.begin(), studies.end());
  CHECK(source.study_uids() == studies);

  std::string what;
  CHECK(error_of([&] { return source.list_series("SYN11N9"); }, what) == fetch::fetch_errc::not_found);
  // The key by its reference, never itself (an accession number).
  CHECK(what == "no study with StudyInstanceUID or AccessionNumber " + fetch::reference_of("SYN11N9") + " in the folder " +
                    folder.root.string());
  CHECK(fetch::reference_of("SYN11N9").size() == std::string("sha256:").size() + 12);
  CHECK(error_of([&] { return source.list_series(""); }, what) == fetch::fetch_errc::not_found);
}

TEST_CASE("folder_source: read_series gives each instance's bytes, ready to decode") {
  const export_folder folder;
  const fetch::folder_source source(folder.root);

  const auto files = source.read_series(folder.series_uids[1]);
  REQUIRE(files.size() == slices);
  CHECK(files[0] == test::read_file(folder.root / "study-001" / "IM0001.dcm"));  // by InstanceNumber
  const auto v = fetch::decode_series(files);
  CHECK(v.slices == slices);
  CHECK(v.columns == 32);
  CHECK(v.identity.series_uid == folder.series_uids[1]);

  const auto thin = fetch::decode_series(source.read_series("2.25.42"));
  CHECK(thin.identity.series_description == "HEAD THIN");
  CHECK(thin.hu == fetch::decode_series(source.read_series(folder.series_uids[0])).hu);

  std::string what;
  CHECK(error_of([&] { return source.read_series("1.2.3"); }, what) == fetch::fetch_errc::not_found);
  CHECK(what == "no series " + fetch::reference_of("1.2.3") + " in the folder " + folder.root.string());

  // a file gone since the scan
  fs::remove(folder.root / "study-000" / "thin" / "IM0004.dcm");
  CHECK(error_of([&] { return source.read_series("2.25.42"); }, what) == fetch::fetch_errc::not_found);
  CHECK(what.find(" of series " + fetch::reference_of("2.25.42") + " can no longer be read") != std::string::npos);
  CHECK(what.find("2.25.42") == std::string::npos);
}

TEST_CASE("folder_source: a folder with one study still needs a matching key; no folder is not_found") {
  test::temp_folder tmp;
  test::generate(tmp.path(), 12, 1, 2, 16);
  const fetch::folder_source source(tmp.path());
  CHECK(source.list_series(truth_values(tmp.path(), "study_uid").at(0)).size() == 1);
  CHECK(source.list_series("SYN12N0").size() == 1);
  std::string what;
  CHECK(error_of([&] { return source.list_series("SYN12N1"); }, what) == fetch::fetch_errc::not_found);

  CHECK(error_of([&] { fetch::folder_source missing(tmp.path() / "nowhere"); }, what) == fetch::fetch_errc::not_found);
  CHECK(what.find("no such folder") != std::string::npos);
  CHECK(error_of([&] { fetch::folder_source file(tmp.path() / "truth.json"); }, what) == fetch::fetch_errc::not_found);

  // an empty folder holds no study
  test::temp_folder empty;
  const fetch::folder_source nothing(empty.path());
  CHECK(error_of([&] { return nothing.list_series("SYN12N0"); }, what) == fetch::fetch_errc::not_found);
}
