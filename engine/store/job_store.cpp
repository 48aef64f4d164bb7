#include "store/job_store.hpp"

#include <algorithm>

#include "store/database_impl.hpp"
#include "store/text_array.hpp"

namespace radbridge::store {

namespace {

std::string bytes_of(const pqxx::field& f) { return pqxx::binarystring(f).str(); }

std::string text(auto kind) { return std::string(work::to_string(kind)); }

// The condition every write of a leased job carries.
constexpr const char* held_by = "id = $1 AND lease = $2 AND status = 'running'";

// One UPDATE of a leased job in its own transaction; false when the lease is lost.
template <class... Args>
bool update_held(database& db, const std::string& set, const lease& held, Args&&... args) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r =
        tx.exec_params("UPDATE jobs SET " + set + " WHERE " + held_by, held.id, held.token, std::forward<Args>(args)...);
    if (r.affected_rows() == 0) return false;
    tx.commit();
    return true;
  });
}

// The route's open jobs for the study end cancelled; the results of its latest
// done job that kept withdrawals are withdrawn, once, behind everything queued.
void cancel_study(pqxx::work& tx, std::int64_t inbound_id, const study_cancel& x) {
  tx.exec_params(
      "UPDATE jobs SET status = 'cancelled', lease = NULL, lease_until = NULL, finished_at = now(), cancelled_by = $3 "
      "WHERE route = $1 AND study_key = $2 AND status IN ('queued', 'waiting_for_study', 'running')",
      x.route, x.study_key, inbound_id);
  tx.exec_params(
      "WITH latest AS (SELECT id FROM jobs WHERE route = $1 AND study_key = $2 AND status = 'done' "
      "AND EXISTS (SELECT 1 FROM withdrawals w WHERE w.job_id = jobs.id) ORDER BY id DESC LIMIT 1), "
      "withdrawn AS (UPDATE jobs SET withdrawn_at = now(), cancelled_by = $3 FROM latest "
      "WHERE jobs.id = latest.id AND jobs.withdrawn_at IS NULL RETURNING jobs.id) "
      "INSERT INTO outbound_messages (job_id, destination, output, identity, study_uid, payload, revision) "
      "SELECT w.job_id, w.destination, w.output, w.identity, w.study_uid, w.payload, 'withdrawal' "
      "FROM withdrawals w JOIN withdrawn ON w.job_id = withdrawn.id ORDER BY w.id",
      x.route, x.study_key, inbound_id);
}

// Open jobs of the patient `move` names take its identifiers and PID; what
// they held before stays known (the study may still carry it).
void move_patient(pqxx::work& tx, std::int64_t inbound_id, const patient_move& move) {
  tx.exec_params(
      "UPDATE jobs SET patient_prior_ids = patient_prior_ids || patient_ids, patient_ids = $2::text[], "
      "patient_source = $3, patient_segment = $4 "
      "WHERE status IN ('queued', 'waiting_for_study', 'running') AND patient_ids && $1::text[]",
      text_array(move.links).str(), text_array(move.current).str(), inbound_id, move.pid_occurrence);
}

std::vector<std::string> strings_of(const pqxx::field& f) {
  std::vector<std::string> out;
  auto parser = f.as_array();
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::juncture::done;
       std::tie(kind, value) = parser.get_next()) {
    if (kind == pqxx::array_parser::juncture::string_value) out.push_back(std::move(value));
  }
  return out;
}

}  // namespace

std::size_t route_received(database& db, std::size_t limit,
                           const std::function<routing_decision(std::int64_t, std::string_view)>& decide) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result rows = tx.exec_params(
        "SELECT id, payload FROM inbound_messages WHERE status = 'received' ORDER BY id LIMIT $1 "
        "FOR UPDATE SKIP LOCKED",
        static_cast<long>(limit));
    for (const pqxx::row& r : rows) {
      const std::int64_t id = r[0].as<std::int64_t>();
      const routing_decision d = decide(id, bytes_of(r[1]));
      for (const new_job& j : d.jobs) {
        tx.exec_params(
            "INSERT INTO jobs (inbound_id, route, study_key_kind, study_key, mode, patient_ids) "
            "VALUES ($1, $2, $3, $4, coalesce((SELECT mode FROM route_mode_changes WHERE route = $2 "
            "ORDER BY id DESC LIMIT 1), $5), $6::text[]) ON CONFLICT ON CONSTRAINT jobs_once_per_route DO NOTHING",
            id, j.route, text(j.key_kind), j.study_key, text(j.mode), text_array(j.patient_ids).str());
      }
      for (const study_cancel& x : d.cancels) cancel_study(tx, id, x);
      for (const patient_move& m : d.moves) move_patient(tx, id, m);
      for (const report_feedback& report : d.reports) record_report(tx, id, report);
      tx.exec_params("UPDATE inbound_messages SET status = $2 WHERE id = $1", id, text(d.status));
    }
    tx.commit();
    return rows.size();
  });
}

std::optional<claimed_job> claim_job(database& db, std::chrono::milliseconds lease_length, std::string_view owner) {
  return guarded(db.handle(), [&](pqxx::connection& c) -> std::optional<claimed_job> {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease = nextval('lease_tokens'), "
        "lease_until = now() + $1 * interval '1 millisecond', first_claimed_at = coalesce(first_claimed_at, now()), claimed_at = now(), "
        "lease_owner = nullif($2, '') "
        "WHERE id = (SELECT id FROM jobs WHERE (status IN ('queued', 'waiting_for_study') AND next_attempt_at <= now()) "
        "OR (status = 'running' AND lease_until < now()) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, lease, inbound_id, route, study_key_kind, study_key, mode, attempts, "
        "extract(epoch FROM now() - created_at) * 1000, probe_series, probe_instances, "
        "extract(epoch FROM now() - probe_since) * 1000, "
        "(SELECT payload FROM inbound_messages WHERE inbound_messages.id = jobs.inbound_id), "
        "patient_ids, patient_prior_ids, coalesce(patient_source, 0), coalesce(patient_segment, 0), "
        "(SELECT payload FROM inbound_messages WHERE inbound_messages.id = jobs.patient_source)",
        static_cast<long>(lease_length.count()), std::string(owner));
    tx.commit();
    if (r.empty()) return std::nullopt;
    const pqxx::row row = r[0];
    claimed_job job;
    job.held = {row[0].as<std::int64_t>(), row[1].as<std::int64_t>()};
    job.inbound_id = row[2].as<std::int64_t>();
    job.route = row[3].c_str();
    // The schema's CHECK constraints allow only these spellings.
    job.key_kind = work::parse_study_key_kind(row[4].c_str()).value_or(work::study_key_kind::accession);
    job.study_key = row[5].c_str();
    job.mode = work::parse_rollout_mode(row[6].c_str()).value_or(work::rollout_mode::silent);
    job.attempts = row[7].as<int>();
    job.age_ms = row[8].as<double>();
    if (!row[9].is_null()) job.probe = study_probe{row[9].c_str(), row[10].as<int>(), row[11].as<double>()};
    job.order = bytes_of(row[12]);
    job.patient_ids = strings_of(row[13]);
    job.patient_prior_ids = strings_of(row[14]);
    job.patient_source = row[15].as<std::int64_t>();
    job.patient_segment = row[16].as<int>();
    if (!row[17].is_null()) job.patient_message = bytes_of(row[17]);
    return job;
  });
}

std::optional<std::chrono::milliseconds> next_job_due(database& db) {
  return guarded(db.handle(), [&](pqxx::connection& c) -> std::optional<std::chrono::milliseconds> {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec(
        "SELECT ceil(extract(epoch FROM min(CASE WHEN status = 'running' THEN lease_until ELSE next_attempt_at END) "
        "- now()) * 1000) FROM jobs WHERE status IN ('queued', 'waiting_for_study', 'running')");
    tx.commit();
    if (r[0][0].is_null()) return std::nullopt;
    return std::chrono::milliseconds(std::max<std::int64_t>(0, r[0][0].as<std::int64_t>()));
  });
}

std::size_t release_leases_of(database& db, std::string_view owner) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        "UPDATE jobs SET lease_until = now() - interval '1 millisecond' WHERE status = 'running' AND lease_owner = $1",
        std::string(owner));
    tx.commit();
    return static_cast<std::size_t>(r.affected_rows());
  });
}

std::vector<exhausted_job> fail_exhausted(database& db, int max_attempts) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        "UPDATE jobs SET status = 'failed', failure = 'attempts_exhausted', finished_at = now(), lease = NULL, "
        "lease_until = NULL, error = 'attempts_exhausted: the lease ran out on attempt ' || attempts || "
        "' of ' || $1 || ' (the worker stopped or crashed)' "
        "WHERE status = 'running' AND lease_until < now() AND attempts >= $1 RETURNING id, route",
        max_attempts);
    tx.commit();
    std::vector<exhausted_job> jobs;
    for (const pqxx::row& row : r) jobs.push_back({row[0].as<std::int64_t>(), row[1].c_str()});
    return jobs;
  });
}

bool renew_lease(database& db, const lease& held, std::chrono::milliseconds lease_length) {
  return update_held(db, "lease_until = now() + $3 * interval '1 millisecond'", held,
                     static_cast<long>(lease_length.count()));
}

bool finish_job(database& db, const lease& held, const job_result& result) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result done = tx.exec_params(
        std::string("UPDATE jobs SET status = 'done', finished_at = now(), lease = NULL, lease_until = NULL, "
                    "acuity = $3, results = $4::jsonb, study_version = $5, error = NULL, failure = NULL WHERE ") +
            held_by + " AND coalesce(patient_source, 0) = $6",
        held.id, held.token, result.acuity, result.results_json, result.study_version, result.patient_source);
    if (done.affected_rows() == 0) return false;  // no commit: nothing of this job's work is kept
    for (const audit_row& a : result.audit) {
      tx.exec_params(
          "INSERT INTO inference_audit (job_id, study_uid, series_uid, instances, model, model_version, "
          "model_sha256, timings_ms, findings, input_profile) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, "
          "$9::jsonb, $10::jsonb)",
          held.id, a.study_uid, a.series_uid, a.instances, a.model, a.model_version, a.model_sha256, a.timings_json,
          a.findings_json, a.input_json);
    }
    for (const outbound_row& o : result.outbound) {
      tx.exec_params(
          "INSERT INTO outbound_messages (job_id, destination, output, identity, study_uid, payload, revision) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ON CONSTRAINT outbound_once DO NOTHING",
          held.id, o.destination, text(o.output), o.identity, o.study_uid,
          pqxx::binarystring(o.payload.data(), o.payload.size()), text(o.revision));
    }
    for (const outbound_row& w : result.withdrawals) {
      tx.exec_params(
          "INSERT INTO withdrawals (job_id, destination, output, identity, study_uid, payload) "
          "VALUES ($1, $2, $3, $4, $5, $6)",
          held.id, w.destination, text(w.output), w.identity, w.study_uid,
          pqxx::binarystring(w.payload.data(), w.payload.size()));
    }
    tx.commit();
    return true;
  });
}

bool requeue_moved_patient(database& db, const lease& held, std::int64_t patient_source) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        std::string("UPDATE jobs SET status = 'queued', lease = NULL, lease_until = NULL, attempts = attempts - 1, "
                    "next_attempt_at = now(), error = 'patient_moved: an ADT moved the patient while the job ran' "
                    "WHERE ") +
            held_by + " AND coalesce(patient_source, 0) <> $3",
        held.id, held.token, patient_source);
    if (r.affected_rows() == 0) return false;
    tx.commit();
    return true;
  });
}

std::optional<done_version> latest_done(database& db, std::string_view route, std::string_view study_key) {
  return guarded(db.handle(), [&](pqxx::connection& c) -> std::optional<done_version> {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        "SELECT id, coalesce(study_version, '') FROM jobs WHERE route = $1 AND study_key = $2 AND status = 'done' "
        "ORDER BY id DESC LIMIT 1",
        std::string(route), std::string(study_key));
    tx.commit();
    if (r.empty()) return std::nullopt;
    return done_version{r[0][0].as<std::int64_t>(), r[0][1].c_str()};
  });
}

bool same_findings(database& db, std::int64_t job_id, std::string_view findings_json) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        "SELECT coalesce((SELECT jsonb_agg(findings ORDER BY id) FROM inference_audit WHERE job_id = $1) = $2::jsonb, "
        "false)",
        job_id, std::string(findings_json));
    tx.commit();
    return r[0][0].as<bool>();
  });
}

bool mark_duplicate(database& db, const lease& held, std::string_view study_version, std::int64_t done_by) {
  return update_held(db,
                     "status = 'duplicate', lease = NULL, lease_until = NULL, finished_at = now(), study_version = $3, "
                     "failure = NULL, error = 'duplicate_trigger: job ' || $4 || ' already did this study version'",
                     held, std::string(study_version), done_by);
}

bool retry_job(database& db, const lease& held, std::chrono::milliseconds delay, std::string_view error) {
  return update_held(db,
                     "status = 'queued', lease = NULL, lease_until = NULL, error = $4, "
                     "next_attempt_at = now() + $3 * interval '1 millisecond'",
                     held, static_cast<long>(delay.count()), std::string(error));
}

bool wait_for_study(database& db, const lease& held, std::chrono::milliseconds delay, const study_probe& probe) {
  // SET reads the row as it was: probe_since moves only when the series or its count changed.
  return update_held(db,
                     "status = 'waiting_for_study', attempts = attempts - 1, lease = NULL, lease_until = NULL, "
                     "next_attempt_at = now() + $3 * interval '1 millisecond', "
                     "probe_since = CASE WHEN probe_series IS NOT DISTINCT FROM $4 "
                     "AND probe_instances IS NOT DISTINCT FROM $5 THEN probe_since ELSE now() END, "
                     "probe_series = $4, probe_instances = $5",
                     held, static_cast<long>(delay.count()), probe.series_uid, probe.instances);
}

bool fail_job(database& db, const lease& held, std::string_view reason, std::string_view error) {
  return update_held(db,
                     "status = 'failed', lease = NULL, lease_until = NULL, finished_at = now(), failure = $3, "
                     "error = $4",
                     held, std::string(reason), std::string(error));
}

}  // namespace radbridge::store
