// One DICOM series (its instances' bytes) into a Hounsfield-unit volume.
//
// Each input string is one Part 10 file (a bare dataset is accepted when
// DCMTK can tell its transfer syntax), single-frame, grayscale, 8 or 16 bits
// allocated, in any order. Transfer syntaxes: implicit/explicit little
// endian, explicit big endian, deflated, RLE, JPEG lossless and baseline,
// JPEG-LS; anything else (JPEG 2000, video) is `undecodable`. Stored values
// are read as BitsStored/HighBit/PixelRepresentation say and rescaled with
// RescaleSlope/Intercept. Slices are sorted along the normal of
// ImageOrientationPatient (see volume.hpp for the layout and geometry).
//
// Errors are fetch_error with a reason naming the instance by InstanceNumber
// and the reference_of its SOPInstanceUID (fetch_error.hpp), never by the
// UID or patient data:
//   undecodable          not DICOM, cut short, an unsupported transfer syntax,
//                        multi-frame, colour, missing pixel data or geometry,
//                        a RescaleSlope/Intercept that is not a finite number
//                        or takes a stored value beyond a float's range
//   inconsistent_series  fewer than 2 slices; mixed series, Rows/Columns,
//                        PixelSpacing or orientation; two slices at one
//                        position; a gap over 1.5x the median slice spacing
//                        (a missing slice); spacing otherwise uneven beyond
//                        `spacing_tolerance`
//   too_large            more than `max_slices` instances or `max_voxels` voxels
// Geometry and limits are checked on the headers before any pixel data is
// decompressed. Whether the modality suits the caller is the caller's call
// (volume::identity::modality). Thread-safe: calls share nothing but DCMTK's
// codec registry.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "fetch/series_headers.hpp"
#include "fetch/volume.hpp"

namespace radbridge::fetch {

struct decode_limits {
  std::size_t max_slices = 2048;
  std::size_t max_voxels = std::size_t{1} << 29;  // 2 GiB of float
  // Largest accepted deviation of one slice-to-slice distance from the median
  // distance, as a fraction of it (gaps over 1.5x are reported as missing slices).
  double spacing_tolerance = 0.1;
};

volume decode_series(std::span<const std::string> instances, const decode_limits& limits = {});

// decode_series and read_series_headers (series_headers.hpp) with each
// instance parsed once: what fetching a study for a job does.
struct decoded_series {
  volume image;
  series_headers headers;
};
decoded_series decode_series_with_headers(std::span<const std::string> instances, const decode_limits& limits = {});

}  // namespace radbridge::fetch
