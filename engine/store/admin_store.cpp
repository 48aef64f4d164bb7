#include "store/admin_store.hpp"

#include "store/database_impl.hpp"

namespace radbridge::store {

namespace {

const std::string summary_columns = "id, interface, sending_application, sending_facility, control_id, "
                                    "message_type || '^' || trigger_event, " + utc_text("received_at") +
                                    ", status, ack_code, octet_length(payload)";

message_summary summary_of(const pqxx::row& r) {
  return {r[0].as<std::int64_t>(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str(),
          r[5].c_str(),            r[6].c_str(), r[7].c_str(), r[8].c_str(), r[9].as<std::int64_t>()};
}

}  // namespace

std::vector<message_summary> search_messages(database& db, const message_filter& f) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    // A type without '^' matches every event of it.
    std::optional<std::string> type, trigger;
    if (f.type) {
      const std::size_t caret = f.type->find('^');
      type = f.type->substr(0, caret);
      if (caret != std::string::npos) trigger = f.type->substr(caret + 1);
    }
    const pqxx::result r = tx.exec_params(
        "SELECT " + summary_columns +
            " FROM inbound_messages WHERE ($1::text IS NULL OR control_id = $1) "
            "AND ($2::text IS NULL OR interface = $2) AND ($3::text IS NULL OR message_type = $3) "
            "AND ($4::text IS NULL OR trigger_event = $4) AND ($5::text IS NULL OR ack_code = $5) "
            "AND ($6::text IS NULL OR status = $6) AND ($7::timestamptz IS NULL OR received_at >= $7) "
            "AND ($8::timestamptz IS NULL OR received_at < $8) AND ($9 = 0 OR id < $9) "
            "AND ($11::text IS NULL OR id IN (SELECT inbound_id FROM jobs WHERE study_key = $11 "
            "AND study_key_kind = 'accession')) "
            "AND ($12::text IS NULL OR id IN (SELECT inbound_id FROM jobs "
            "WHERE created_at >= coalesce($7::timestamptz, now() - interval '30 days') "
            "AND EXISTS (SELECT 1 FROM unnest(patient_ids) AS k WHERE split_part(k, E'\x1f', 2) = $12 "
            "AND ($13::text IS NULL OR split_part(k, E'\x1f', 1) = $13)))) "
            "ORDER BY id DESC LIMIT $10",
        f.control_id, f.interface, type, trigger, f.ack_code, f.status, f.since, f.until, f.before_id,
        static_cast<long>(f.limit), f.accession, f.patient_id, f.patient_authority);
    std::vector<message_summary> out;
    for (const pqxx::row& row : r) out.push_back(summary_of(row));
    return out;
  });
}

std::optional<message_detail> message_by_id(database& db, std::int64_t id) {
  return guarded(db.handle(), [&](pqxx::connection& c) -> std::optional<message_detail> {
    pqxx::read_transaction tx(c);
    const pqxx::result r =
        tx.exec_params("SELECT " + summary_columns + ", payload, ack FROM inbound_messages WHERE id = $1", id);
    if (r.empty()) return std::nullopt;
    message_detail d{summary_of(r[0]), pqxx::binarystring(r[0][10]).str(), pqxx::binarystring(r[0][11]).str(), {}};
    for (const pqxx::row& j : tx.exec_params(
             "SELECT id, route, status, coalesce(acuity, ''), study_key FROM jobs WHERE inbound_id = $1 ORDER BY id",
             id)) {
      d.jobs.push_back({j[0].as<std::int64_t>(), j[1].c_str(), j[2].c_str(), j[3].c_str(), j[4].c_str()});
    }
    return d;
  });
}

std::vector<dead_letter> dead_letters(database& db, const std::optional<std::string>& destination, std::size_t limit) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    std::vector<dead_letter> out;
    for (const pqxx::row& r : tx.exec_params(
             "SELECT id, job_id, destination, output, identity, attempts, coalesce(last_error, ''), " +
                 utc_text("created_at") +
                 " FROM outbound_messages WHERE status = 'dead' AND ($1::text IS NULL OR destination = $1) "
                 "ORDER BY id LIMIT $2",
             destination, static_cast<long>(limit))) {
      out.push_back({r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].c_str(), r[3].c_str(), r[4].c_str(),
                     r[5].as<int>(), r[6].c_str(), r[7].c_str()});
    }
    return out;
  });
}

bool discard_dead(database& db, std::int64_t id, std::string_view who, std::string_view reason) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        "UPDATE outbound_messages SET status = 'discarded', discarded_at = now(), discarded_by = $2, "
        "discard_reason = $3 WHERE id = $1 AND status = 'dead' RETURNING id",
        id, std::string(who), std::string(reason));
    tx.commit();
    return !r.empty();
  });
}

void record_admin_access(database& db, const admin_access& a) {
  guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params("INSERT INTO admin_audit (who, role, action, target, client, detail) VALUES ($1, $2, $3, $4, $5, $6)",
                   a.who, a.role, a.action, a.target, a.client, a.detail);
    tx.commit();
    return 0;
  });
}

}  // namespace radbridge::store
