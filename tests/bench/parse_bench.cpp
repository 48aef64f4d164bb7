// parse_bench: HL7 v2 parse throughput of radbridge against two peers
// measured in the same run.
//
//   parse_bench [N] [--no-python]
//     N messages (default 100000) from hl7_corpus, seed fixed; --no-python
//     skips the python-hl7 peer (for profiling the C++ side, e.g. callgrind).
//
// radbridge: single-threaded hl7::message::parse(std::string_view) of every
// message, then message::raw(PID-3) and message::raw(OBR-4) with pre-parsed
// paths (OBR-4 is absent in ADT messages and still looked up); best of 5.
// bare index: one pass over each message recording the offsets of CR and '|'
// in a reused std::vector<uint32_t> -- the ceiling a tokenizer can approach.
// python-hl7: tests/bench/python_hl7_peer.py on the first 10,000 messages,
// written to a temporary file one message per line (messages use CR only);
// the script times only its parse loop, best of 3, and prints one line.
// Output ends with `ratio_vs_python_hl7=N` (radbridge MB/s / python-hl7 MB/s)
// on a line by itself. MB are 1e6 bytes. Exit 1 when python-hl7 is missing or
// a message does not parse.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/message.hpp"
#include "hl7/path.hpp"
#include "hl7_corpus.hpp"

#ifndef RADBRIDGE_BENCH_SOURCE_DIR
#error "RADBRIDGE_BENCH_SOURCE_DIR must name tests/bench (set by tests/bench/CMakeLists.txt)"
#endif

namespace {

namespace hl7 = radbridge::hl7;
namespace bench = radbridge::bench;
using clock_type = std::chrono::steady_clock;

constexpr int cpp_passes = 5;
constexpr int python_passes = 3;
constexpr std::size_t python_messages = 10'000;
constexpr const char* python_binary = "/usr/bin/python3";

struct timing {
  double seconds = std::numeric_limits<double>::infinity();  // best pass
  std::uint64_t checksum = 0;
  int passes = 0;
  bool stable = true;  // every pass computed the same checksum

  template <class F>
  void run(F&& pass) {
    const auto start = clock_type::now();
    const std::uint64_t sum = pass();
    const std::chrono::duration<double> elapsed = clock_type::now() - start;
    seconds = std::min(seconds, elapsed.count());
    if (passes++ > 0 && sum != checksum) stable = false;
    checksum = sum;
  }
};

double megabytes(std::size_t bytes) { return static_cast<double>(bytes) / 1e6; }

void report(const char* label, std::size_t messages, std::size_t bytes, double seconds, const char* how) {
  std::printf("%-11s messages=%zu MB=%.2f seconds=%.4f messages/s=%.0f MB/s=%.1f (%s)\n", label, messages,
              megabytes(bytes), seconds, static_cast<double>(messages) / seconds, megabytes(bytes) / seconds, how);
}

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += '\'';
  return out;
}

struct python_result {
  std::size_t messages = 0;
  std::size_t bytes = 0;
  double seconds = 0;
  std::string line;
};

// Runs the python-hl7 peer on `file`; prints why and returns false on failure.
bool run_python_peer(const std::filesystem::path& file, python_result& out) {
  const std::filesystem::path script = std::filesystem::path(RADBRIDGE_BENCH_SOURCE_DIR) / "python_hl7_peer.py";
  if (!std::filesystem::exists(python_binary)) {
    std::fprintf(stderr, "error: %s not found; the python-hl7 peer needs it (apt-get install python3 python3-hl7)\n",
                 python_binary);
    return false;
  }
  if (!std::filesystem::exists(script)) {
    std::fprintf(stderr, "error: %s not found\n", script.c_str());
    return false;
  }
  const std::string command = shell_quote(python_binary) + " " + shell_quote(script.string()) + " " +
                              shell_quote(file.string()) + " " + std::to_string(python_passes);
  std::fflush(stdout);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    std::perror("error: popen");
    return false;
  }
  std::string output;
  char chunk[4096];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) output.append(chunk, n);
  const int status = pclose(pipe);
  const int code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  if (code == 3) {
    std::fprintf(stderr, "error: python-hl7 is missing: `%s -c 'import hl7'` fails; install python3-hl7 "
                         "(apt-get install python3-hl7) or `pip install hl7`\n", python_binary);
    return false;
  }
  if (code != 0) {
    std::fprintf(stderr, "error: python-hl7 peer exited with status %d; output:\n%s\n", code, output.c_str());
    return false;
  }
  for (std::size_t begin = 0; begin < output.size();) {
    std::size_t end = output.find('\n', begin);
    if (end == std::string::npos) end = output.size();
    const std::string line = output.substr(begin, end - begin);
    if (line.starts_with("messages=")) {
      if (std::sscanf(line.c_str(), "messages=%zu bytes=%zu seconds=%lf", &out.messages, &out.bytes,
                      &out.seconds) == 3 &&
          out.seconds > 0) {
        out.line = line;
        return true;
      }
    }
    begin = end + 1;
  }
  std::fprintf(stderr, "error: python-hl7 peer printed no `messages=N bytes=N seconds=S` line; output:\n%s\n",
               output.c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 100'000;
  bool with_python = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--no-python") {
      with_python = false;
    } else if (arg.find_first_not_of("0123456789") == std::string_view::npos && arg.size() < 10 &&
               std::strtoull(argv[i], nullptr, 10) > 0) {
      count = std::strtoull(argv[i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: parse_bench [N] [--no-python]   (N messages, default 100000)\n");
      return 2;
    }
  }

  // Fail fast, before minutes of work, when the python-hl7 peer cannot run.
  if (with_python) {
    if (!std::filesystem::exists(python_binary)) {
      std::fprintf(stderr, "error: %s not found; the python-hl7 peer needs it (apt-get install python3 python3-hl7)\n",
                   python_binary);
      return 1;
    }
    const std::string probe = shell_quote(python_binary) + " -c 'import hl7' >/dev/null 2>&1";
    if (std::system(probe.c_str()) != 0) {
      std::fprintf(stderr, "error: python-hl7 is missing: `%s -c 'import hl7'` fails; install python3-hl7 "
                           "(apt-get install python3-hl7) or `pip install hl7`, or run with --no-python\n",
                   python_binary);
      return 1;
    }
  }

  // Corpus (not measured).
  const auto gen_start = clock_type::now();
  bench::corpus_stats stats;
  const std::vector<std::string> corpus = bench::make_hl7_corpus(count, bench::default_corpus_seed, &stats);
  const std::chrono::duration<double> gen_time = clock_type::now() - gen_start;
  std::size_t smallest = std::numeric_limits<std::size_t>::max(), largest = 0;
  for (const std::string& m : corpus) {
    smallest = std::min(smallest, m.size());
    largest = std::max(largest, m.size());
  }
  std::printf("corpus: %zu messages (ORM^O01 %zu, ADT^A01/A04/A08 %zu, ORU^R01 %zu; UTF-8 %zu), %.2f MB, "
              "average %.0f bytes (min %zu, max %zu), seed 0x%016llx, built with hl7::message_builder in %.2f s "
              "(not measured)\n",
              count, stats.orm_o01, stats.adt, stats.oru_r01, stats.utf8, megabytes(stats.bytes),
              static_cast<double>(stats.bytes) / static_cast<double>(count), smallest, largest,
              static_cast<unsigned long long>(bench::default_corpus_seed), gen_time.count());

  const hl7::path pid3 = *hl7::parse_path("PID-3");
  const hl7::path obr4 = *hl7::parse_path("OBR-4");

  // Every message must parse; this pass also warms caches and the allocator.
  std::size_t obr4_present = 0;
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    const auto m = hl7::message::parse(std::string_view(corpus[i]));
    if (!m) {
      std::fprintf(stderr, "error: message %zu does not parse: %s\n", i, m.error().to_string().c_str());
      return 1;
    }
    if (!m->raw(pid3)) {
      std::fprintf(stderr, "error: message %zu has no PID-3\n", i);
      return 1;
    }
    if (m->raw(obr4)) ++obr4_present;
  }
  if (obr4_present != stats.orm_o01 + stats.oru_r01) {
    std::fprintf(stderr, "error: OBR-4 found in %zu messages, expected %zu\n", obr4_present,
                 stats.orm_o01 + stats.oru_r01);
    return 1;
  }

  // radbridge: parse + PID-3 + OBR-4.
  auto radbridge_pass = [&] {
    std::uint64_t sum = 0;
    for (const std::string& bytes : corpus) {
      const auto m = hl7::message::parse(std::string_view(bytes));
      if (!m) continue;  // cannot happen: checked above
      if (const auto v = m->raw(pid3)) sum += v->size();
      if (const auto v = m->raw(obr4)) sum += v->size();
      else sum += 1;  // absent (ADT)
    }
    return sum;
  };

  // bare delimiter index: the ceiling.
  auto bare_pass = [&] {
    std::vector<std::uint32_t> offsets;
    offsets.reserve(1024);
    std::uint64_t sum = 0;
    for (const std::string& bytes : corpus) {
      offsets.clear();
      const char* p = bytes.data();
      const auto n = static_cast<std::uint32_t>(bytes.size());
      for (std::uint32_t i = 0; i < n; ++i) {
        if (p[i] == '\r' || p[i] == '|') offsets.push_back(i);
      }
      sum += offsets.size() + (offsets.empty() ? 0 : offsets.back());
    }
    return sum;
  };

  // Passes alternate, so a machine shared with other work slows both alike.
  timing cpp, bare;
  for (int i = 0; i < cpp_passes; ++i) {
    cpp.run(radbridge_pass);
    bare.run(bare_pass);
  }
  const double cpp_mbps = megabytes(stats.bytes) / cpp.seconds;
  report("radbridge", count, stats.bytes, cpp.seconds, "message::parse + raw(PID-3) + raw(OBR-4), best of 5");
  std::printf("checksum=%llu (PID-3 and OBR-4 lengths, +1 per absent OBR-4; OBR-4 present in %zu, absent in %zu)%s\n",
              static_cast<unsigned long long>(cpp.checksum), obr4_present, count - obr4_present,
              cpp.stable ? "" : " UNSTABLE ACROSS PASSES");

  const double bare_mbps = megabytes(stats.bytes) / bare.seconds;
  report("bare_index", count, stats.bytes, bare.seconds,
         "offsets of CR and '|' into a reused vector, best of 5, passes alternate with radbridge's");
  std::printf("bare_index_checksum=%llu\n", static_cast<unsigned long long>(bare.checksum));
  std::printf("ratio_vs_bare_index=%.2f\n", cpp_mbps / bare_mbps);

  if (!with_python) return 0;

  // python-hl7 on a slice of the same corpus.
  const std::size_t slice = std::min(python_messages, corpus.size());
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("radbridge_parse_bench_" + std::to_string(getpid()) + ".hl7");
  std::size_t slice_bytes = 0;
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    for (std::size_t i = 0; i < slice; ++i) {
      out.write(corpus[i].data(), static_cast<std::streamsize>(corpus[i].size()));
      out.put('\n');  // record separator: messages contain CR only, never LF
      slice_bytes += corpus[i].size();
    }
    if (!out) {
      std::fprintf(stderr, "error: cannot write %s\n", file.c_str());
      return 1;
    }
  }
  python_result py;
  const bool python_ok = run_python_peer(file, py);
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
  if (!python_ok) return 1;
  if (py.messages != slice || py.bytes != slice_bytes) {
    std::fprintf(stderr, "error: python-hl7 peer read %zu messages / %zu bytes, wrote %zu / %zu\n", py.messages,
                 py.bytes, slice, slice_bytes);
    return 1;
  }
  std::printf("python-hl7 raw: %s\n", py.line.c_str());
  const std::string how = "hl7.parse + PID-3 + OBR-4, first " + std::to_string(slice) + " messages, best of 3";
  report("python-hl7", py.messages, py.bytes, py.seconds, how.c_str());
  std::printf("ratio_vs_python_hl7=%.1f\n", cpp_mbps / (megabytes(py.bytes) / py.seconds));
  return 0;
}
