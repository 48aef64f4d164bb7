#include "jobs/job_runner.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <new>

#include <fmt/format.h>

#include "core/log.hpp"
#include "core/sha256.hpp"
#include "fetch/fetch_error.hpp"
#include "infer/input_profile.hpp"
#include "json/json_writer.hpp"
#include "results/build_error.hpp"
#include "results/outputs.hpp"
#include "route/acuity.hpp"
#include "route/match.hpp"
#include "route/patient_identity.hpp"
#include "store/store_error.hpp"

namespace radbridge::jobs {

namespace {

using std::chrono::milliseconds;

const route::route* find_route(const route::mapping_set& m, const std::string& name) {
  for (const route::route& r : m.routes) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// An outcome as the job events (and /metrics) name it.
std::string_view outcome_name(job_outcome::kind k) {
  switch (k) {
    case job_outcome::kind::done: return "done";
    case job_outcome::kind::duplicate: return "duplicate";
    case job_outcome::kind::wait: return "waiting";
    case job_outcome::kind::retry: return "retry";
    case job_outcome::kind::fail: return "failed";
  }
  return "failed";
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

// The instance count the study must reach: the mapping's, or the order's when it gives one.
std::size_t expected_instances(const route::readiness_rule& rule, const hl7::message& order) {
  if (!rule.expected_instances_path) return rule.expected_instances;
  const std::string text = route::value_at(order, *rule.expected_instances_path);
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size() && n > 0) return n;
  return rule.expected_instances;
}

// The version of a study a job read: the chosen series and its instances (order-free).
std::string study_version_of(const fetch::series_headers& headers) {
  std::vector<std::string> uids;
  for (const fetch::instance_header& i : headers.instances) uids.push_back(i.sop_instance_uid);
  std::sort(uids.begin(), uids.end());
  std::string all = headers.series_uid;
  for (const std::string& uid : uids) all += "\n" + uid;
  return sha256_hex(all);
}

// The key of one version's results (MSH-10, SR UIDs): the findings' key and the study version.
std::string versioned_key(const std::string& finding_key, const std::string& study_version) {
  return finding_key + "/" + study_version.substr(0, 16);
}

job_outcome fail(std::string reason, std::string detail) {
  job_outcome o;
  o.what = job_outcome::kind::fail;
  o.error = reason + ": " + detail;
  o.reason = std::move(reason);
  return o;
}

// Whether a readiness check saw the same series with the same count as the last one.
bool same_probe(const std::optional<store::study_probe>& last, const store::study_probe& now) {
  return last && last->series_uid == now.series_uid && last->instances == now.instances;
}

// How long to wait before looking again at a study that is missing or growing, or a PACS that
// did not answer: a quarter of the wait so far, at least `at_least_ms`, at most 30 s.
double quarter_of_wait(double age_ms, double at_least_ms) {
  return std::max(at_least_ms, std::min(age_ms / 4, 30000.0));
}

// Whether a series that has everything expected but has not yet settled is still owed its settle
// check after max_wait: yes when it first looks complete at or after the wait (a backlog, or an
// engine or PACS outage, delayed the look), and while it stays unchanged; no once it has been
// seen changing after the wait (what was seen at the last look was first seen after it).
bool settle_check_owed(const store::claimed_job& job, const route::readiness_rule& rule,
                       const store::study_probe& probe) {
  if (!job.probe || same_probe(job.probe, probe)) return true;
  return job.age_ms - job.probe->unchanged_ms < static_cast<double>(rule.max_wait.count());
}

// The study is not ready: wait and check again, or give up after the route's max_wait (unless
// the series is only waiting for a settle check it is owed).
job_outcome not_ready(const store::claimed_job& job, const route::readiness_rule& rule, store::study_probe probe,
                      const std::string& what, bool settle_owed = false) {
  const bool past_wait = job.age_ms >= static_cast<double>(rule.max_wait.count());
  if (past_wait && !settle_owed) {
    return fail("study_not_ready", fmt::format("after {} s: {}", static_cast<long>(job.age_ms / 1000), what));
  }
  job_outcome o;
  o.what = job_outcome::kind::wait;
  const bool same = same_probe(job.probe, probe);
  // A series that stopped growing is checked again when its settle time is up; one first seen
  // complete after the wait, after the settle time; one that is missing or growing, after the
  // settle time, or a quarter of the wait so far (at most 30 s).
  const double settle = static_cast<double>(rule.settle.count());
  const double delay = same        ? settle - job.probe->unchanged_ms
                       : past_wait ? settle
                                   : quarter_of_wait(job.age_ms, settle);
  o.delay = milliseconds(static_cast<std::int64_t>(std::max(delay, 50.0)));
  o.probe = std::move(probe);
  return o;
}

// The PACS did not answer: look again after a quarter of the wait so far (at least 1 s),
// keeping the last probe (and its settle clock) as it was.
job_outcome wait_for_pacs(const store::claimed_job& job, const fetch::fetch_error& e) {
  job_outcome o;
  o.what = job_outcome::kind::wait;
  o.delay = milliseconds(static_cast<std::int64_t>(quarter_of_wait(job.age_ms, 1000.0)));
  o.probe = job.probe.value_or(store::study_probe{});
  o.reason = "pacs_" + std::string(to_string(e.code()));
  return o;
}

}  // namespace

job_runner::job_runner(const route::mapping_set& mappings, const infer::model_registry& registry,
                       const study_source& studies, const config::pipeline_settings& settings,
                       std::string engine_version, std::string owner, event_sink events)
    : mappings_(mappings),
      registry_(registry),
      studies_(studies),
      settings_(settings),
      engine_version_(std::move(engine_version)),
      owner_(std::move(owner)),
      events_(events) {}

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

void job_runner::load_models() {
  for (const route::route& r : mappings_.routes) {
    for (const std::string& model : r.models) runner_for(model);
  }
}

job_outcome job_runner::retry_or_fail(const store::claimed_job& job, std::string reason, std::string error) const {
  if (static_cast<std::size_t>(job.attempts) >= settings_.job_attempts) {
    return fail("attempts_exhausted", fmt::format("{} attempts, the last: {}: {}", job.attempts, reason, error));
  }
  job_outcome o;
  o.what = job_outcome::kind::retry;
  o.delay = std::min<milliseconds>(settings_.job_backoff * (1LL << std::min(job.attempts - 1, 16)), std::chrono::minutes(30));
  o.error = reason + ": " + error;
  o.reason = std::move(reason);
  return o;
}

bool job_runner::run_one(store::database& db, lease_keeper& keeper) {
  for (const store::exhausted_job& j : store::fail_exhausted(db, static_cast<int>(settings_.job_attempts))) {
    log::warn("job_failed", {{"job_id", j.id}, {"route", j.route}, {"reason", "attempts_exhausted"}});
    events_.send(job_event(j.route, "failed", "attempts_exhausted"));
  }
  const std::optional<store::claimed_job> job = store::claim_job(db, settings_.job_lease, owner_);
  if (!job) return false;
  keeper.watch(job->held);
  job_outcome o = attempt(db, *job);
  keeper.release();

  const store::lease& held = job->held;
  bool kept = !keeper.lost();
  switch (o.what) {
    case job_outcome::kind::done:
      kept = kept && store::finish_job(db, held, o.result);
      if (!kept && !keeper.lost() && store::requeue_moved_patient(db, held, job->patient_source)) {
        log::info("patient_moved", {{"job_id", held.id}, {"route", job->route}});
        return true;
      }
      if (kept) {
        log::info("job_done", {{"job_id", held.id}, {"route", job->route}, {"mode", work::to_string(job->mode)},
                               {"acuity", o.result.acuity}, {"outbound", o.result.outbound.size()},
                               {"revision", o.result.outbound.empty() ? "-" : work::to_string(o.result.outbound[0].revision)}});
      }
      break;
    case job_outcome::kind::duplicate:
      kept = kept && store::mark_duplicate(db, held, o.result.study_version, o.duplicate_of);
      if (kept) log::info("duplicate_trigger", {{"job_id", held.id}, {"route", job->route}, {"done_by", o.duplicate_of}});
      break;
    case job_outcome::kind::wait:
      kept = kept && store::wait_for_study(db, held, o.delay, o.probe);
      if (kept) {
        log::info("job_waiting_for_study", {{"job_id", held.id}, {"instances", o.probe.instances},
                                            {"delay_ms", o.delay.count()},
                                            {"reason", o.reason.empty() ? "not_ready" : o.reason}});
      }
      break;
    case job_outcome::kind::retry:
      kept = kept && store::retry_job(db, held, o.delay, o.error);
      if (kept) {
        log::info("job_retry", {{"job_id", held.id}, {"attempt", job->attempts}, {"delay_ms", o.delay.count()},
                                {"reason", o.reason}});
      }
      break;
    case job_outcome::kind::fail:
      kept = kept && store::fail_job(db, held, o.reason, o.error);
      if (kept) log::warn("job_failed", {{"job_id", held.id}, {"route", job->route}, {"reason", o.reason}});
      break;
  }
  if (!kept) log::warn("lease_lost", {{"job_id", held.id}, {"route", job->route}, {"attempt", job->attempts}});
  events_.send(job_event(job->route, kept ? outcome_name(o.what) : "lease_lost",
                         kept && (o.what == job_outcome::kind::fail || o.what == job_outcome::kind::retry) ? o.reason
                                                                                                            : ""));
  return true;
}

job_outcome job_runner::attempt(store::database& db, const store::claimed_job& job) {
  const route::route* r = find_route(mappings_, job.route);
  if (r == nullptr) return fail("route_missing", fmt::format("route \"{}\" is no longer in the mappings", job.route));
  auto order = hl7::message::parse(job.order);
  if (!order) return fail("order_unreadable", order.error().to_string());
  if (job.patient_source != 0) {
    // An ADT moved the patient since the order: the outputs carry the PID it gives.
    const auto update = hl7::message::parse(job.patient_message);
    if (!update) return fail("patient_update_unreadable", update.error().to_string());
    order = route::with_patient(*order, *update, job.patient_segment);
    if (!order) return fail("patient_update_unusable", order.error().to_string());
  }
  // Whatever a fetch, a decoder or a model throws ends this attempt, not the engine.
  try {
    return run_route(db, job, *r, *order);
  } catch (const fetch::fetch_error& e) {
    if (!e.transient()) return fail(std::string(to_string(e.code())), e.what());
    // The PACS is down, hung or overloaded: waited for like a study that is not there yet,
    // within the route's max_wait, without using up attempts; after that, attempts count.
    if (job.age_ms < static_cast<double>(r->readiness.max_wait.count())) return wait_for_pacs(job, e);
    return retry_or_fail(job, std::string(to_string(e.code())), e.what());
  } catch (const infer::infer_error& e) {
    return fail(std::string(to_string(e.code())), e.what());
  } catch (const results::build_error& e) {
    return fail("build", e.what());
  } catch (const std::bad_alloc&) {
    return retry_or_fail(job, "out_of_memory", "std::bad_alloc");
  } catch (const store::store_error& e) {
    // As work_loops logs them: a permanent error's text may quote row values (the study key).
    return retry_or_fail(job, "database", e.kind() == store::failure::permanent
                                              ? "a permanent database error (its text may quote row values: not kept)"
                                              : e.what());
  } catch (const std::exception& e) {
    return retry_or_fail(job, "exception", e.what());
  }
}

job_outcome job_runner::run_route(store::database& db, const store::claimed_job& job, const route::route& r,
                                  const hl7::message& order) {
  const fetch::study_key key{job.key_kind, job.study_key};
  const auto waiting_on = [&](const fetch::fetch_error& e) {
    return e.code() == fetch::fetch_errc::not_found || e.code() == fetch::fetch_errc::no_matching_series ||
           e.code() == fetch::fetch_errc::inconsistent_series;
  };

  // Readiness: the chosen series exists, has stopped growing and has what is expected.
  fetch::located_series located;
  try {
    located = studies_.locate(key, r.series);
  } catch (const fetch::fetch_error& e) {
    if (!waiting_on(e)) throw;
    return not_ready(job, r.readiness, {}, fmt::format("{}: {}", to_string(e.code()), e.what()));
  }
  store::study_probe probe{located.chosen.identity.series_uid, static_cast<int>(located.chosen.instances), 0};
  const std::size_t expected = expected_instances(r.readiness, order);
  if (located.chosen.instances < expected) {
    return not_ready(job, r.readiness, probe,
                     fmt::format("the series has {} of {} expected instances", located.chosen.instances, expected));
  }
  const bool settled = r.readiness.settle.count() == 0 ||
                       (same_probe(job.probe, probe) &&
                        job.probe->unchanged_ms >= static_cast<double>(r.readiness.settle.count()));
  if (!settled) {
    return not_ready(job, r.readiness, probe,
                     fmt::format("the series has {} instances, not yet settled", located.chosen.instances),
                     settle_check_owed(job, r.readiness, probe));
  }

  // The study the order names, if it names one.
  const std::string named_uid = r.study.verify_uid ? route::value_at(order, *r.study.verify_uid) : std::string();
  if (!named_uid.empty() && named_uid != located.study_uid) {
    return fail("study_mismatch", fmt::format("the study the order names at {} is not the one the PACS found",
                                              r.study.verify_uid_text));
  }

  fetch::fetched_series fetched;
  try {
    fetched = studies_.fetch(located);
  } catch (const fetch::fetch_error& e) {
    if (!waiting_on(e)) throw;
    return not_ready(job, r.readiness, probe, fmt::format("{}: {}", to_string(e.code()), e.what()));
  }
  if (fetched.headers.instances.size() != located.chosen.instances) {
    probe.instances = static_cast<int>(fetched.headers.instances.size());
    return not_ready(job, r.readiness, probe,
                     fmt::format("the series grew from {} to {} instances while it was retrieved",
                                 located.chosen.instances, fetched.headers.instances.size()));
  }

  // The right patient, before anything is built.
  const std::optional<std::string> order_patient = route::order_patient_id(order, r.patient);
  if (!order_patient) return fail("patient_mismatch", "the order has no patient identifier for the route");
  const auto study_patient = [&](const std::string& id) {
    return route::check_study_patient(r.patient, id, fetched.headers.patient_id, fetched.headers.patient_id_issuer);
  };
  if (const auto why = study_patient(*order_patient)) {
    // After a merge the PACS may still file the study under an identifier the patient held before.
    const std::vector<std::string> before = route::identifiers_by(job.patient_prior_ids, r.patient);
    if (std::all_of(before.begin(), before.end(), [&](const std::string& id) { return study_patient(id).has_value(); })) {
      return fail("patient_mismatch", fmt::format("{} (order {}, study {})", *why, reference_of(*order_patient),
                                                  reference_of(fetched.headers.patient_id)));
    }
  }

  // One result per study version: a version the route already did runs nothing.
  job_outcome o;
  o.result.study_version = study_version_of(fetched.headers);
  o.result.patient_source = job.patient_source;
  const std::optional<store::done_version> before = store::latest_done(db, r.name, job.study_key);
  if (before && before->study_version == o.result.study_version) {
    o.what = job_outcome::kind::duplicate;
    o.duplicate_of = before->job_id;
    return o;
  }

  results::result_input in;
  in.order = &order;
  in.route = &r;
  in.mode = job.mode;  // the route's, or the one an operator set when the job was routed
  for (const std::string& model : r.models) {
    infer::inference_result result = runner_for(model).run(fetched.image);
    result.timings_ms.insert(result.timings_ms.begin(), {{"find", fetched.find_ms},
                                                         {"retrieve", fetched.retrieve_ms},
                                                         {"decode", fetched.decode_ms}});
    for (const infer::step_time& t : result.timings_ms) events_.send(step_event(model, t.step, t.ms));
    in.results.push_back(std::move(result));
  }
  std::string findings = "[";  // every model's findings, as the audit keeps them
  for (const infer::inference_result& x : in.results) {
    const infer::model_spec* spec = registry_.find(x.model_id);
    o.result.audit.push_back({x.study_uid, x.series_uid, static_cast<int>(fetched.headers.instances.size()),
                              x.model_id, x.version, x.sha256, timings_json(x), infer::findings_to_json(x.findings),
                              spec != nullptr ? infer::to_json(infer::profile_of(fetched.image, *spec)) : "{}"});
    findings += (findings.size() > 1 ? "," : "") + o.result.audit.back().findings_json;
  }
  findings += "]";
  in.finding_key = results::job_key_for(r.name, job.study_key, in.results);
  in.job_key = versioned_key(in.finding_key, o.result.study_version);
  in.acuity = route::acuity_of(r.acuity, in.results);
  in.issued = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
  in.series = fetched.headers;
  in.engine_version = engine_version_;
  o.what = job_outcome::kind::done;
  o.result.acuity = in.acuity;
  o.result.results_json = results_json(in.results);
  if (before) {
    // A newer version of the study: unchanged findings send nothing; changed ones correct what was sent.
    if (store::same_findings(db, before->job_id, findings)) return o;
    in.revision = work::revision::correction;
    in.predecessor_key = versioned_key(in.finding_key, before->study_version);
  }
  if (job.mode == work::rollout_mode::silent) return o;
  for (const results::built_output& b : results::build_outputs(in, mappings_).built) {
    for (const std::string& d : b.destinations) {
      o.result.outbound.push_back({d, b.kind, b.identity, b.study_uid, b.payload, in.revision});
    }
  }
  // What withdrawing these results would send (an order cancel).
  in.revision = work::revision::withdrawal;
  for (const results::built_output& b : results::build_outputs(in, mappings_).built) {
    for (const std::string& d : b.destinations) {
      o.result.withdrawals.push_back({d, b.kind, b.identity, b.study_uid, b.payload, in.revision});
    }
  }
  return o;
}

}  // namespace radbridge::jobs
