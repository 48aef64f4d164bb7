#include "store/drift_store.hpp"

#include "store/database_impl.hpp"

namespace radbridge::store {

std::vector<drift_row> drift_rows(database& db, std::string_view route, int window_days) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    const pqxx::result rows = tx.exec_params(
        "SELECT a.model, to_char(date_trunc('week', a.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'), "
        "       a.created_at >= now() - $2 * interval '1 day', "
        "       (f->>'present')::boolean, (f->>'probability')::float8, "
        "       coalesce(a.input_profile->>'manufacturer', ''), (a.input_profile->>'kvp')::float8, "
        "       (a.input_profile->>'slice_thickness_mm')::float8, (a.input_profile->>'pixel_spacing_mm')::float8, "
        "       (a.input_profile->>'hu_mean')::float8 "
        "FROM inference_audit a JOIN jobs j ON j.id = a.job_id "
        "LEFT JOIN LATERAL (SELECT x AS f FROM jsonb_array_elements(a.findings) x WHERE x ? 'present' LIMIT 1) p "
        "  ON true "
        "WHERE j.route = $1 AND j.status = 'done' ORDER BY a.created_at, a.id",
        std::string(route), window_days);
    std::vector<drift_row> out;
    for (const pqxx::row& r : rows) {
      drift_row d;
      d.model = r[0].c_str();
      d.week = r[1].c_str();
      d.recent = r[2].as<bool>();
      d.present = optional_of<bool>(r[3]);
      d.probability = optional_of<double>(r[4]);
      d.manufacturer = r[5].c_str();
      d.kvp = optional_of<double>(r[6]);
      d.slice_thickness_mm = optional_of<double>(r[7]);
      d.pixel_spacing_mm = optional_of<double>(r[8]);
      d.hu_mean = optional_of<double>(r[9]);
      out.push_back(std::move(d));
    }
    return out;
  });
}

}  // namespace radbridge::store
