// infer_bench: one study from a PACS to the models' findings, stage by stage,
// against the same TorchScript models run by Debian's Python torch on the
// same preprocessed tensors, measured in the same run.
//
//   infer_bench [RUNS]   (default 20)
//
// 1. A synthetic head CT of 64 slices of 512 x 512 with a hemorrhage
//    (models/train/synth_ct.py, seed 4242) uploaded to a private Orthanc
//    (tests/support/orthanc_server).
// 2. RUNS times, through the engine's own code: fetch (QIDO-RS find by
//    accession + series list, WADO-RS retrieve), decode (DCMTK), then for
//    each registry model preprocess and infer (libtorch, 2 intra-op threads);
//    p50 and p99 of each stage and of fetch-to-result, for each model alone
//    and for both in turn.
// 3. Each model's preprocessed tensor written to a file and run RUNS times by
//    tests/bench/python_torch_peer.py (2 threads, inference_mode, warmed up).
//    The C++ and Python inference runs alternate in two halves so that a
//    slow moment of the shared machine weighs on both.
// 4. Last line: ratio_vs_python_torch = (sum over the models of C++
//    inference p50) / (the same for Python). Targets: at most 1.05, and
//    fetch-to-result p99 under 3 s (checked for both models in turn).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fetch/dicomweb_client.hpp"
#include "fetch/study_fetch.hpp"
#include "infer/model_registry.hpp"
#include "infer/model_runner.hpp"
#include "support/orthanc_server.hpp"
#include "support/synthetic_studies.hpp"

namespace fetch = radbridge::fetch;
namespace infer = radbridge::infer;
namespace test = radbridge::test;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr int threads = 2;

double millis_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double rank = q * static_cast<double>(v.size() - 1);
  const auto low = static_cast<std::size_t>(rank);
  const std::size_t high = std::min(low + 1, v.size() - 1);
  return v[low] + (v[high] - v[low]) * (rank - static_cast<double>(low));
}

struct stage {
  std::string name;
  std::vector<double> ms;
};

void print(const stage& s) {
  std::printf("  %-34s p50 %9.1f ms   p99 %9.1f ms\n", s.name.c_str(), percentile(s.ms, 0.5), percentile(s.ms, 0.99));
}

std::vector<double> python_runs(const infer::model_spec& spec, const fs::path& input, int runs) {
  const fs::path out = input.string() + ".python";
  const std::string command = "/usr/bin/python3 " + test::quoted(fs::path(RADBRIDGE_BENCH_SOURCE_DIR) / "python_torch_peer.py") +
                              " " + test::quoted(spec.file) + " " + test::quoted(input) + " " +
                              std::to_string(spec.size[0]) + " " + std::to_string(spec.size[1]) + " " +
                              std::to_string(spec.size[2]) + " " + std::to_string(threads) + " " + std::to_string(runs) +
                              " > " + test::quoted(out);
  if (std::system(command.c_str()) != 0) throw std::runtime_error("the Python peer failed: " + command);
  std::vector<double> ms;
  std::istringstream lines(test::read_file(out));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("ms=")) ms.push_back(std::stod(line.substr(3)));
  }
  if (ms.size() != static_cast<std::size_t>(runs)) throw std::runtime_error("the Python peer printed too few runs");
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 20;
  if (runs < 2 || runs > 10000) {
    std::fprintf(stderr, "usage: infer_bench [RUNS]   (2 to 10000, default 20)\n");
    return 2;
  }
  ::setenv("RADBRIDGE_SOURCE_DIR", RADBRIDGE_SOURCE_ROOT, 0);  // models/, the generator: from any folder
  try {
    test::temp_folder folder;
    std::printf("infer_bench: %d runs, %d intra-op threads; generating a 64 x 512 x 512 head CT\n", runs, threads);
    std::fflush(stdout);
    test::shell("/usr/bin/python3 " + test::quoted(test::generator()) + " --seed 4242 --studies 1 --out " +
                test::quoted(folder.path() / "study") + " --slices 64 --size 512 --hemorrhage-fraction 1");
    test::orthanc_server pacs;
    const std::size_t uploaded = pacs.upload(folder.path() / "study");
    std::printf("orthanc on %s: %zu instances uploaded\n", pacs.base_url().c_str(), uploaded);

    const infer::model_registry registry = infer::load_registry((test::source_dir() / "models/registry.json").string());
    std::vector<infer::model_runner> runners;
    for (const infer::model_spec& spec : registry.models) runners.emplace_back(spec, infer::runner_options{threads, true});

    fetch::dicomweb_settings settings;
    settings.base_url = pacs.dicomweb_url();
    const fetch::dicomweb_client client(settings);
    fetch::series_rule rule;
    rule.modalities = {"CT"};
    const std::string accession = "SYN4242N0";

    stage fetch_stage{"fetch (find + retrieve)", {}}, decode_stage{"decode (DCMTK)", {}},
        total{"fetch to result, both models", {}};
    std::vector<stage> preprocess(runners.size()), inference(runners.size()), python(runners.size());
    for (std::size_t m = 0; m < runners.size(); ++m) {
      preprocess[m].name = "preprocess " + runners[m].spec().id;
      inference[m].name = "infer " + runners[m].spec().id + " (C++)";
      python[m].name = "infer " + runners[m].spec().id + " (Python)";
    }
    std::vector<fs::path> inputs(runners.size());
    std::size_t bytes = 0;
    for (int half = 0; half < 2; ++half) {
      const int n = half == 0 ? runs / 2 : runs - runs / 2;
      for (int i = 0; i < n; ++i) {
        const auto start = clock_type::now();
        const fetch::fetched_series series =
            fetch::fetch_series(client, {fetch::study_key::kind::accession, accession}, rule);
        fetch_stage.ms.push_back(series.find_ms + series.retrieve_ms);
        decode_stage.ms.push_back(series.decode_ms);
        bytes = series.bytes;
        for (std::size_t m = 0; m < runners.size(); ++m) {
          runners[m].check_accepts(series.image);
          auto t = clock_type::now();
          const std::vector<float> input = runners[m].preprocess(series.image);
          preprocess[m].ms.push_back(millis_since(t));
          t = clock_type::now();
          runners[m].infer(input, runners[m].resampled_voxel_ml(series.image));
          inference[m].ms.push_back(millis_since(t));
          if (inputs[m].empty()) {
            inputs[m] = folder.path() / (runners[m].spec().id + ".f32");
            std::ofstream(inputs[m], std::ios::binary)
                .write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size() * sizeof(float)));
          }
        }
        total.ms.push_back(millis_since(start));
      }
      for (std::size_t m = 0; m < runners.size(); ++m) {
        const std::vector<double> ms = python_runs(runners[m].spec(), inputs[m], n);
        python[m].ms.insert(python[m].ms.end(), ms.begin(), ms.end());
      }
    }

    std::printf("study: %zu bytes over WADO-RS\n", bytes);
    print(fetch_stage);
    print(decode_stage);
    double cpp = 0, py = 0;
    for (std::size_t m = 0; m < runners.size(); ++m) {
      print(preprocess[m]);
      print(inference[m]);
      print(python[m]);
      cpp += percentile(inference[m].ms, 0.5);
      py += percentile(python[m].ms, 0.5);
    }
    // One model alone (a route that runs one): fetch, decode and its own steps.
    for (std::size_t m = 0; m < runners.size(); ++m) {
      stage alone{"fetch to result, " + runners[m].spec().id + " alone", {}};
      for (std::size_t i = 0; i < fetch_stage.ms.size(); ++i) {
        alone.ms.push_back(fetch_stage.ms[i] + decode_stage.ms[i] + preprocess[m].ms[i] + inference[m].ms[i]);
      }
      print(alone);
    }
    print(total);
    const double p99 = percentile(total.ms, 0.99);
    const double ratio = cpp / py;
    std::printf("target ratio <= 1.05 (C++ inference p50 over Python's, summed over the models): %.3f, %s\n", ratio,
                ratio <= 1.05 ? "met" : "MISSED");
    std::printf("target fetch-to-result p99 < 3000 ms (both models): %.0f ms, %s\n", p99, p99 < 3000 ? "met" : "MISSED");
    std::printf("ratio_vs_python_torch=%.3f\n", ratio);
    return 0;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "infer_bench: error: %s\n", e.what());
    return 1;
  }
}
