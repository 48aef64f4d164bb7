// One registry model, loaded with libtorch and run on decoded volumes.
// libtorch stays behind this header: no torch type appears here.
//
// Construction reads the model file, refuses it unless its SHA-256 is the
// registry's (hash_mismatch: a corrupted or swapped file never runs), loads
// it (bad_model), sets libtorch's intra-op thread count (process-wide) when
// `threads` > 0, and warms it up with one pass on an input of zeros so the
// first study does not pay for lazy initialisation.
//
// `run` checks that the volume is what the model accepts (wrong_modality;
// wrong_body_part when the series names a body part outside the model's
// list — an empty BodyPartExamined is accepted; messages name the series by
// the reference_of its UID, core/sha256.hpp), prepares the input in C++
// and infers:
//   1. resample the whole HU volume to the model's [D, H, W] by trilinear
//      interpolation (torch's interpolate with align_corners=false, the
//      same call the training scripts use, models/train/preprocess.py);
//   2. window: x = clamp((hu - (center - width / 2)) / width, 0, 1).
// A probability output gives `present` (probability >= threshold) and the
// probability; a segmentation output gives the volume of the voxels whose
// probability is >= threshold, in mL, each resampled voxel counting
// (columns * sx / W) * (rows * sy / H) * (slices * sz / D) / 1000 mL.
// `run` may be called from several threads at once.
#pragma once

#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "fetch/volume.hpp"
#include "infer/inference_result.hpp"
#include "infer/model_registry.hpp"

namespace radbridge::infer {

enum class infer_errc { unreadable_model, hash_mismatch, bad_model, wrong_modality, wrong_body_part, bad_output };

std::string_view to_string(infer_errc c) noexcept;

class infer_error : public std::runtime_error {
 public:
  infer_error(infer_errc code, const std::string& what) : std::runtime_error(what), code_(code) {}
  infer_errc code() const noexcept { return code_; }

 private:
  infer_errc code_;
};

struct runner_options {
  int threads = 0;  // libtorch intra-op threads; 0 leaves libtorch's default
  bool warm_up = true;
};

class model_runner {
 public:
  explicit model_runner(model_spec spec, runner_options options = {});
  ~model_runner();
  model_runner(model_runner&&) noexcept;
  model_runner& operator=(model_runner&&) noexcept;

  const model_spec& spec() const noexcept;
  inference_result run(const fetch::volume& v) const;

  // The steps of `run`, for benchmarks and tests.
  void check_accepts(const fetch::volume& v) const;
  std::vector<float> preprocess(const fetch::volume& v) const;  // D * H * W values in [0, 1]
  std::vector<finding> infer(std::span<const float> input, double resampled_voxel_ml) const;
  double resampled_voxel_ml(const fetch::volume& v) const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace radbridge::infer
