// engine/fetch/series_headers: what a DICOM SR about a series needs from its
// headers, read from generated studies (models/train/synth_ct.py) and copies
// changed with DCMTK's dcmodify; expected values are read with dcmdump.
#include "fetch/series_headers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "fetch/fetch_error.hpp"
#include "fetch/dicom_decode.hpp"
#include "fetch/folder_source.hpp"
#include "support/process.hpp"
#include "support/synthetic_studies.hpp"

namespace {

namespace fs = std::filesystem;
namespace fetch = radbridge::fetch;
namespace test = radbridge::test;
using test::quoted;
using test::shell;

constexpr int slices = 5;

// The value of one attribute of a file, as dcmdump prints it ("" when absent or empty).
std::string dump_value(const fs::path& file, const std::string& tag) {
  const auto r = test::run_captured({"/usr/bin/dcmdump", "+P", tag, file.string()}, {}, "", std::chrono::seconds(30));
  REQUIRE_MESSAGE(r.status == 0, "dcmdump failed: " << r.err);
  const auto open = r.out.find('[');
  if (open == std::string::npos) return {};
  return r.out.substr(open + 1, r.out.find(']', open) - open - 1);
}

fetch::fetch_error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const fetch::fetch_error& e) {
    return e;
  }
  FAIL("no fetch_error thrown");
  return fetch::fetch_error(fetch::fetch_errc::bad_response, "unreachable");
}

// Two generated studies.
struct studies {
  test::temp_folder tmp{"radbridge-headers"};
  fs::path root = tmp.path();
  studies() { test::generate(root, 23, 2, slices, 32); }
  fs::path study(int n) const { return root / (n == 0 ? "study-000" : "study-001"); }
};

}  // namespace

TEST_CASE("series_headers: a series from a folder, its instances by InstanceNumber, attributes as stored") {
  const studies s;
  const fs::path first = s.study(0) / "IM0001.dcm";
  const std::string series_uid = dump_value(first, "0020,000e");
  const fetch::folder_source source(s.root);

  const auto h = fetch::read_series_headers(source.read_series(series_uid));
  CHECK(h.study_uid == dump_value(first, "0020,000d"));
  CHECK(h.series_uid == series_uid);
  CHECK(h.modality == "CT");
  CHECK(h.patient_id == "SYNP-23-0");
  CHECK(h.patient_name == "SYNTHETIC^CASE0");
  CHECK(h.patient_birth_date == dump_value(first, "0010,0030"));
  CHECK(h.patient_birth_date.size() == 8);
  CHECK(h.patient_sex == dump_value(first, "0010,0040"));
  CHECK_FALSE(h.patient_sex.empty());
  CHECK(h.study_date == dump_value(first, "0008,0020"));
  CHECK(h.study_time == dump_value(first, "0008,0030"));
  CHECK(h.study_id == "S0");
  CHECK(h.accession == "SYN23N0");
  CHECK(h.referring_physician.empty());  // the generator writes it empty (type 2)
  REQUIRE(h.instances.size() == slices);
  for (int k = 0; k < slices; ++k) {
    const fs::path file = s.study(0) / ("IM000" + std::to_string(k + 1) + ".dcm");
    CAPTURE(file);
    CHECK(h.instances[static_cast<std::size_t>(k)].instance_number == k + 1);
    CHECK(h.instances[static_cast<std::size_t>(k)].sop_instance_uid == dump_value(file, "0008,0018"));
    CHECK(h.instances[static_cast<std::size_t>(k)].sop_class_uid == "1.2.840.10008.5.1.4.1.1.2");
  }

  SUBCASE("decoding with headers (one parse per instance) gives what the two separate calls give") {
    const auto files = source.read_series(series_uid);
    const fetch::decoded_series both = fetch::decode_series_with_headers(files);
    CHECK(both.image.hu == fetch::decode_series(files).hu);
    CHECK(both.image.slices == slices);
    CHECK(both.headers.patient_id == h.patient_id);
    CHECK(both.headers.patient_name == h.patient_name);
    CHECK(both.headers.study_uid == h.study_uid);
    REQUIRE(both.headers.instances.size() == slices);
    for (std::size_t k = 0; k < slices; ++k) {
      CHECK(both.headers.instances[k].sop_instance_uid == h.instances[k].sop_instance_uid);
    }
  }

  SUBCASE("files in any order, one of them twice, give the same headers") {
    auto files = source.read_series(series_uid);
    std::reverse(files.begin(), files.end());
    files.push_back(files[2]);
    const auto again = fetch::read_series_headers(files);
    REQUIRE(again.instances.size() == slices);
    for (std::size_t k = 0; k < slices; ++k) {
      CHECK(again.instances[k].sop_instance_uid == h.instances[k].sop_instance_uid);
      CHECK(again.instances[k].instance_number == h.instances[k].instance_number);
    }
    CHECK(again.patient_birth_date == h.patient_birth_date);
  }
}

TEST_CASE("series_headers: names in another character set come out as UTF-8") {
  const studies s;
  const fs::path file = s.root / "latin1.dcm";
  fs::copy_file(s.study(0) / "IM0001.dcm", file);
  REQUIRE(dump_value(file, "0008,0005") == "ISO_IR 100");
  // "Müller^Jürgen" in ISO 8859-1: ü is one byte, 0xFC.
  shell("dcmodify -nb -m \"(0010,0010)=M\xfcller^J\xfcrgen\" -m \"(0008,0090)=Gr\xfc\xdf^Anna\" " + quoted(file));
  const auto h = fetch::read_series_headers({test::read_file(file)});
  CHECK(h.patient_name == "M\xc3\xbcller^J\xc3\xbcrgen");
  CHECK(h.referring_physician == "Gr\xc3\xbc\xc3\x9f^Anna");
}

TEST_CASE("series_headers: what is not one series of readable instances is an error naming instances") {
  const studies s;
  const fetch::folder_source source(s.root);
  const std::string series0 = dump_value(s.study(0) / "IM0001.dcm", "0020,000e");
  const std::string series1 = dump_value(s.study(1) / "IM0001.dcm", "0020,000e");

  SUBCASE("no instances") {
    const auto e = error_of([] { fetch::read_series_headers(std::vector<std::string>{}); });
    CHECK(e.code() == fetch::fetch_errc::not_found);
    CHECK(std::string(e.what()) == "no instances to read the series headers from");
  }
  SUBCASE("two series") {
    auto files = source.read_series(series0);
    files.push_back(source.read_series(series1).front());
    const auto e = error_of([&] { fetch::read_series_headers(files); });
    CHECK(e.code() == fetch::fetch_errc::inconsistent_series);
    // Both are instance 1: the tie goes to the lower SOPInstanceUID, which is compared first.
    const std::string uid0 = dump_value(s.study(0) / "IM0001.dcm", "0008,0018");
    const std::string uid1 = dump_value(s.study(1) / "IM0001.dcm", "0008,0018");
    // Instances are named by the reference of their UID, never the UID.
    const std::string ref0 = fetch::reference_of(uid0);
    const std::string ref1 = fetch::reference_of(uid1);
    const std::string expected = uid0 < uid1 ? "instance " + ref1 + " has another SeriesInstanceUID than instance " + ref0
                                             : "instance " + ref0 + " has another SeriesInstanceUID than instance " + ref1;
    CHECK(std::string(e.what()) == expected);
  }
  SUBCASE("bytes that are not DICOM") {
    const auto e = error_of([] { fetch::read_series_headers({std::string("just some text, not DICOM")}); });
    CHECK(e.code() == fetch::fetch_errc::undecodable);
  }
  SUBCASE("an instance without SOPClassUID") {
    const fs::path file = s.root / "no-class.dcm";
    fs::copy_file(s.study(0) / "IM0002.dcm", file);
    shell("dcmodify -nb -e \"(0008,0016)\" " + quoted(file));
    const auto e = error_of([&] { fetch::read_series_headers({test::read_file(file)}); });
    CHECK(e.code() == fetch::fetch_errc::undecodable);
    CHECK(std::string(e.what()) ==
          "instance 2 (SOPInstanceUID " + fetch::reference_of(dump_value(file, "0008,0018")) + "): no SOPClassUID");
  }
}
