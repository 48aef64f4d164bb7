#include "store/worklist_store.hpp"

#include "store/database_impl.hpp"
#include "store/text_array.hpp"

namespace radbridge::store {

std::vector<worklist_entry> worklist(database& db, const std::vector<acuity_rank>& ranks, int unranked, int hours,
                                     std::size_t limit) {
  text_array keys;
  std::string rank_list = "{";
  for (const acuity_rank& r : ranks) {
    keys.add(r.route + '\t' + r.level);
    rank_list += (rank_list.size() > 1 ? "," : "") + std::to_string(r.rank);
  }
  rank_list += "}";
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    std::vector<worklist_entry> out;
    for (const pqxx::row& r : tx.exec_params(
             "SELECT j.id, j.route, j.study_key_kind, j.study_key, j.mode, j.status, coalesce(j.acuity, ''), "
             "coalesce(r.rank, $3), " + utc_text("i.received_at") + ", coalesce(" + utc_text("j.finished_at") +
                 ", '') FROM jobs j JOIN inbound_messages i ON i.id = j.inbound_id "
                 "LEFT JOIN unnest($1::text[], $2::int[]) AS r(key, rank) ON r.key = j.route || E'\\t' || j.acuity "
                 "WHERE j.created_at >= now() - $4 * interval '1 hour' AND j.status NOT IN ('failed', 'cancelled') "
                 "AND j.withdrawn_at IS NULL ORDER BY coalesce(r.rank, $3), i.received_at, j.id LIMIT $5",
             keys.str(), rank_list, unranked, hours, static_cast<long>(limit))) {
      worklist_entry e;
      e.job_id = r[0].as<std::int64_t>();
      e.route = r[1].c_str();
      // The schema's CHECK constraints allow only these spellings.
      e.key_kind = work::parse_study_key_kind(r[2].c_str()).value_or(work::study_key_kind::accession);
      e.study_key = r[3].c_str();
      e.mode = work::parse_rollout_mode(r[4].c_str()).value_or(work::rollout_mode::silent);
      e.status = work::parse_job_status(r[5].c_str()).value_or(work::job_status::queued);
      e.acuity = r[6].c_str();
      e.rank = r[7].as<int>();
      e.arrived_at = r[8].c_str();
      e.finished_at = r[9].c_str();
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace radbridge::store
