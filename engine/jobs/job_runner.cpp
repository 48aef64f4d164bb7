#include "jobs/job_runner.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/log.hpp"
#include "fetch/fetch_error.hpp"
#include "json/json_writer.hpp"
#include "results/build_error.hpp"
#include "results/outputs.hpp"
#include "route/acuity.hpp"
#include "store/job_store.hpp"

namespace radbridge::jobs {

namespace {

const route::route* find_route(const route::mapping_set& m, const std::string& name) {
  for (const route::route& r : m.routes) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::string timings_json(const infer::inference_result& r) {
  json::writer w;
  w.begin_object();
  for (const infer::step_time& t : r.timings_ms) w.key(t.step).number(t.ms);
  w.end_object();
  return w.str();
}

std::string results_json(const std::vector<infer::inference_result>& results) {
  std::string out = "[";
  for (std::size_t i = 0; i < results.size(); ++i) out += (i ? "," : "") + infer::to_json(results[i]);
  return out + "]";
}

}  // namespace

job_runner::job_runner(const route::mapping_set& mappings, const infer::model_registry& registry,
                       const study_source& studies, const config::pipeline_settings& settings,
                       std::string engine_version)
    : mappings_(mappings),
      registry_(registry),
      studies_(studies),
      settings_(settings),
      engine_version_(std::move(engine_version)) {}

const infer::model_runner& job_runner::runner_for(const std::string& model_id) {
  std::lock_guard lock(runners_mutex_);
  auto& slot = runners_[model_id];
  if (!slot) {
    const infer::model_spec* spec = registry_.find(model_id);
    if (spec == nullptr) throw infer::infer_error(infer::infer_errc::unreadable_model, "no model \"" + model_id + "\" in the registry");
    slot = std::make_unique<infer::model_runner>(
        *spec, infer::runner_options{static_cast<int>(settings_.inference_threads), true});
  }
  return *slot;
}

bool job_runner::run_one(store::database& db) {
  const std::optional<store::claimed_job> job = store::claim_job(db, std::chrono::seconds(600));
  if (!job) return false;
  const auto fail = [&](const std::string& reason) {
    log::warn("job_failed", {{"job_id", job->id}, {"route", job->route}, {"error", reason}});
    store::fail_job(db, job->id, reason);
    return true;
  };
  const route::route* r = find_route(mappings_, job->route);
  if (r == nullptr) return fail(fmt::format("route \"{}\" is no longer in the mappings", job->route));
  const auto order = hl7::message::parse(job->order);
  if (!order) return fail("the order cannot be read: " + order.error().to_string());

  fetch::fetched_series fetched;
  try {
    const fetch::study_key key{job->study_key_kind == "accession" ? fetch::study_key::kind::accession
                                                                  : fetch::study_key::kind::study_uid,
                               job->study_key};
    fetched = studies_.fetch(key, r->series);
  } catch (const fetch::fetch_error& e) {
    const std::string reason = fmt::format("{}: {}", to_string(e.code()), e.what());
    const bool may_pass = e.transient() || e.code() == fetch::fetch_errc::not_found;
    if (!may_pass || static_cast<std::size_t>(job->attempts) >= settings_.job_attempts) return fail(reason);
    const auto delay = std::min<std::chrono::milliseconds>(settings_.job_backoff * (1LL << std::min(job->attempts - 1, 16)),
                                                           std::chrono::minutes(30));
    log::info("job_retry", {{"job_id", job->id}, {"attempt", job->attempts}, {"delay_ms", delay.count()},
                            {"error", to_string(e.code())}});
    store::retry_job(db, job->id, delay, reason);
    return true;
  }

  results::result_input in;
  in.order = &*order;
  in.route = r;
  try {
    for (const std::string& model : r->models) {
      infer::inference_result result = runner_for(model).run(fetched.image);
      result.timings_ms.insert(result.timings_ms.begin(), {{"find", fetched.find_ms},
                                                           {"retrieve", fetched.retrieve_ms},
                                                           {"decode", fetched.decode_ms}});
      in.results.push_back(std::move(result));
    }
  } catch (const infer::infer_error& e) {
    return fail(fmt::format("{}: {}", to_string(e.code()), e.what()));
  }
  in.job_key = results::job_key_for(r->name, job->study_key, in.results);
  in.acuity = route::acuity_of(r->acuity, in.results);
  in.issued = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  in.series = fetched.headers;
  in.engine_version = engine_version_;

  results::job_outputs outputs;
  try {
    outputs = results::build_outputs(in, mappings_);
  } catch (const results::build_error& e) {
    return fail(std::string("building the results: ") + e.what());
  }
  std::vector<store::outbound_row> outbound;
  if (r->mode != route::rollout_mode::silent) {
    for (const results::built_output& o : outputs.built) {
      for (const std::string& d : o.destinations) {
        outbound.push_back({d, std::string(route::to_string(o.kind)), o.identity, o.study_uid, o.payload});
      }
    }
  }
  std::vector<store::audit_row> audit;
  for (const infer::inference_result& x : in.results) {
    audit.push_back({x.study_uid, x.series_uid, x.model_id, x.version, x.sha256, timings_json(x), infer::findings_to_json(x.findings)});
  }
  store::finish_job(db, job->id, in.acuity, results_json(in.results), audit, outbound);
  log::info("job_done", {{"job_id", job->id},
                         {"route", r->name},
                         {"mode", route::to_string(r->mode)},
                         {"acuity", in.acuity},
                         {"outbound", outbound.size()}});
  return true;
}

}  // namespace radbridge::jobs
