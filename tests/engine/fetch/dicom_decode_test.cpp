// engine/fetch/dicom_decode: DICOM instances into a Hounsfield-unit volume,
// checked against the synthetic generator's own HU, through every transfer
// syntax DCMTK's tools write, and one test per error code and cause.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/synthetic_studies.hpp"
#include "fetch/dicom_decode.hpp"
#include "fetch/fetch_error.hpp"
#include "fetch/series_headers.hpp"

namespace fetch = radbridge::fetch;
namespace test = radbridge::test;
namespace fs = std::filesystem;

namespace {

using test::quoted;
using test::shared_study;
using test::shell;

constexpr std::size_t side = test::synthetic_study::size;
constexpr std::size_t depth = test::synthetic_study::slices;
constexpr std::size_t per_slice = side * side;

std::vector<std::string> shared_series() { return test::read_all(test::files_in(shared_study().series)); }

// The error a decode must end with.
fetch::fetch_error decode_error(const std::vector<std::string>& instances, const fetch::decode_limits& limits = {}) {
  try {
    fetch::decode_series(instances, limits);
  } catch (const fetch::fetch_error& e) {
    const std::string what = e.what();
    CHECK_MESSAGE(what.find("SYNTHETIC") == std::string::npos, what);  // no patient names
    CHECK_FALSE(e.transient());
    return e;
  }
  FAIL("the series decoded");
  return fetch::fetch_error(fetch::fetch_errc::timeout, "unreachable");
}

void check_error(const std::vector<std::string>& instances, fetch::fetch_errc code, const std::string& says,
                 const fetch::decode_limits& limits = {}) {
  const auto e = decode_error(instances, limits);
  const std::string what = e.what();
  CHECK_MESSAGE(e.code() == code, (std::string(fetch::to_string(e.code())) + ": " + what));
  CHECK_MESSAGE(what.find(says) != std::string::npos, what);
}

// Every voxel equal to `expected(reference HU, z, index in slice)`.
template <typename Expected>
void check_voxels(const fetch::volume& v, Expected expected) {
  REQUIRE(v.hu.size() == depth * per_slice);
  const auto& ref = shared_study().reference_hu;
  REQUIRE(ref.size() == depth * per_slice);
  std::size_t wrong = 0;
  for (std::size_t z = 0; z < depth; ++z) {
    for (std::size_t i = 0; i < per_slice; ++i) {
      const float want = expected(ref, z, i);
      if (v.hu[z * per_slice + i] != want && wrong++ < 5) {
        MESSAGE("voxel z=" << z << " i=" << i << ": " << v.hu[z * per_slice + i] << " != " << want);
      }
    }
  }
  CHECK(wrong == 0);
}

void check_same_as_generator(const fetch::volume& v) {
  check_voxels(v, [](const std::vector<float>& ref, std::size_t z, std::size_t i) { return ref[z * per_slice + i]; });
}

// Rewrites a copy of the shared series with pydicom: another pixel encoding,
// rescale, spacing or geometry (see the cases below).
const char* const variant_script = R"PY(
import math, os, sys
import numpy as np
import pydicom
src, out, variant = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
names = sorted(n for n in os.listdir(src) if n.endswith('.dcm'))
for k, name in enumerate(names):
    ds = pydicom.dcmread(os.path.join(src, name))
    hu = ds.pixel_array.astype(np.int32)
    x, y, z = (float(v) for v in ds.ImagePositionPatient)
    if variant == 'unsigned12':
        # stored = HU + 1024 in 12 bits, garbage above them; feet first; 0.5 mm rows, 0.8 mm columns
        stored = (hu + 1024).astype(np.uint16) | np.uint16(0xF000)
        ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
        ds.RescaleIntercept, ds.RescaleSlope = '-1024', '1'
        ds.PixelSpacing = ['0.5', '0.8']
        ds.ImagePositionPatient = ['%.4f' % x, '%.4f' % y, '%.4f' % -z]
        ds.PixelData = stored.astype('<u2').tobytes()
    elif variant == 'signed12':
        # stored = floor(HU / 2), signed 12 bits, garbage above; slope 2; tilted 20 degrees about x
        stored = (np.floor_divide(hu, 2) & 0x0FFF) | 0x5000
        ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 1
        ds.RescaleIntercept, ds.RescaleSlope = '0', '2'
        t = math.radians(20)
        ds.ImageOrientationPatient = ['1', '0', '0', '0', '%.6f' % math.cos(t), '%.6f' % -math.sin(t)]
        n = (0.0, math.sin(t), math.cos(t))
        ds.ImagePositionPatient = ['%.4f' % (x + z * n[0]), '%.4f' % (y + z * n[1]), '%.4f' % (z * n[2])]
        ds.PixelData = stored.astype('<u2').tobytes()
    elif variant == 'bits8':
        # 8 bits allocated: stored = floor((HU + 1024) / 16), slope 16, intercept -1024
        stored = np.clip(np.floor_divide(hu + 1024, 16), 0, 255).astype(np.uint8)
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
        ds.RescaleIntercept, ds.RescaleSlope = '-1024', '16'
        ds.PixelData = stored.tobytes()
    elif variant == 'resized' and k == 3:
        # one slice at half the matrix
        small = hu[::2, ::2].astype(np.int16)
        ds.Rows, ds.Columns = small.shape
        ds.PixelSpacing = [str(2 * float(v)) for v in ds.PixelSpacing]
        ds.PixelData = small.astype('<i2').tobytes()
    elif variant == 'jpeg2000':
        # encapsulated in a transfer syntax DCMTK has no decoder for (the fragment is not J2K)
        from pydicom.encaps import encapsulate
        ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.4.90'
        ds.PixelData = encapsulate([ds.PixelData])
    ds.save_as(os.path.join(out, name), write_like_original=False)
)PY";

std::vector<std::string> variant(const test::temp_folder& tmp, const std::string& name) {
  const fs::path out = tmp.path() / name;
  test::python(variant_script, quoted(shared_study().series) + " " + quoted(out) + " " + name);
  return test::read_all(test::files_in(out));
}

// A copy of the shared series changed by a DCMTK tool run on each file (or on one: `only`).
std::vector<std::string> converted(const test::temp_folder& tmp, const std::string& name, const std::string& tool,
                                   int only = -1) {
  const auto files = test::copy_series(tmp.path() / name);
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (only < 0 || static_cast<std::size_t>(only) == i) shell(tool + " " + quoted(files[i]) + " " + quoted(files[i]));
  }
  return test::read_all(files);
}

std::vector<std::string> modified(const test::temp_folder& tmp, const std::string& name, const std::string& edit,
                                  int only) {
  const auto files = test::copy_series(tmp.path() / name);
  shell("dcmodify -nb " + edit + " " + quoted(files.at(static_cast<std::size_t>(only))));
  return test::read_all(files);
}

// How errors name one instance: "instance 4 (SOPInstanceUID sha256:...)", the UID by its reference.
std::string label_of(const std::string& instance, int number) {
  const auto headers = fetch::read_series_headers({instance});
  return "instance " + std::to_string(number) + " (SOPInstanceUID " +
         fetch::reference_of(headers.instances.at(0).sop_instance_uid) + ")";
}

// The exact message a decode ends with.
std::string decode_message(const std::vector<std::string>& instances) {
  const auto e = decode_error(instances);
  CHECK(e.code() == fetch::fetch_errc::undecodable);
  return e.what();
}

}  // namespace

TEST_CASE("decode: the generator's series, given in shuffled order, is its HU volume with its geometry") {
  auto instances = shared_series();
  REQUIRE(instances.size() == depth);
  std::mt19937 rng(42);
  std::shuffle(instances.begin(), instances.end(), rng);
  std::swap(instances.front(), instances.back());  // never the first slice first

  const fetch::volume v = fetch::decode_series(instances);
  CHECK(v.columns == side);
  CHECK(v.rows == side);
  CHECK(v.slices == depth);
  CHECK(v.voxel_count() == depth * per_slice);
  CHECK(v.spacing[0] == doctest::Approx(3.75));
  CHECK(v.spacing[1] == doctest::Approx(3.75));
  CHECK(v.spacing[2] == doctest::Approx(18.75));
  CHECK(v.voxel_ml() == doctest::Approx(3.75 * 3.75 * 18.75 / 1000));
  CHECK(v.origin[0] == doctest::Approx(-118.125));
  CHECK(v.origin[1] == doctest::Approx(-118.125));
  CHECK(v.origin[2] == doctest::Approx(9.375));  // the lowest slice, IM0001
  CHECK(v.orientation == std::array<double, 6>{1, 0, 0, 0, 1, 0});
  check_same_as_generator(v);

  // A few voxels by tissue: air in the corners, soft tissue or fluid in the middle.
  CHECK(v.hu[0] < -900);
  CHECK(v.hu[depth * per_slice - 1] < -900);
  const float centre = v.hu[(depth / 2 * side + side / 2) * side + side / 2];
  CHECK(centre > -30);
  CHECK(centre < 100);

  const auto truth = test::read_file(shared_study().root.path() / "dicom" / "truth.json");
  CHECK(truth.find("\"study_uid\": \"" + v.identity.study_uid + "\"") != std::string::npos);
  CHECK(truth.find("\"series_uid\": \"" + v.identity.series_uid + "\"") != std::string::npos);
  CHECK(v.identity.accession == "SYN7N0");
  CHECK(v.identity.patient_id == "SYNP-7-0");
  CHECK(v.identity.modality == "CT");
  CHECK(v.identity.body_part == "HEAD");
  CHECK(v.identity.series_description == "HEAD NON-CONTRAST");
}

TEST_CASE("decode: BitsStored, HighBit, sign, rescale, PixelSpacing order and slice order by position") {
  test::temp_folder tmp;

  SUBCASE("unsigned 12 bits with garbage above, intercept -1024, feet first, anisotropic pixels") {
    const auto v = fetch::decode_series(variant(tmp, "unsigned12"));
    CHECK(v.spacing[0] == doctest::Approx(0.8));  // column spacing: x
    CHECK(v.spacing[1] == doctest::Approx(0.5));  // row spacing: y
    CHECK(v.spacing[2] == doctest::Approx(18.75));
    CHECK(v.origin[2] == doctest::Approx(-140.625));  // IM0008 is now the lowest
    check_voxels(v, [](const std::vector<float>& ref, std::size_t z, std::size_t i) {
      return ref[(depth - 1 - z) * per_slice + i];
    });
  }
  SUBCASE("signed 12 bits with garbage above, slope 2, tilted 20 degrees") {
    const auto v = fetch::decode_series(variant(tmp, "signed12"));
    CHECK(v.spacing[2] == doctest::Approx(18.75).epsilon(1e-4));
    CHECK(v.orientation[4] == doctest::Approx(std::cos(20 * M_PI / 180)).epsilon(1e-5));
    check_voxels(v, [](const std::vector<float>& ref, std::size_t z, std::size_t i) {
      return 2 * std::floor(ref[z * per_slice + i] / 2);
    });
  }
  SUBCASE("8 bits allocated, slope 16") {
    const auto v = fetch::decode_series(variant(tmp, "bits8"));
    check_voxels(v, [](const std::vector<float>& ref, std::size_t z, std::size_t i) {
      return std::clamp(std::floor((ref[z * per_slice + i] + 1024) / 16), 0.0f, 255.0f) * 16 - 1024;
    });
  }
}

TEST_CASE("decode: every transfer syntax DCMTK's tools write gives exactly the same HU") {
  test::temp_folder tmp;
  struct syntax {
    const char* name;
    const char* tool;
    const char* uid;  // expected in each converted file's meta header ("" for none)
  };
  const syntax syntaxes[] = {
      {"implicit little endian", "dcmconv +ti", "1.2.840.10008.1.2"},
      {"explicit big endian", "dcmconv +tb", "1.2.840.10008.1.2.2"},
      {"deflated", "dcmconv +td", "1.2.840.10008.1.2.1.99"},
      {"bare dataset, no meta header", "dcmconv -F +ti", ""},
      {"JPEG lossless SV1", "dcmcjpeg", "1.2.840.10008.1.2.4.70"},
      {"JPEG lossless, predictor 6", "dcmcjpeg +el", "1.2.840.10008.1.2.4.57"},
      {"RLE", "dcmcrle", "1.2.840.10008.1.2.5"},
      {"JPEG-LS lossless", "dcmcjpls", "1.2.840.10008.1.2.4.80"},
  };
  int n = 0;
  for (const auto& s : syntaxes) {
    const std::string name = s.name;
    const std::string uid = s.uid;
    CAPTURE(name);
    const auto instances = converted(tmp, "ts" + std::to_string(n++), s.tool);
    for (const auto& i : instances) {
      if (uid.empty()) {
        CHECK(i.find("DICM") == std::string::npos);
      } else {
        // the UID itself, not a longer one that starts with it: a pad byte or
        // the next meta element's group (0002) follows
        const auto at = i.find(uid);
        REQUIRE(at != std::string::npos);
        const char next = i.at(at + uid.size());
        CHECK((next == '\0' || next == '\x02'));
      }
    }
    const auto v = fetch::decode_series(instances);
    CHECK(v.slices == depth);
    CHECK(v.spacing[2] == doctest::Approx(18.75));
    check_same_as_generator(v);
  }
}

TEST_CASE("decode: several threads decode compressed series at once") {
  test::temp_folder tmp;
  const auto jpeg = converted(tmp, "jpeg", "dcmcjpeg");
  const auto rle = converted(tmp, "rle", "dcmcrle");
  std::vector<fetch::volume> out(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < out.size(); ++t) {
    threads.emplace_back([&, t] {
      try {
        out[t] = fetch::decode_series(t % 2 == 0 ? jpeg : rle);
      } catch (const std::exception& e) {
        out[t].identity.series_description = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& v : out) {
    CHECK(v.identity.series_description == "HEAD NON-CONTRAST");
    check_same_as_generator(v);
  }
}

TEST_CASE("decode: what is not a decodable instance is undecodable, naming the instance") {
  auto series = shared_series();
  const auto with = [&](std::size_t index, std::string bytes) {
    auto copy = series;
    copy.at(index) = std::move(bytes);
    return copy;
  };

  SUBCASE("not DICOM at all") {
    check_error(with(2, "{\"folder\": \"study-000\"}\n"), fetch::fetch_errc::undecodable, "input 2");
    check_error(with(0, ""), fetch::fetch_errc::undecodable, "input 0: empty");
  }
  SUBCASE("random bytes") {
    std::mt19937 rng(1);
    std::string noise(8192, '\0');
    for (auto& c : noise) c = static_cast<char>(rng() & 0xFF);
    check_error(with(5, noise), fetch::fetch_errc::undecodable, "input 5");
    check_error(with(5, std::string(128, '\0') + "DICM" + noise), fetch::fetch_errc::undecodable, "input 5");
  }
  SUBCASE("cut short in the pixel data, or in the header") {
    const std::string& whole = series[4];
    check_error(with(4, whole.substr(0, whole.size() - 100)), fetch::fetch_errc::undecodable, "instance 5 (");
    check_error(with(4, whole.substr(0, 200)), fetch::fetch_errc::undecodable, "input 4");
  }
  test::temp_folder tmp;
  SUBCASE("a transfer syntax without a decoder") {
    check_error(variant(tmp, "jpeg2000"), fetch::fetch_errc::undecodable, "JPEG 2000");
  }
  SUBCASE("multi-frame") {
    const auto frames = modified(tmp, "frames", "-i '(0028,0008)=2'", 6);
    CHECK(decode_message(frames) == label_of(frames[6], 7) + ": multi-frame instances (2 frames) are not supported");
  }
  SUBCASE("colour") {
    check_error(modified(tmp, "rgb", "-m '(0028,0002)=3'", 1), fetch::fetch_errc::undecodable, "not a grayscale");
  }
  SUBCASE("no ImagePositionPatient") {
    const auto noipp = modified(tmp, "noipp", "-e '(0020,0032)'", 3);
    CHECK(decode_message(noipp) ==
          label_of(noipp[3], 4) + ": ImagePositionPatient is missing or does not have 3 values");
    CHECK(decode_message(noipp).find("2.25.") == std::string::npos);  // no UID
  }
  SUBCASE("no pixel data") {
    check_error(modified(tmp, "nopixels", "-e '(7fe0,0010)'", 0), fetch::fetch_errc::undecodable, "no pixel data");
  }
}

TEST_CASE("decode: a series that is not one evenly spaced stack is inconsistent_series") {
  const auto series = shared_series();
  test::temp_folder tmp;

  SUBCASE("a missing slice") {
    auto gap = series;
    gap.erase(gap.begin() + 3);
    check_error(gap, fetch::fetch_errc::inconsistent_series, "missing slices: about 1 between instance 3 (");
  }
  SUBCASE("a slice of another size") {
    check_error(variant(tmp, "resized"), fetch::fetch_errc::inconsistent_series, "is 32x32 pixels");
  }
  SUBCASE("a slice of another series") {
    const auto other = modified(tmp, "other", "-m '(0020,000e)=1.2.3.4'", 5);
    const auto e = decode_error(other);
    CHECK(e.code() == fetch::fetch_errc::inconsistent_series);
    const std::string series_uid = fetch::read_series_headers({series[0]}).series_uid;
    CHECK(std::string(e.what()) == label_of(other[5], 6) + " belongs to series " + fetch::reference_of("1.2.3.4") +
                                       ", not " + fetch::reference_of(series_uid) + " like " + label_of(series[0], 1));
  }
  SUBCASE("the same slice twice") {
    auto twice = series;
    twice.push_back(series[2]);
    check_error(twice, fetch::fetch_errc::inconsistent_series, "is given twice (duplicate slices)");
  }
  SUBCASE("two instances at one position") {
    const auto files = test::copy_series(tmp.path() / "twins");
    shell("dcmodify -nb -gin " + quoted(files[2]));  // a new SOPInstanceUID, the same position
    auto twins = test::read_all(files);
    twins.push_back(series[2]);
    check_error(twins, fetch::fetch_errc::inconsistent_series, "are at the same position (duplicate slices)");
  }
  SUBCASE("uneven spacing") {
    // IM0004 moved 5 mm up: 23.75 mm and 13.75 mm to its neighbours where the rest are 18.75 mm.
    check_error(modified(tmp, "uneven", "-m '(0020,0032)=-118.1250\\-118.1250\\70.6250'", 3),
                fetch::fetch_errc::inconsistent_series, "uneven slice spacing");
  }
  SUBCASE("another orientation") {
    check_error(modified(tmp, "tilted", "-m '(0020,0037)=1\\0\\0\\0\\0.9\\0.4359'", 6),
                fetch::fetch_errc::inconsistent_series, "another ImageOrientationPatient");
  }
  SUBCASE("another pixel spacing") {
    check_error(modified(tmp, "spacing", "-m '(0028,0030)=0.5\\0.5'", 6), fetch::fetch_errc::inconsistent_series,
                "another PixelSpacing");
  }
  SUBCASE("fewer than two slices") {
    check_error({series[0]}, fetch::fetch_errc::inconsistent_series, "at least 2 slices");
    check_error({}, fetch::fetch_errc::inconsistent_series, "at least 2 slices");
  }
}

TEST_CASE("decode: limits on slices and voxels are too_large, checked before decoding") {
  const auto series = shared_series();
  fetch::decode_limits slices;
  slices.max_slices = depth - 1;
  check_error(series, fetch::fetch_errc::too_large, "8 instances, more than the limit of 7", slices);
  fetch::decode_limits voxels;
  voxels.max_voxels = depth * per_slice - 1;
  check_error(series, fetch::fetch_errc::too_large, "32768 voxels", voxels);
  voxels.max_voxels = depth * per_slice;
  CHECK(fetch::decode_series(series, voxels).slices == depth);
}

TEST_CASE("decode: a RescaleSlope or RescaleIntercept that is not a finite number, or too large for a float, is "
          "undecodable") {
  test::temp_folder tmp;
  SUBCASE("a slope of 1e39 takes every stored value but 0 beyond a float's range (3.4e38)") {
    const auto huge = modified(tmp, "slope", "-m '(0028,1053)=1e39'", 3);
    CHECK(decode_message(huge) == label_of(huge[3], 4) +
                                      ": RescaleSlope 1e+39 and RescaleIntercept 0 take stored value -32768 to "
                                      "-3.2768e+43, beyond a float's range");
  }
  SUBCASE("an intercept of 1e39") {
    const auto shifted = modified(tmp, "intercept", "-m '(0028,1052)=1e39'", 0);
    CHECK(decode_message(shifted) == label_of(shifted[0], 1) +
                                         ": RescaleSlope 1 and RescaleIntercept 1e+39 take stored value -32768 to "
                                         "1e+39, beyond a float's range");
  }
  SUBCASE("not a number") {
    const auto nan = modified(tmp, "nan", "-m '(0028,1053)=NaN'", 2);
    CHECK(decode_message(nan) == label_of(nan[2], 3) + ": RescaleSlope is not a finite number");
    const auto inf = modified(tmp, "inf", "-m '(0028,1052)=-inf'", 5);
    CHECK(decode_message(inf) == label_of(inf[5], 6) + ": RescaleIntercept is not a finite number");
  }
  SUBCASE("large but within range decodes") {
    const auto large = converted(tmp, "large", "dcmodify -nb -m '(0028,1053)=1e30' -m '(0028,1052)=0'");
    const fetch::volume v = fetch::decode_series(large);
    check_voxels(v, [](const std::vector<float>& ref, std::size_t z, std::size_t i) {
      return static_cast<float>(static_cast<double>(ref[z * per_slice + i]) * 1e30);
    });
  }
}
