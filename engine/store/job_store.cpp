#include "store/job_store.hpp"

#include "store/database_impl.hpp"

namespace radbridge::store {

namespace {

std::string bytes_of(const pqxx::field& f) { return pqxx::binarystring(f).str(); }

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
            "INSERT INTO jobs (inbound_id, route, study_key_kind, study_key, mode) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT ON CONSTRAINT jobs_once_per_route DO NOTHING",
            id, j.route, j.study_key_kind, j.study_key, j.mode);
      }
      tx.exec_params("UPDATE inbound_messages SET status = $2 WHERE id = $1", id, d.status);
    }
    tx.commit();
    return rows.size();
  });
}

std::optional<claimed_job> claim_job(database& db, std::chrono::seconds lease) {
  return guarded(db.handle(), [&](pqxx::connection& c) -> std::optional<claimed_job> {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = now() + $1 * interval '1 second' "
        "WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND next_attempt_at <= now()) "
        "OR (status = 'running' AND lease_until < now()) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, inbound_id, route, study_key_kind, study_key, mode, attempts, "
        "(SELECT payload FROM inbound_messages WHERE inbound_messages.id = jobs.inbound_id)",
        static_cast<long>(lease.count()));
    tx.commit();
    if (r.empty()) return std::nullopt;
    const pqxx::row row = r[0];
    return claimed_job{row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].c_str(), row[3].c_str(),
                       row[4].c_str(), row[5].c_str(), row[6].as<int>(), bytes_of(row[7])};
  });
}

void finish_job(database& db, std::int64_t job_id, std::string_view acuity, std::string_view results_json,
                const std::vector<audit_row>& audit, const std::vector<outbound_row>& outbound) {
  guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "UPDATE jobs SET status = 'done', finished_at = now(), lease_until = NULL, acuity = $2, results = $3::jsonb, "
        "error = NULL WHERE id = $1",
        job_id, std::string(acuity), std::string(results_json));
    for (const audit_row& a : audit) {
      tx.exec_params(
          "INSERT INTO inference_audit (job_id, study_uid, series_uid, model, model_version, model_sha256, "
          "timings_ms, findings) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)",
          job_id, a.study_uid, a.series_uid, a.model, a.model_version, a.model_sha256, a.timings_json,
          a.findings_json);
    }
    for (const outbound_row& o : outbound) {
      tx.exec_params(
          "INSERT INTO outbound_messages (job_id, destination, output, identity, study_uid, payload) "
          "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ON CONSTRAINT outbound_once DO NOTHING",
          job_id, o.destination, o.output, o.identity, o.study_uid,
          pqxx::binarystring(o.payload.data(), o.payload.size()));
    }
    tx.commit();
  });
}

void retry_job(database& db, std::int64_t job_id, std::chrono::milliseconds delay, std::string_view error) {
  guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "UPDATE jobs SET status = 'queued', lease_until = NULL, error = $3, "
        "next_attempt_at = now() + $2 * interval '1 millisecond' WHERE id = $1",
        job_id, static_cast<long>(delay.count()), std::string(error));
    tx.commit();
  });
}

void fail_job(database& db, std::int64_t job_id, std::string_view error) {
  guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params("UPDATE jobs SET status = 'failed', lease_until = NULL, finished_at = now(), error = $2 WHERE id = $1",
                   job_id, std::string(error));
    tx.commit();
  });
}

}  // namespace radbridge::store
