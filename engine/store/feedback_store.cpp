#include "store/feedback_store.hpp"

#include "store/database_impl.hpp"

namespace radbridge::store {

namespace {

std::optional<std::string> verdict_text(const std::optional<work::verdict>& v) {
  if (!v) return std::nullopt;
  return std::string(work::to_string(*v));
}

std::string entry_columns() {
  return "id, route, study_key, label, source, verdict, value, report_status, coalesce(report_time, ''), "
         "coalesce(inbound_id, 0), coalesce(job_id, 0), ai_verdict, coalesce(author, ''), coalesce(comment, ''), " +
         utc_text("recorded_at") + ", coalesce(" + utc_text("superseded_at") + ", '')";
}

feedback_entry entry_of(const pqxx::row& r) {
  // The CHECK constraints allow only the spellings parse_* reads.
  feedback_entry e;
  e.id = r[0].as<std::int64_t>();
  e.route = r[1].c_str();
  e.study_key = r[2].c_str();
  e.label = r[3].c_str();
  e.source = work::parse_feedback_source(r[4].c_str()).value_or(work::feedback_source::report);
  if (!r[5].is_null()) e.verdict = work::parse_verdict(r[5].c_str());
  e.value = optional_of<double>(r[6]);
  if (!r[7].is_null()) e.report_status = work::parse_report_status(r[7].c_str());
  e.report_time = r[8].c_str();
  e.inbound_id = r[9].as<std::int64_t>();
  e.job_id = r[10].as<std::int64_t>();
  if (!r[11].is_null()) e.ai_verdict = work::parse_verdict(r[11].c_str());
  e.author = r[12].c_str();
  e.comment = r[13].c_str();
  e.recorded_at = r[14].c_str();
  e.superseded_at = r[15].c_str();
  return e;
}

// Verdicts on one study are written one transaction at a time.
void lock_study(pqxx::work& tx, const std::string& route, const std::string& study_key) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 15))", route, study_key);
}

}  // namespace

void record_report(pqxx::work& tx, std::int64_t inbound_id, const report_feedback& report) {
  lock_study(tx, report.route, report.study_key);
  const std::string route = report.route, key = report.study_key;
  work::report_status status = report.status;
  if (status == work::report_status::corrected) {
    tx.exec_params(
        "UPDATE feedback SET superseded_at = now() WHERE route = $1 AND study_key = $2 AND source = 'report' "
        "AND superseded_at IS NULL",
        route, key);
  } else if (tx.exec_params1("SELECT EXISTS (SELECT FROM feedback WHERE route = $1 AND study_key = $2 "
                             "AND source = 'report' AND superseded_at IS NULL)",
                             route, key)[0]
                 .as<bool>()) {
    status = work::report_status::addendum;
  }
  for (const stated_finding& f : report.findings) {
    tx.exec_params(
        "UPDATE feedback SET superseded_at = now() WHERE route = $1 AND study_key = $2 AND label = $3 "
        "AND source = 'report' AND superseded_at IS NULL",
        route, key, f.label);
    tx.exec_params(
        "INSERT INTO feedback (route, study_key, label, source, verdict, value, report_status, report_time, inbound_id) "
        "VALUES ($1, $2, $3, 'report', $4, $5, $6, nullif($7, ''), $8)",
        route, key, f.label, verdict_text(f.verdict), f.value, std::string(work::to_string(status)),
        report.report_time, inbound_id);
  }
}

manual_outcome record_manual_verdict(database& db, const manual_verdict& v) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    lock_study(tx, v.route, v.study_key);
    const pqxx::result job = tx.exec_params(
        "SELECT j.id, (SELECT (f->>'present')::boolean FROM jsonb_array_elements(j.results) r, "
        "jsonb_array_elements(r->'findings') f WHERE f->>'label' = $3 AND f ? 'present' LIMIT 1) "
        "FROM jobs j WHERE j.route = $1 AND j.study_key = $2 AND j.status = 'done' AND j.withdrawn_at IS NULL "
        "ORDER BY j.id DESC LIMIT 1",
        v.route, v.study_key, v.label);
    if (job.empty()) return manual_outcome{manual_outcome::kind::no_result, {}};
    if (job[0][1].is_null()) return manual_outcome{manual_outcome::kind::no_finding, {}};
    const bool ai_present = job[0][1].as<bool>();
    const bool radiologist_present = v.agree ? ai_present : !ai_present;
    tx.exec_params(
        "UPDATE feedback SET superseded_at = now() WHERE route = $1 AND study_key = $2 AND label = $3 "
        "AND source = 'manual' AND superseded_at IS NULL",
        v.route, v.study_key, v.label);
    const pqxx::row r = tx.exec_params1(
        "INSERT INTO feedback (route, study_key, label, source, verdict, job_id, ai_verdict, author, comment) "
        "VALUES ($1, $2, $3, 'manual', $4, $5, $6, $7, nullif($8, '')) RETURNING " +
            entry_columns(),
        v.route, v.study_key, v.label, radiologist_present ? "positive" : "negative", job[0][0].as<std::int64_t>(),
        ai_present ? "positive" : "negative", v.author, v.comment);
    tx.commit();
    return manual_outcome{manual_outcome::kind::recorded, entry_of(r)};
  });
}

std::vector<feedback_entry> study_feedback(database& db, std::string_view study_key) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    std::vector<feedback_entry> out;
    for (const pqxx::row& r :
         tx.exec_params("SELECT " + entry_columns() + " FROM feedback WHERE study_key = $1 ORDER BY id",
                        std::string(study_key))) {
      out.push_back(entry_of(r));
    }
    return out;
  });
}

std::vector<scored_finding> scored_findings(database& db, std::string_view route, std::string_view since,
                                            std::string_view model) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    const pqxx::result rows = tx.exec_params(
        "WITH latest AS ("
        "  SELECT DISTINCT ON (j.study_key) j.id, j.study_key, j.mode, j.results, j.created_at, j.finished_at, "
        "         i.received_at "
        "  FROM jobs j JOIN inbound_messages i ON i.id = j.inbound_id "
        "  WHERE j.route = $1 AND j.status = 'done' AND j.withdrawn_at IS NULL "
        "    AND j.created_at >= coalesce(nullif($2, '')::timestamptz, '-infinity') "
        "  ORDER BY j.study_key, j.id DESC) "
        "SELECT l.id, l.study_key, r->>'model', r->>'version', l.mode, "
        "       to_char(date_trunc('week', l.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'), "
        "       extract(epoch FROM l.finished_at - l.received_at) * 1000, "
        "       (SELECT extract(epoch FROM min(o.sent_at) - l.received_at) * 1000 FROM outbound_messages o "
        "        WHERE o.job_id = l.id AND o.status = 'sent'), "
        "       f->>'label', (f->>'present')::boolean, (f->>'probability')::float8, (f->>'value')::float8, "
        "       fb.verdict, fb.value "
        "FROM latest l "
        "CROSS JOIN LATERAL jsonb_array_elements(l.results) r "
        "CROSS JOIN LATERAL jsonb_array_elements(r->'findings') f "
        "LEFT JOIN LATERAL (SELECT verdict, value FROM feedback b WHERE b.route = $1 AND b.study_key = l.study_key "
        "  AND b.label = f->>'label' AND b.superseded_at IS NULL ORDER BY (b.source = 'manual') DESC LIMIT 1) fb "
        "  ON true "
        "WHERE $3 = '' OR r->>'model' = $3 "
        "ORDER BY l.created_at, l.id",
        std::string(route), std::string(since), std::string(model));
    std::vector<scored_finding> out;
    for (const pqxx::row& r : rows) {
      scored_finding s;
      s.job_id = r[0].as<std::int64_t>();
      s.study_key = r[1].c_str();
      s.model = r[2].c_str();
      s.version = r[3].c_str();
      s.mode = r[4].c_str();
      s.week = r[5].c_str();
      s.result_ms = r[6].is_null() ? 0 : r[6].as<double>();
      s.notification_ms = optional_of<double>(r[7]);
      s.label = r[8].c_str();
      s.present = optional_of<bool>(r[9]);
      s.probability = optional_of<double>(r[10]);
      s.value = optional_of<double>(r[11]);
      if (!r[12].is_null()) s.verdict = work::parse_verdict(r[12].c_str());
      s.radiologist_value = optional_of<double>(r[13]);
      out.push_back(std::move(s));
    }
    return out;
  });
}

}  // namespace radbridge::store
