#include "store/outbound_store.hpp"

#include <algorithm>

#include "store/database_impl.hpp"

namespace radbridge::store {

namespace {

pqxx::binarystring binary(std::string_view s) { return pqxx::binarystring(s.data(), s.size()); }

// One UPDATE of a claimed lane head and the attempt's row in delivery_attempts
// (`outcome`, `error`), in one transaction; false when the claim was lost.
template <class... Args>
bool update_held(database& db, const char* outcome, std::string_view error, const std::string& set,
                 const lease& held, Args&&... args) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        "UPDATE outbound_messages SET " + set + ", lease = NULL, lease_until = NULL, attempts = attempts + 1 "
        "WHERE id = $1 AND lease = $2 AND status = 'pending' RETURNING destination, attempts",
        held.id, held.token, std::forward<Args>(args)...);
    if (r.empty()) return false;
    tx.exec_params(
        "INSERT INTO delivery_attempts (outbound_id, destination, attempt, outcome, error) VALUES ($1, $2, $3, $4, $5)",
        held.id, r[0][0].c_str(), r[0][1].as<int>(), std::string(outcome), std::string(error));
    tx.commit();
    return true;
  });
}

work::output_kind output_of(const pqxx::field& f) {
  return work::parse_output_kind(f.c_str()).value_or(work::output_kind::oru);  // the CHECK constraint allows no other
}

}  // namespace

std::optional<lane_head> claim_lane_head(database& db, std::string_view destination, std::chrono::seconds lease) {
  return guarded(db.handle(), [&](pqxx::connection& c) -> std::optional<lane_head> {
    pqxx::work tx(c);
    // The head is the first pending row in lane order; it is claimed only when it is due,
    // nobody holds it and the destination is not paused, so the rows behind it wait.
    const pqxx::result r = tx.exec_params(
        "WITH head AS (SELECT id FROM outbound_messages WHERE destination = $1 AND status = 'pending' "
        "AND NOT EXISTS (SELECT 1 FROM destination_pauses WHERE destination = $1) "
        "ORDER BY lane_position LIMIT 1 FOR UPDATE) "
        "UPDATE outbound_messages o SET lease = nextval('lease_tokens'), "
        "lease_until = now() + $2 * interval '1 second' FROM head "
        "WHERE o.id = head.id AND o.next_attempt_at <= now() AND (o.lease_until IS NULL OR o.lease_until < now()) "
        "RETURNING o.id, o.lease, o.job_id, o.output, o.identity, o.study_uid, o.payload, o.attempts, "
        "extract(epoch FROM now() - o.created_at), o.revision, "
        "coalesce((SELECT extract(epoch FROM now() - i.received_at) FROM jobs j JOIN inbound_messages i "
        "ON i.id = j.inbound_id WHERE j.id = o.job_id), 0)::float8",
        std::string(destination), static_cast<long>(lease.count()));
    tx.commit();
    if (r.empty()) return std::nullopt;
    const pqxx::row row = r[0];
    return lane_head{{row[0].as<std::int64_t>(), row[1].as<std::int64_t>()},
                     row[2].as<std::int64_t>(),
                     output_of(row[3]),
                     row[4].c_str(),
                     row[5].c_str(),
                     pqxx::binarystring(row[6]).str(),
                     work::parse_revision(row[9].c_str()).value_or(work::revision::original),
                     row[7].as<int>(),
                     row[8].as<double>(),
                     row[10].as<double>()};
  });
}

bool mark_sent(database& db, const lease& held, std::string_view response) {
  return update_held(db, "sent", "", "status = 'sent', sent_at = now(), last_error = NULL, response = $3", held,
                     binary(response));
}

bool mark_retry(database& db, const lease& held, std::chrono::milliseconds delay, std::string_view error,
                std::string_view response) {
  return update_held(db, "retry", error,
                     "last_error = $3, response = $4, next_attempt_at = now() + $5 * interval '1 millisecond'", held,
                     std::string(error), binary(response), static_cast<long>(delay.count()));
}

bool mark_dead(database& db, const lease& held, std::string_view error, std::string_view response) {
  return update_held(db, "dead", error, "status = 'dead', last_error = $3, response = $4", held,
                     std::string(error), binary(response));
}

std::optional<std::chrono::milliseconds> next_lane_due(database& db, std::string_view destination) {
  return guarded(db.handle(), [&](pqxx::connection& c) -> std::optional<std::chrono::milliseconds> {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        "SELECT ceil(extract(epoch FROM greatest(next_attempt_at, coalesce(lease_until, next_attempt_at)) - now()) "
        "* 1000) FROM outbound_messages WHERE destination = $1 AND status = 'pending' "
        "AND NOT EXISTS (SELECT 1 FROM destination_pauses WHERE destination = $1) ORDER BY lane_position LIMIT 1",
        std::string(destination));
    tx.commit();
    if (r.empty()) return std::nullopt;
    return std::chrono::milliseconds(std::max<std::int64_t>(0, r[0][0].as<std::int64_t>()));
  });
}

std::size_t requeue_dead(database& db, std::optional<std::string> destination, const std::vector<std::int64_t>& ids) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    std::string id_list = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) id_list += (i ? "," : "") + std::to_string(ids[i]);
    id_list += "}";
    const pqxx::result r = tx.exec_params(
        "UPDATE outbound_messages SET status = 'pending', attempts = 0, next_attempt_at = now(), lease = NULL, "
        "lane_position = nextval('outbound_lane_positions'), "
        "lease_until = NULL WHERE status = 'dead' AND ($1::text IS NULL OR destination = $1) "
        "AND (cardinality($2::bigint[]) = 0 OR id = ANY($2::bigint[])) RETURNING id",
        destination ? std::optional<std::string>(*destination) : std::nullopt, id_list);
    tx.commit();
    return r.size();
  });
}

std::vector<outbound_status> outbound_of(database& db, std::int64_t job_id) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        "SELECT id, job_id, destination, output, identity, status, attempts, coalesce(last_error, ''), revision "
        "FROM outbound_messages WHERE $1 = 0 OR job_id = $1 ORDER BY id",
        job_id);
    std::vector<outbound_status> out;
    for (const pqxx::row& row : r) {
      out.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].c_str(), output_of(row[3]),
                     row[4].c_str(),
                     work::parse_outbound_status(row[5].c_str()).value_or(work::outbound_status::pending),
                     work::parse_revision(row[8].c_str()).value_or(work::revision::original), row[6].as<int>(),
                     row[7].c_str()});
    }
    return out;
  });
}

}  // namespace radbridge::store
