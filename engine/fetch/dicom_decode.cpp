#include "fetch/dicom_decode.hpp"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "fetch/dicom_dataset.hpp"
#include "fetch/fetch_error.hpp"

namespace radbridge::fetch {

namespace {

using detail::integer;
using detail::number;
using detail::text;
using detail::value_count;

// What the geometry checks and the pixel conversion need from one instance,
// read from its header before any pixel data is touched.
struct slice_header {
  std::size_t input = 0;
  std::string label;
  series_identity identity;
  fetch::acquisition acquisition;
  std::size_t rows = 0;
  std::size_t columns = 0;
  std::array<double, 6> orientation{};
  std::array<double, 3> position{};
  std::array<double, 2> pixel_spacing{};  // between rows (y), between columns (x)
  unsigned bits_allocated = 0;
  unsigned bits_stored = 0;
  unsigned high_bit = 0;
  bool is_signed = false;
  double slope = 1;
  double intercept = 0;
  double along_normal = 0;
};

[[noreturn]] void fail(fetch_errc code, const std::string& why) { throw fetch_error(code, why); }

std::string mm(double v) {
  std::ostringstream s;
  s.precision(4);
  s << v << " mm";
  return s.str();
}

unsigned small_unsigned(DcmItem& item, const DcmTagKey& tag, const std::string& label, const char* name,
                        std::optional<long> fallback = std::nullopt) {
  auto v = integer(item, tag);
  if (!v) v = fallback;
  if (!v) fail(fetch_errc::undecodable, label + ": no " + name);
  if (*v < 0 || *v > 65535) fail(fetch_errc::undecodable, label + ": " + name + " " + std::to_string(*v) + " is invalid");
  return static_cast<unsigned>(*v);
}

template <std::size_t n>
std::array<double, n> numbers(DcmItem& item, const DcmTagKey& tag, const std::string& label, const char* name) {
  if (value_count(item, tag) != n) {
    fail(fetch_errc::undecodable, label + ": " + name + " is missing or does not have " + std::to_string(n) + " values");
  }
  std::array<double, n> out{};
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = number(item, tag, static_cast<unsigned long>(i));
    if (!v) fail(fetch_errc::undecodable, label + ": " + name + " is not numeric");
    out[i] = *v;
  }
  return out;
}

// An optional number: absent or empty is nullopt; a value that is not a
// finite number (text, NaN, inf) is undecodable rather than the default.
std::optional<double> present_number(DcmItem& item, const DcmTagKey& tag, const std::string& label, const char* name) {
  if (value_count(item, tag) == 0) return std::nullopt;
  const auto v = number(item, tag);
  if (!v) fail(fetch_errc::undecodable, label + ": " + name + " is not a finite number");
  return v;
}

// Every stored value the header allows must rescale to a finite float
// (volume.hpp keeps HU as float): a RescaleSlope of 1e39 would not.
void check_rescaled_range(const slice_header& h) {
  const double half = std::ldexp(1.0, static_cast<int>(h.bits_stored) - 1);
  const double stored_min = h.is_signed ? -half : 0.0;
  const double stored_max = h.is_signed ? half - 1 : 2 * half - 1;
  const double limit = std::numeric_limits<float>::max();
  for (const double stored : {stored_min, stored_max}) {
    const double rescaled = stored * h.slope + h.intercept;
    if (!(std::abs(rescaled) <= limit)) {
      fail(fetch_errc::undecodable,
           fmt::format("{}: RescaleSlope {:.6g} and RescaleIntercept {:.6g} take stored value {} to {:.6g}, beyond a "
                       "float's range",
                       h.label, h.slope, h.intercept, stored, rescaled));
    }
  }
}

slice_header read_slice_header(DcmDataset& ds, std::size_t input) {
  slice_header h;
  h.input = input;
  h.label = detail::instance_label(ds, input);
  h.identity = detail::read_identity(ds);
  h.acquisition = detail::read_acquisition(ds);
  const std::string& label = h.label;

  const E_TransferSyntax xfer = ds.getOriginalXfer();
  const DcmXfer xfer_info(xfer);
  if (xfer_info.isEncapsulated() && !DcmCodecList::canChangeCoding(xfer, EXS_LittleEndianExplicit)) {
    fail(fetch_errc::undecodable, label + ": transfer syntax " + xfer_info.getXferName() + " (" +
                                      xfer_info.getXferID() + ") cannot be decoded");
  }
  if (const auto frames = integer(ds, DCM_NumberOfFrames); frames && *frames > 1) {
    fail(fetch_errc::undecodable,
         label + ": multi-frame instances (" + std::to_string(*frames) + " frames) are not supported");
  }
  if (const auto samples = integer(ds, DCM_SamplesPerPixel).value_or(1); samples != 1) {
    fail(fetch_errc::undecodable, label + ": " + std::to_string(samples) + " samples per pixel, not a grayscale image");
  }
  if (const auto photometric = text(ds, DCM_PhotometricInterpretation);
      !photometric.empty() && photometric != "MONOCHROME2" && photometric != "MONOCHROME1") {
    fail(fetch_errc::undecodable, label + ": photometric interpretation " + photometric + " is not grayscale");
  }

  h.rows = small_unsigned(ds, DCM_Rows, label, "Rows");
  h.columns = small_unsigned(ds, DCM_Columns, label, "Columns");
  if (h.rows == 0 || h.columns == 0) fail(fetch_errc::undecodable, label + ": an empty image (Rows or Columns 0)");
  h.bits_allocated = small_unsigned(ds, DCM_BitsAllocated, label, "BitsAllocated");
  if (h.bits_allocated != 8 && h.bits_allocated != 16) {
    fail(fetch_errc::undecodable, label + ": BitsAllocated " + std::to_string(h.bits_allocated) + " is not supported");
  }
  h.bits_stored = small_unsigned(ds, DCM_BitsStored, label, "BitsStored", h.bits_allocated);
  h.high_bit = small_unsigned(ds, DCM_HighBit, label, "HighBit", static_cast<long>(h.bits_stored) - 1);
  if (h.bits_stored == 0 || h.bits_stored > h.bits_allocated || h.high_bit >= h.bits_allocated ||
      h.high_bit + 1 < h.bits_stored) {
    fail(fetch_errc::undecodable, label + ": BitsStored " + std::to_string(h.bits_stored) + " / HighBit " +
                                      std::to_string(h.high_bit) + " do not fit BitsAllocated " +
                                      std::to_string(h.bits_allocated));
  }
  const unsigned representation = small_unsigned(ds, DCM_PixelRepresentation, label, "PixelRepresentation", 0);
  if (representation > 1) fail(fetch_errc::undecodable, label + ": PixelRepresentation " + std::to_string(representation));
  h.is_signed = representation == 1;

  const auto slope = present_number(ds, DCM_RescaleSlope, label, "RescaleSlope");
  if (!slope && ds.tagExists(DCM_ModalityLUTSequence)) {
    fail(fetch_errc::undecodable, label + ": a Modality LUT Sequence instead of RescaleSlope/Intercept is not supported");
  }
  h.slope = slope.value_or(1.0);
  h.intercept = present_number(ds, DCM_RescaleIntercept, label, "RescaleIntercept").value_or(0.0);
  if (h.slope == 0) fail(fetch_errc::undecodable, label + ": RescaleSlope is 0");
  check_rescaled_range(h);

  h.position = numbers<3>(ds, DCM_ImagePositionPatient, label, "ImagePositionPatient");
  h.orientation = numbers<6>(ds, DCM_ImageOrientationPatient, label, "ImageOrientationPatient");
  h.pixel_spacing = numbers<2>(ds, DCM_PixelSpacing, label, "PixelSpacing");
  if (h.pixel_spacing[0] <= 0 || h.pixel_spacing[1] <= 0) {
    fail(fetch_errc::undecodable, label + ": PixelSpacing is not positive");
  }
  return h;
}

// The unit normal of the slice plane, row cosines x column cosines.
std::array<double, 3> slice_normal(const slice_header& h) {
  const auto& o = h.orientation;
  const double row_length = std::hypot(o[0], o[1], o[2]);
  const double column_length = std::hypot(o[3], o[4], o[5]);
  const double dot = o[0] * o[3] + o[1] * o[4] + o[2] * o[5];
  if (std::abs(row_length - 1) > 0.01 || std::abs(column_length - 1) > 0.01 || std::abs(dot) > 0.01) {
    fail(fetch_errc::undecodable, h.label + ": ImageOrientationPatient is not two orthogonal unit vectors");
  }
  std::array<double, 3> n{o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
  const double length = std::hypot(n[0], n[1], n[2]);
  for (auto& c : n) c /= length;
  return n;
}

bool close(double a, double b, double tolerance) { return std::abs(a - b) <= tolerance * std::max(1.0, std::abs(a)); }

void check_same_grid(const slice_header& first, const slice_header& h) {
  if (h.identity.series_uid != first.identity.series_uid) {
    fail(fetch_errc::inconsistent_series, h.label + " belongs to series " + reference_of(h.identity.series_uid) +
                                              ", not " + reference_of(first.identity.series_uid) + " like " +
                                              first.label);
  }
  if (h.rows != first.rows || h.columns != first.columns) {
    fail(fetch_errc::inconsistent_series, h.label + " is " + std::to_string(h.columns) + "x" +
                                              std::to_string(h.rows) + " pixels but " + first.label + " is " +
                                              std::to_string(first.columns) + "x" + std::to_string(first.rows));
  }
  for (std::size_t i = 0; i < 6; ++i) {
    if (!close(h.orientation[i], first.orientation[i], 1e-3)) {
      fail(fetch_errc::inconsistent_series,
           h.label + " has another ImageOrientationPatient than " + first.label);
    }
  }
  for (std::size_t i = 0; i < 2; ++i) {
    if (!close(h.pixel_spacing[i], first.pixel_spacing[i], 1e-4)) {
      fail(fetch_errc::inconsistent_series, h.label + " has another PixelSpacing than " + first.label);
    }
  }
}

// Sorts the slices along the normal and checks that they are evenly spaced
// with none missing; returns the mean distance between consecutive slices.
double sort_and_check_spacing(std::vector<slice_header>& slices, double tolerance) {
  std::sort(slices.begin(), slices.end(),
            [](const slice_header& a, const slice_header& b) { return a.along_normal < b.along_normal; });
  std::vector<double> gaps;
  gaps.reserve(slices.size() - 1);
  for (std::size_t i = 1; i < slices.size(); ++i) {
    const double gap = slices[i].along_normal - slices[i - 1].along_normal;
    if (gap < 0.01) {
      const auto& a = slices[i - 1].label;
      const auto& b = slices[i].label;
      fail(fetch_errc::inconsistent_series, a == b ? a + " is given twice (duplicate slices)"
                                                   : a + " and " + b + " are at the same position (duplicate slices)");
    }
    gaps.push_back(gap);
  }
  std::vector<double> sorted_gaps = gaps;
  const auto middle = sorted_gaps.begin() + static_cast<std::ptrdiff_t>(sorted_gaps.size() / 2);
  std::nth_element(sorted_gaps.begin(), middle, sorted_gaps.end());
  const double median = *middle;
  for (std::size_t i = 0; i < gaps.size(); ++i) {
    const slice_header& a = slices[i];
    const slice_header& b = slices[i + 1];
    if (gaps[i] > 1.5 * median) {
      const auto missing = std::max<long>(1, std::lround(gaps[i] / median) - 1);
      fail(fetch_errc::inconsistent_series, "missing slices: about " + std::to_string(missing) + " between " +
                                                a.label + " and " + b.label + " (" + mm(gaps[i]) +
                                                " apart where slices are " + mm(median) + " apart)");
    }
    if (std::abs(gaps[i] - median) > std::max(tolerance * median, 1e-3)) {
      fail(fetch_errc::inconsistent_series, "uneven slice spacing: " + a.label + " and " + b.label + " are " +
                                                mm(gaps[i]) + " apart where slices are " + mm(median) + " apart");
    }
  }
  return (slices.back().along_normal - slices.front().along_normal) / static_cast<double>(slices.size() - 1);
}

// Stored values as BitsStored/HighBit/PixelRepresentation define them, rescaled.
template <typename Raw>
void rescale(const Raw* raw, float* out, std::size_t count, const slice_header& h) {
  const unsigned shift = h.high_bit + 1 - h.bits_stored;
  const std::uint32_t mask = (std::uint32_t{1} << h.bits_stored) - 1;
  const std::int32_t sign = h.is_signed ? std::int32_t{1} << (h.bits_stored - 1) : 0;
  const double slope = h.slope;
  const double intercept = h.intercept;
  for (std::size_t i = 0; i < count; ++i) {
    const auto stored = static_cast<std::int32_t>((static_cast<std::uint32_t>(raw[i]) >> shift) & mask);
    const std::int32_t value = (stored ^ sign) - sign;  // sign extension from bit BitsStored-1
    out[i] = static_cast<float>(value * slope + intercept);
  }
}

void decode_pixels(DcmDataset& ds, const slice_header& h, float* out, std::vector<std::uint16_t>& frame) {
  DcmElement* element = nullptr;
  auto* pixels = ds.findAndGetElement(DCM_PixelData, element).good() ? dynamic_cast<DcmPixelData*>(element) : nullptr;
  const bool encapsulated = DcmXfer(ds.getOriginalXfer()).isEncapsulated();
  if (pixels == nullptr || (!encapsulated && pixels->getLength() == 0)) {
    fail(fetch_errc::undecodable, h.label + ": no pixel data");
  }

  const std::size_t count = h.rows * h.columns;
  const std::size_t frame_bytes = count * (h.bits_allocated / 8);
  if (!encapsulated && pixels->getLength() < frame_bytes) {
    fail(fetch_errc::undecodable, h.label + ": pixel data has " + std::to_string(pixels->getLength()) +
                                      " bytes where " + std::to_string(frame_bytes) + " are needed");
  }
  if (frame_bytes >= std::numeric_limits<Uint32>::max()) {
    fail(fetch_errc::too_large, h.label + ": " + std::to_string(frame_bytes) + " bytes in one frame");
  }
  frame.resize(frame_bytes / 2 + 1);  // 16-bit words, with room for DCMTK's pad byte
  Uint32 fragment = 0;
  OFString color_model;
  const OFCondition status = pixels->getUncompressedFrame(
      &ds, 0, fragment, frame.data(), static_cast<Uint32>(frame.size() * sizeof(std::uint16_t)), color_model);
  if (status.bad()) fail(fetch_errc::undecodable, h.label + ": cannot decode the pixel data (DCMTK: " + status.text() + ")");

  // getUncompressedFrame returns samples in this machine's byte order.
  if (h.bits_allocated == 8) {
    rescale(reinterpret_cast<const std::uint8_t*>(frame.data()), out, count, h);
  } else {
    rescale(frame.data(), out, count, h);
  }
}

// Decodes the series; `files` keeps each instance as it was parsed, once.
volume decode(std::span<const std::string> instances, const decode_limits& limits, detail::parsed_instances& files) {
  if (instances.size() > limits.max_slices) {
    fail(fetch_errc::too_large, "the series has " + std::to_string(instances.size()) + " instances, more than the limit of " +
                                    std::to_string(limits.max_slices));
  }
  if (instances.size() < 2) {
    fail(fetch_errc::inconsistent_series,
         "a volume needs at least 2 slices, the series has " + std::to_string(instances.size()));
  }

  files.clear();
  files.reserve(instances.size());
  const auto parse = [&](std::size_t i) -> DcmDataset& {
    files.push_back(detail::read_dataset(instances[i], i));
    return *files.back()->getDataset();
  };
  std::vector<slice_header> slices;
  slices.reserve(instances.size());
  slices.push_back(read_slice_header(parse(0), 0));
  // Every slice must have the first one's size, so the first one tells the volume's.
  const std::size_t per_slice = slices[0].rows * slices[0].columns;
  if (per_slice * instances.size() > limits.max_voxels) {
    fail(fetch_errc::too_large, "the series has " + std::to_string(per_slice * instances.size()) +
                                    " voxels, more than the limit of " + std::to_string(limits.max_voxels));
  }
  for (std::size_t i = 1; i < instances.size(); ++i) slices.push_back(read_slice_header(parse(i), i));

  const slice_header& first = slices.front();
  const auto normal = slice_normal(first);
  for (auto& h : slices) {
    check_same_grid(first, h);
    h.along_normal = h.position[0] * normal[0] + h.position[1] * normal[1] + h.position[2] * normal[2];
  }
  const double z_spacing = sort_and_check_spacing(slices, limits.spacing_tolerance);

  volume v;
  const slice_header& lowest = slices.front();
  v.identity = lowest.identity;
  v.acquisition = lowest.acquisition;
  v.columns = lowest.columns;
  v.rows = lowest.rows;
  v.slices = slices.size();
  v.spacing = {lowest.pixel_spacing[1], lowest.pixel_spacing[0], z_spacing};
  v.origin = lowest.position;
  v.orientation = lowest.orientation;
  v.hu.resize(v.voxel_count());
  std::vector<std::uint16_t> frame;
  for (std::size_t z = 0; z < slices.size(); ++z) {
    decode_pixels(*files[slices[z].input]->getDataset(), slices[z], v.hu.data() + z * per_slice, frame);
  }
  return v;
}

}  // namespace

volume decode_series(std::span<const std::string> instances, const decode_limits& limits) {
  detail::parsed_instances files;
  return decode(instances, limits, files);
}

decoded_series decode_series_with_headers(std::span<const std::string> instances, const decode_limits& limits) {
  detail::parsed_instances files;
  decoded_series out;
  out.image = decode(instances, limits, files);
  out.headers = detail::series_headers_of(files);
  return out;
}

}  // namespace radbridge::fetch
