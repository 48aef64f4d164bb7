// fuzz_dicom: DICOM Part 10 bytes as the PACS (or a folder) hands them to
// the job runner, through DCMTK into series headers and a Hounsfield-unit
// volume (engine/fetch: decode_series_with_headers, which is what fetching
// a study for a job does).
//
// The input is a series: its instances separated by the line
// "\n--radbridge-next-instance--\n" (at most 8 instances). Limits are small
// (64 slices, 2^22 voxels) so that a claimed size is refused, not allocated.
//
// DCMTK allocates an element's declared length (up to 4 GiB from a few
// corrupt bytes) before it reads the value. Under ASan such an allocation
// costs seconds (its shadow is poisoned), so this target caps allocations
// at 256 MiB (__asan_default_options below): DCMTK's nothrow new then fails
// and it reports the data set as unreadable, the outcome it reaches in
// production too once the value turns out to be cut short.
//
// Checked for every input: the only exception is fetch_error, with a code
// decoding can give (undecodable, inconsistent_series, too_large, not_found)
// and a message; a decoded volume has columns * rows * slices finite values,
// at least two slices, positive finite spacing, and headers for at least
// one and at most as many instances as it was given.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fetch/dicom_decode.hpp"
#include "fetch/fetch_error.hpp"
#include "fuzz_check.hpp"

namespace {

namespace fetch = radbridge::fetch;

constexpr std::string_view separator = "\n--radbridge-next-instance--\n";
constexpr std::size_t max_instances = 8;

std::vector<std::string> split(std::string_view input) {
  std::vector<std::string> out;
  while (out.size() + 1 < max_instances) {
    const std::size_t at = input.find(separator);
    if (at == std::string_view::npos) break;
    out.emplace_back(input.substr(0, at));
    input.remove_prefix(at + separator.size());
  }
  out.emplace_back(input);
  return out;
}

}  // namespace

// Defaults that ASAN_OPTIONS from the environment extend or override.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1:max_allocation_size_mb=256"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string> instances = split(std::string_view(reinterpret_cast<const char*>(data), size));
  fetch::decode_limits limits;
  limits.max_slices = 64;
  limits.max_voxels = std::size_t{1} << 22;
  try {
    const fetch::decoded_series s = fetch::decode_series_with_headers(instances, limits);
    const fetch::volume& v = s.image;
    const std::string shape = std::to_string(v.columns) + " x " + std::to_string(v.rows) + " x " +
                             std::to_string(v.slices) + " from " + std::to_string(instances.size()) + " instances";
    FUZZ_CHECK_MSG(v.slices >= 2 && v.slices <= instances.size(), shape);
    FUZZ_CHECK_MSG(v.columns > 0 && v.rows > 0, shape);
    FUZZ_CHECK_MSG(v.voxel_count() <= limits.max_voxels, shape);
    FUZZ_CHECK_MSG(v.hu.size() == v.voxel_count(), std::to_string(v.hu.size()) + " values for " + shape);
    for (const double d : v.spacing) FUZZ_CHECK_MSG(std::isfinite(d) && d > 0, std::to_string(d));
    for (const float hu : v.hu) FUZZ_CHECK_MSG(std::isfinite(hu), std::to_string(hu));
    FUZZ_CHECK_MSG(!s.headers.instances.empty() && s.headers.instances.size() <= instances.size(),
                   std::to_string(s.headers.instances.size()) + " header instances for " + shape);
  } catch (const fetch::fetch_error& e) {
    const fetch::fetch_errc c = e.code();
    FUZZ_CHECK_MSG(c == fetch::fetch_errc::undecodable || c == fetch::fetch_errc::inconsistent_series ||
                       c == fetch::fetch_errc::too_large || c == fetch::fetch_errc::not_found,
                   std::string(fetch::to_string(c)) + ": " + e.what());
    FUZZ_CHECK(std::string_view(e.what()).size() > 0);
  }
  return 0;
}
