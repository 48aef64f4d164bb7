#include "store/audit_store.hpp"

#include "store/database_impl.hpp"

namespace radbridge::store {

std::vector<job_record> audit_study(database& db, std::string_view study_key) {
  std::vector<job_record> jobs = guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    std::vector<job_record> out;
    const auto utc = [](const char* column) { return "coalesce(" + utc_text(column) + ", '')"; };
    for (const pqxx::row& r : tx.exec_params(
             "SELECT j.id, j.inbound_id, i.control_id, j.route, j.mode, j.status, coalesce(j.acuity, ''), j.attempts, "
             "coalesce(j.error, ''), " + utc("j.created_at") + ", " + utc("j.finished_at") +
                 ", coalesce(c.control_id, ''), j.withdrawn_at IS NOT NULL, coalesce(j.failure, ''), "
                 "coalesce(j.probe_series, ''), coalesce(j.probe_instances, 0), " + utc("j.probe_since") +
                 " FROM jobs j JOIN inbound_messages i ON "
                 "i.id = j.inbound_id LEFT JOIN inbound_messages c ON c.id = j.cancelled_by WHERE j.study_key = $1 "
                 "ORDER BY j.id",
             std::string(study_key))) {
      job_record j;
      j.id = r[0].as<std::int64_t>();
      j.inbound_id = r[1].as<std::int64_t>();
      j.control_id = r[2].c_str();
      j.route = r[3].c_str();
      // The schema's CHECK constraints allow only these spellings.
      j.mode = work::parse_rollout_mode(r[4].c_str()).value_or(work::rollout_mode::silent);
      j.status = work::parse_job_status(r[5].c_str()).value_or(work::job_status::queued);
      j.acuity = r[6].c_str();
      j.attempts = r[7].as<int>();
      j.error = r[8].c_str();
      j.created_at = r[9].c_str();
      j.finished_at = r[10].c_str();
      j.cancelled_by = r[11].c_str();
      j.withdrawn = r[12].as<bool>();
      j.failure = r[13].c_str();
      j.probe_series = r[14].c_str();
      j.probe_instances = r[15].as<int>();
      j.probe_since = r[16].c_str();
      for (const pqxx::row& a : tx.exec_params(
               "SELECT study_uid, series_uid, model, model_version, model_sha256, timings_ms::text, findings::text, " +
                   utc("created_at") + " FROM inference_audit WHERE job_id = $1 ORDER BY id",
               j.id)) {
        j.inferences.push_back({a[0].c_str(), a[1].c_str(), a[2].c_str(), a[3].c_str(), a[4].c_str(), a[5].c_str(),
                                a[6].c_str(), a[7].c_str()});
      }
      for (const pqxx::row& a : tx.exec_params(
               "SELECT a.outbound_id, a.attempt, a.outcome, a.error, " + utc("a.at") +
                   " FROM delivery_attempts a JOIN outbound_messages o ON o.id = a.outbound_id WHERE o.job_id = $1 "
                   "ORDER BY a.id",
               j.id)) {
        j.deliveries.push_back({a[0].as<std::int64_t>(), a[1].as<int>(), a[2].c_str(), a[3].c_str(), a[4].c_str()});
      }
      out.push_back(std::move(j));
    }
    return out;
  });
  for (job_record& j : jobs) j.outbound = outbound_of(db, j.id);
  return jobs;
}

}  // namespace radbridge::store
