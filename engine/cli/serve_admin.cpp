#include "cli/serve_admin.hpp"

#include <algorithm>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "deliver/delivery_metrics.hpp"
#include "ingest/ingest_metrics.hpp"
#include "review/drift.hpp"
#include "review/validation.hpp"
#include "review/validation_format.hpp"
#include "store/drift_store.hpp"
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

}  // namespace

admin::report_builder report_builder_for(shared_routes routes) {
  return [routes](store::database& db, const admin::report_request& asked) -> admin::report_answer {
    const auto r = std::find_if(routes->begin(), routes->end(), [&](const route::route& x) { return x.name == asked.route; });
    if (r == routes->end()) return {admin::report_answer::kind::no_route, fmt::format("no route \"{}\"", asked.route)};
    if (asked.what == admin::report_request::kind::drift) {
      if (!r->drift) {
        return {admin::report_answer::kind::no_route, fmt::format("route \"{}\" has no drift rules", asked.route)};
      }
      const auto models = review::drift_of(store::drift_rows(db, r->name, static_cast<int>(r->drift->window_days)),
                                           *r->drift);
      return {admin::report_answer::kind::ok, review::drift_json(r->name, *r->drift, models)};
    }
    if (!asked.since.empty() && !review::is_date(asked.since)) {
      return {admin::report_answer::kind::bad_since, "since must be a date YYYY-MM-DD"};
    }
    const std::vector<review::group_report> groups =
        review::validate(store::scored_findings(db, asked.route, asked.since, asked.model), r->acceptance);
    return {admin::report_answer::kind::ok, review::report_json({&*r, asked.model, asked.since}, groups)};
  };
}

admin::drift_reader drift_reader_for(shared_routes routes) {
  return [routes](store::database& db) {
    std::vector<admin::drift_status> out;
    for (const route::route& r : *routes) {
      if (!r.drift) continue;
      for (const review::model_drift& d :
           review::drift_of(store::drift_rows(db, r.name, static_cast<int>(r.drift->window_days),
                                              r.drift->reference_studies),
                            *r.drift)) {
        admin::drift_status s{r.name, d.model, std::string(review::to_string(d.state)), {}};
        for (const review::feature_drift& f : d.features) {
          if (f.score) s.ratios.emplace_back(f.feature, *f.score / std::max(f.threshold, 1e-9));
        }
        out.push_back(std::move(s));
      }
    }
    return out;
  };
}

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
  const auto routes = std::make_shared<const std::vector<route::route>>(pipeline->mappings().routes);
  s.validation_report = report_builder_for(routes);
  s.drift = drift_reader_for(routes);
  return s;
}

}  // namespace radbridge::cli
