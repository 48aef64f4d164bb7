#include "cli/serve_admin.hpp"

#include <optional>

#include "deliver/delivery_metrics.hpp"
#include "ingest/ingest_metrics.hpp"

namespace radbridge::cli {

namespace {

admin::model_state check_model(const infer::model_spec& spec) {
  admin::model_state m{spec.id, spec.version, spec.sha256, false, {}};
  const std::optional<infer::model_file> file = infer::read_model_file(spec);
  m.verified = file && file->sha256 == spec.sha256;
  if (!file) m.problem = "cannot read " + spec.file;
  if (file && !m.verified) m.problem = spec.file + " has sha256 " + file->sha256;
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
  for (const route::route& r : pipeline->mappings().routes) {
    admin::route_summary summary{r.name, r.mode, {}};
    for (const route::acuity_level& level : r.acuity.levels) summary.acuity_levels.push_back(level.name);
    summary.acuity_levels.push_back(r.acuity.otherwise);
    s.routes.push_back(std::move(summary));
  }
  return s;
}

}  // namespace radbridge::cli
