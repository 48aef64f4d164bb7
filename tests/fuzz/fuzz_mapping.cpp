// fuzz_mapping: the mapping loader (engine/route: check_mappings, and with it
// the JSON reader, the JSON Schema check, our reading of every value and the
// whole-set checks: models, findings, destinations, overlaps) on one mapping
// file, then route matching on sample orders when the file is valid.
//
// The loader reads files by path and has no text entry for the whole-set
// checks, so the input is written to an in-memory file (memfd_create) and
// given as /proc/self/fd/N: nothing touches the disk. The model registry is
// the repository's (models/registry.json), read once at start.
//
// Checked for every input: check_mappings returns (never throws), and every
// problem is `FILE:LINE:COL: reason` in that file; a file without problems
// loads with load_mappings too, and its routes match the sample orders
// without throwing.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "hl7/message.hpp"
#include "infer/model_registry.hpp"
#include "route/mapping_loader.hpp"
#include "route/match.hpp"

namespace {

namespace route = radbridge::route;
namespace infer = radbridge::infer;
namespace hl7 = radbridge::hl7;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in) {
    std::fprintf(stderr, "fuzz_mapping: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return std::move(s).str();
}

struct fixture {
  int fd = -1;
  std::string path;
  infer::model_registry registry;
  std::vector<hl7::message> orders;
};

fixture* g_fixture = nullptr;

bool digits(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; }

// `FILE:LINE:COL: reason`.
bool located(std::string_view problem, std::string_view file) {
  if (!problem.starts_with(file) || problem.size() <= file.size() || problem[file.size()] != ':') return false;
  std::string_view rest = problem.substr(file.size() + 1);
  const std::size_t c1 = rest.find(':');
  if (c1 == std::string_view::npos || !digits(rest.substr(0, c1))) return false;
  rest = rest.substr(c1 + 1);
  const std::size_t c2 = rest.find(':');
  if (c2 == std::string_view::npos || !digits(rest.substr(0, c2))) return false;
  rest = rest.substr(c2 + 1);
  return rest.size() > 1 && rest[0] == ' ';
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static fixture f;
  const std::string source = RADBRIDGE_SOURCE_DIR;
  f.registry = infer::load_registry(source + "/models/registry.json");
  for (const char* sample : {"orm_o01_ct_head_sc_complete.hl7", "orm_o01_ct_whole_body_trauma_sc_complete.hl7",
                             "orm_o01_mr_brain_sc_complete.hl7", "orm_o01_cta_head_neck.hl7"}) {
    auto m = hl7::message::parse(read_text(source + "/samples/hl7/" + sample));
    if (!m) {
      std::fprintf(stderr, "fuzz_mapping: %s does not parse\n", sample);
      std::exit(2);
    }
    f.orders.push_back(std::move(*m));
  }
  f.fd = memfd_create("mapping.json", MFD_CLOEXEC);
  if (f.fd < 0) {
    std::perror("fuzz_mapping: memfd_create");
    std::exit(2);
  }
  f.path = "/proc/self/fd/" + std::to_string(f.fd);
  g_fixture = &f;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const radbridge::fuzz::subject scope(std::string_view(reinterpret_cast<const char*>(data), size), "input", 2000);
  fixture& f = *g_fixture;
  if (ftruncate(f.fd, 0) != 0 || pwrite(f.fd, data, size, 0) != static_cast<ssize_t>(size)) {
    std::perror("fuzz_mapping: writing the memfd");
    std::exit(2);
  }
  const route::check_report report = route::check_mappings({f.path}, f.registry);
  for (const std::string& problem : report.problems) FUZZ_CHECK_MSG(located(problem, f.path), problem);
  if (!report.problems.empty()) return 0;

  const route::mapping_set set = route::load_mappings({f.path}, f.registry);
  FUZZ_CHECK_MSG(set.routes.size() == report.mappings.routes.size(),
                 std::to_string(set.routes.size()) + " loaded, " + std::to_string(report.mappings.routes.size()) +
                     " checked");
  for (const hl7::message& order : f.orders) {
    for (const route::route* r : route::matching_routes(set, order)) (void)route::study_key_value(*r, order);
  }
  return 0;
}
