// The only translation unit that includes libtorch.
#include "infer/model_runner.hpp"

#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include <fmt/format.h>

#include "core/sha256.hpp"

namespace radbridge::infer {

std::string_view to_string(infer_errc c) noexcept {
  switch (c) {
    case infer_errc::unreadable_model: return "unreadable_model";
    case infer_errc::hash_mismatch: return "hash_mismatch";
    case infer_errc::bad_model: return "bad_model";
    case infer_errc::wrong_modality: return "wrong_modality";
    case infer_errc::wrong_body_part: return "wrong_body_part";
    case infer_errc::bad_output: return "bad_output";
  }
  return "unknown";
}

namespace {

using clock_type = std::chrono::steady_clock;

double millis_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

std::int64_t signed_size(std::size_t n) { return static_cast<std::int64_t>(n); }

}  // namespace

struct model_runner::impl {
  model_spec spec;
  torch::jit::script::Module module;

  torch::Tensor forward(const torch::Tensor& input) {
    std::vector<torch::jit::IValue> inputs{input};
    return module.forward(inputs).toTensor();
  }
};

model_runner::model_runner(model_spec spec, runner_options options) : impl_(std::make_unique<impl>()) {
  impl_->spec = std::move(spec);
  const model_spec& s = impl_->spec;
  const std::optional<model_file> file = read_model_file(s);
  if (!file) throw infer_error(infer_errc::unreadable_model, fmt::format("model {}: cannot read {}", s.id, s.file));
  if (file->sha256 != s.sha256) {
    throw infer_error(infer_errc::hash_mismatch, fmt::format("model {} {}: {} has sha256 {}, the registry says {}", s.id,
                                                             s.version, s.file, file->sha256, s.sha256));
  }
  const std::string& bytes = file->bytes;
  if (options.threads > 0) torch::set_num_threads(options.threads);
  try {
    std::istringstream stream(bytes);
    impl_->module = torch::jit::load(stream, torch::kCPU);
    impl_->module.eval();
  } catch (const std::exception& e) {
    throw infer_error(infer_errc::bad_model, fmt::format("model {} {}: libtorch cannot load {}: {}", s.id, s.version,
                                                         s.file, std::string(e.what()).substr(0, 200)));
  }
  if (options.warm_up) {
    const std::vector<float> zeros(s.size[0] * s.size[1] * s.size[2], 0.0f);
    infer(zeros, 1.0);
  }
}

model_runner::~model_runner() = default;
model_runner::model_runner(model_runner&&) noexcept = default;
model_runner& model_runner::operator=(model_runner&&) noexcept = default;

const model_spec& model_runner::spec() const noexcept { return impl_->spec; }

void model_runner::check_accepts(const fetch::volume& v) const {
  const model_spec& s = impl_->spec;
  const fetch::series_identity& id = v.identity;
  if (id.modality != s.modality) {
    throw infer_error(infer_errc::wrong_modality,
                      fmt::format("model {} accepts modality {}; series {} is {}", s.id, s.modality,
                                  reference_of(id.series_uid), id.modality.empty() ? "without a modality" : id.modality));
  }
  if (!id.body_part.empty() && !s.body_parts.empty() &&
      std::find(s.body_parts.begin(), s.body_parts.end(), id.body_part) == s.body_parts.end()) {
    throw infer_error(infer_errc::wrong_body_part, fmt::format("model {} accepts body parts {}; series {} is {}", s.id,
                                                               fmt::join(s.body_parts, ", "),
                                                               reference_of(id.series_uid), id.body_part));
  }
}

double model_runner::resampled_voxel_ml(const fetch::volume& v) const noexcept {
  const auto& size = impl_->spec.size;
  const double x = static_cast<double>(v.columns) * v.spacing[0] / static_cast<double>(size[2]);
  const double y = static_cast<double>(v.rows) * v.spacing[1] / static_cast<double>(size[1]);
  const double z = static_cast<double>(v.slices) * v.spacing[2] / static_cast<double>(size[0]);
  return x * y * z / 1000.0;
}

std::vector<float> model_runner::preprocess(const fetch::volume& v) const {
  const model_spec& s = impl_->spec;
  c10::InferenceMode guard;
  // from_blob does not copy and never writes: the const_cast only satisfies its signature.
  const torch::Tensor hu =
      torch::from_blob(const_cast<float*>(v.hu.data()),
                       {1, 1, signed_size(v.slices), signed_size(v.rows), signed_size(v.columns)}, torch::kFloat32);
  namespace F = torch::nn::functional;
  torch::Tensor x = F::interpolate(hu, F::InterpolateFuncOptions()
                                           .size(std::vector<std::int64_t>{signed_size(s.size[0]), signed_size(s.size[1]),
                                                                           signed_size(s.size[2])})
                                           .mode(torch::kTrilinear)
                                           .align_corners(false));
  const double low = s.window_center - s.window_width / 2;
  x = ((x - low) / s.window_width).clamp(0.0, 1.0).contiguous();
  const float* data = x.data_ptr<float>();
  return std::vector<float>(data, data + x.numel());
}

std::vector<finding> model_runner::infer(std::span<const float> input, double voxel_ml) const {
  const model_spec& s = impl_->spec;
  const std::size_t expected = s.size[0] * s.size[1] * s.size[2];
  if (input.size() != expected) {
    throw std::invalid_argument(fmt::format("model {}: input has {} values, not {}", s.id, input.size(), expected));
  }
  c10::InferenceMode guard;
  const torch::Tensor x =
      torch::from_blob(const_cast<float*>(input.data()),
                       {1, 1, signed_size(s.size[0]), signed_size(s.size[1]), signed_size(s.size[2])}, torch::kFloat32);
  torch::Tensor out;
  try {
    out = impl_->forward(x);
  } catch (const std::exception& e) {
    throw infer_error(infer_errc::bad_output,
                      fmt::format("model {} {}: forward failed: {}", s.id, s.version, std::string(e.what()).substr(0, 200)));
  }
  finding f;
  f.label = s.label;
  f.display = s.display;
  if (s.kind == output_kind::probability) {
    if (out.numel() != 1) {
      throw infer_error(infer_errc::bad_output,
                        fmt::format("model {}: a probability output must hold one value, not {}", s.id, out.numel()));
    }
    const double p = out.to(torch::kFloat64).item<double>();
    if (!(p >= 0.0 && p <= 1.0)) {
      throw infer_error(infer_errc::bad_output, fmt::format("model {}: probability {} is outside [0, 1]", s.id, p));
    }
    f.present = p >= s.threshold;
    f.probability = p;
  } else {
    if (out.numel() != static_cast<std::int64_t>(expected)) {
      throw infer_error(infer_errc::bad_output, fmt::format("model {}: a segmentation output must hold {} values, not {}",
                                                            s.id, expected, out.numel()));
    }
    const std::int64_t voxels = (out >= s.threshold).sum().item<std::int64_t>();
    f.value = static_cast<double>(voxels) * voxel_ml;
    f.unit = s.unit;
  }
  return {f};
}

inference_result model_runner::run(const fetch::volume& v) const {
  check_accepts(v);
  inference_result r;
  r.model_id = impl_->spec.id;
  r.version = impl_->spec.version;
  r.sha256 = impl_->spec.sha256;
  r.study_uid = v.identity.study_uid;
  r.series_uid = v.identity.series_uid;
  auto start = clock_type::now();
  const std::vector<float> input = preprocess(v);
  r.timings_ms.push_back({"preprocess", millis_since(start)});
  start = clock_type::now();
  r.findings = infer(input, resampled_voxel_ml(v));
  r.timings_ms.push_back({"inference", millis_since(start)});
  return r;
}

}  // namespace radbridge::infer
