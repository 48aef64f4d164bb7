// Synthetic DICOM studies for tests, made by the real tools:
// models/train/synth_ct.py (with Debian's /usr/bin/python3 and pydicom) and
// DCMTK's command-line programs (dcmcjpeg, dcmcrle, dcmcjpls, dcmconv,
// dcmodify). Each study lives in its own temporary folder, removed at the end.
//
// `reference_hu` is the generator's own volume (its npz output for the same
// seed, slice count and size) as float, in volume.hpp's layout: slice k of
// the generator is the k-th slice along +z, which is how the decoder sorts.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"
#include "support/process.hpp"

namespace radbridge::test {

namespace fs = std::filesystem;

inline std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// Runs a shell command; a failure throws std::runtime_error naming the command.
inline void shell(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  if (status != 0) throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command);
}

inline void python(const std::string& script, const std::string& args = {}) {
  temp_folder folder;
  const fs::path file = folder.path() / "script.py";
  std::ofstream(file) << script;
  shell("/usr/bin/python3 " + quoted(file) + " " + args);
}

inline fs::path generator() { return source_dir() / "models/train/synth_ct.py"; }

// DIR/study-000/IM0001.dcm ... and DIR/truth.json.
inline void generate(const fs::path& out, int seed, int studies, int slices, int size, const char* format = "dicom") {
  shell("/usr/bin/python3 " + quoted(generator()) + " --seed " + std::to_string(seed) + " --studies " +
        std::to_string(studies) + " --out " + quoted(out) + " --slices " + std::to_string(slices) + " --size " +
        std::to_string(size) + " --format " + format);
}

inline std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

inline std::vector<std::string> read_all(const std::vector<fs::path>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(read_file(f));
  return out;
}

inline std::vector<float> read_floats(const fs::path& file) {
  const std::string bytes = read_file(file);
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

// One generated study (seed 7, study 0) and the generator's HU for it.
struct synthetic_study {
  static constexpr int seed = 7;
  static constexpr int slices = 8;
  static constexpr int size = 64;

  temp_folder root;
  fs::path series;  // the folder with IM0001.dcm ...
  std::vector<float> reference_hu;

  synthetic_study() {
    generate(root.path() / "dicom", seed, 1, slices, size);
    generate(root.path() / "npz", seed, 1, slices, size, "npz");
    series = root.path() / "dicom" / "study-000";
    const fs::path raw = root.path() / "reference.f32";
    python("import numpy as np, sys\n"
           "np.load(sys.argv[1])['hu'].astype('<f4').tofile(sys.argv[2])\n",
           quoted(root.path() / "npz" / "study-000.npz") + " " + quoted(raw));
    reference_hu = read_floats(raw);
  }
};

// Built once per test program; the generator takes about a second.
inline const synthetic_study& shared_study() {
  static const synthetic_study study;
  return study;
}

// A copy of the shared study's files in a fresh folder, to change with DCMTK tools.
inline std::vector<fs::path> copy_series(const fs::path& to) {
  fs::create_directories(to);
  std::vector<fs::path> out;
  for (const auto& f : files_in(shared_study().series)) {
    out.push_back(to / f.filename());
    fs::copy_file(f, out.back());
  }
  return out;
}

}  // namespace radbridge::test
