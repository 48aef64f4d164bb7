#include "cli/serve_admin.hpp"

#include <algorithm>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "deliver/delivery_metrics.hpp"
#include "ingest/ingest_metrics.hpp"
#include "review/validation.hpp"
#include "review/validation_format.hpp"
#include "store/feedback_store.hpp"

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

// The API's validation reports, over a copy of the routes (the admin server's thread may outlive nothing else).
admin::report_builder report_builder_for(const route::mapping_set& mappings) {
  auto routes = std::make_shared<const std::vector<route::route>>(mappings.routes);
  return [routes](store::database& db, const admin::report_request& asked) -> admin::report_answer {
    const auto r = std::find_if(routes->begin(), routes->end(), [&](const route::route& x) { return x.name == asked.route; });
    if (r == routes->end()) return {admin::report_answer::kind::no_route, fmt::format("no route \"{}\"", asked.route)};
    if (!asked.since.empty() && !review::is_date(asked.since)) {
      return {admin::report_answer::kind::bad_since, "since must be a date YYYY-MM-DD"};
    }
    const std::vector<review::group_report> groups =
        review::validate(store::scored_findings(db, asked.route, asked.since, asked.model), r->acceptance);
    return {admin::report_answer::kind::ok, review::report_json({&*r, asked.model, asked.since}, groups)};
  };
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
  s.validation_report = report_builder_for(pipeline->mappings());
  return s;
}

}  // namespace radbridge::cli
