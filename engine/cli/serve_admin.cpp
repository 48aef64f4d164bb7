#include "cli/serve_admin.hpp"

#include <fstream>
#include <sstream>

#include "core/sha256.hpp"
#include "deliver/delivery_metrics.hpp"
#include "ingest/ingest_metrics.hpp"

namespace radbridge::cli {

namespace {

admin::model_state check_model(const infer::model_spec& spec) {
  admin::model_state m{spec.id, spec.version, spec.sha256, false, {}};
  std::ifstream in(spec.file, std::ios::binary);
  if (!in) {
    m.problem = "cannot read " + spec.file;
    return m;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string actual = sha256_hex(bytes.str());
  m.verified = actual == spec.sha256;
  if (!m.verified) m.problem = spec.file + " has sha256 " + actual;
  return m;
}

}  // namespace

admin::admin_sources admin_sources_for(const std::vector<std::unique_ptr<ingest::listener>>& listeners,
                                       const ingest::group_committer* committer, const jobs::pipeline* pipeline,
                                       bool runs_jobs) {
  admin::admin_sources s;
  s.version = RADBRIDGE_VERSION;
  std::vector<const ingest::listener*> views;
  for (const auto& l : listeners) views.push_back(l.get());
  s.stage_metrics = [views, committer, pipeline](metrics::exposition& out) {
    ingest::write_metrics(out, views, committer);
    if (pipeline == nullptr) return;
    deliver::write_metrics(out, pipeline->delivery_stats());
    jobs::write_metrics(out, pipeline->job_stats());
  };
  if (pipeline == nullptr) return s;
  if (runs_jobs) {
    for (const infer::model_spec& spec : pipeline->registry().models) s.models.push_back(check_model(spec));
  }
  for (const route::destination& d : pipeline->mappings().destinations) s.destinations.push_back(d.name);
  return s;
}

}  // namespace radbridge::cli
