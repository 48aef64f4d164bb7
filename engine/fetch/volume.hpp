// A decoded image series: one CT (or other cross-sectional) series as a
// volume of Hounsfield units with its geometry and identity.
//
// Voxels are stored slice by slice, row by row: voxel (x, y, z) is
// hu[(z * rows + y) * columns + x]. Slices are sorted by their position
// along the slice normal (the cross product of the row and column
// direction cosines), ascending; `spacing[2]` is the distance between
// consecutive slice positions (not SliceThickness). Values are already
// rescaled (RescaleSlope/Intercept applied), as float.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace radbridge::fetch {

struct series_identity {
  std::string study_uid;
  std::string series_uid;
  std::string accession;
  std::string patient_id;
  std::string modality;            // (0008,0060)
  std::string body_part;           // (0018,0015), upper case as stored
  std::string series_description;  // (0008,103E)
};

// How the series was acquired, as its first instance says (for drift
// monitors: a new scanner or protocol changes what a model sees).
struct acquisition {
  std::string manufacturer;               // (0008,0070)
  std::optional<double> kvp;              // (0018,0060)
  std::optional<double> slice_thickness;  // (0018,0050), mm
};

struct volume {
  series_identity identity;
  fetch::acquisition acquisition;
  std::size_t columns = 0;  // x
  std::size_t rows = 0;     // y
  std::size_t slices = 0;   // z
  std::array<double, 3> spacing{};      // mm between voxel centres along x, y, z
  std::array<double, 3> origin{};       // ImagePositionPatient of the first sorted slice
  std::array<double, 6> orientation{};  // ImageOrientationPatient: row cosines, then column cosines
  std::vector<float> hu;                // slices * rows * columns values

  std::size_t voxel_count() const noexcept { return columns * rows * slices; }
  double voxel_ml() const noexcept { return spacing[0] * spacing[1] * spacing[2] / 1000.0; }
};

}  // namespace radbridge::fetch
