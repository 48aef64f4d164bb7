#include "store/drift_store.hpp"

#include <optional>

#include "store/database_impl.hpp"

namespace radbridge::store {

std::vector<drift_row> drift_rows(database& db, std::string_view route, int window_days,
                                  std::optional<std::size_t> reference_studies) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    // $3: how many of each model's first inferences to read besides the window (NULL: all).
    const pqxx::result rows = tx.exec_params(
        "SELECT model, week, recent, present, probability, manufacturer, kvp, slice_thickness_mm, pixel_spacing_mm, "
        "       hu_mean FROM ("
        "  SELECT a.model, to_char(date_trunc('week', a.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS week, "
        "         a.created_at >= now() - $2 * interval '1 day' AS recent, "
        "         (f->>'present')::boolean AS present, (f->>'probability')::float8 AS probability, "
        "         coalesce(a.input_profile->>'manufacturer', '') AS manufacturer, "
        "         (a.input_profile->>'kvp')::float8 AS kvp, "
        "         (a.input_profile->>'slice_thickness_mm')::float8 AS slice_thickness_mm, "
        "         (a.input_profile->>'pixel_spacing_mm')::float8 AS pixel_spacing_mm, "
        "         (a.input_profile->>'hu_mean')::float8 AS hu_mean, "
        "         row_number() OVER (PARTITION BY a.model ORDER BY a.created_at, a.id) AS n, a.created_at, a.id "
        "  FROM inference_audit a JOIN jobs j ON j.id = a.job_id "
        "  LEFT JOIN LATERAL (SELECT x AS f FROM jsonb_array_elements(a.findings) x WHERE x ? 'present' LIMIT 1) p "
        "    ON true "
        "  WHERE j.route = $1 AND j.status = 'done') r "
        "WHERE $3::bigint IS NULL OR n <= $3 OR recent ORDER BY created_at, id",
        std::string(route), window_days,
        reference_studies ? std::optional<long>(static_cast<long>(*reference_studies)) : std::optional<long>());
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
