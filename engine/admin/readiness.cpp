#include "admin/readiness.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "json/json_writer.hpp"

namespace radbridge::admin {

readiness check_readiness(const database_state& db, int expected_schema, const std::vector<model_state>& models,
                          const std::vector<std::string>& destinations) {
  const bool schema_current = db.reachable && db.schema_version == expected_schema;
  const bool models_ok =
      std::all_of(models.begin(), models.end(), [](const model_state& m) { return m.verified; });
  readiness r;
  r.ready = schema_current && models_ok;
  json::writer w;
  w.begin_object().key("status").string(r.ready ? "ready" : "not_ready").key("checks").begin_object();
  w.key("database").begin_object().key("ok").boolean(schema_current);
  if (db.reachable) {
    w.key("schema_version").number(std::int64_t{db.schema_version});
    w.key("expected_schema_version").number(std::int64_t{expected_schema});
    if (!schema_current) {
      w.key("error").string(db.schema_version < expected_schema
                                ? "the database's schema is older than this build's: run radbridge migrate"
                                : "the database's schema is newer than this build's: upgrade this engine");
    }
  } else {
    w.key("error").string(db.error);
  }
  w.end_object();
  if (!models.empty()) {
    w.key("models").begin_object().key("ok").boolean(models_ok).key("models").begin_array();
    for (const model_state& m : models) {
      w.begin_object().key("id").string(m.id).key("version").string(m.version).key("sha256").string(m.sha256);
      w.key("verified").boolean(m.verified);
      if (!m.verified) w.key("error").string(m.problem);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_object();
  w.key("destinations").begin_array();
  for (const std::string& name : destinations) {
    w.begin_object().key("name").string(name);
    if (db.backlog) {
      const auto found = db.backlog->lanes.find(name);
      const store::lane_backlog lane = found == db.backlog->lanes.end() ? store::lane_backlog{} : found->second;
      w.key("pending").number(lane.pending).key("oldest_pending_seconds").number(lane.oldest_pending_seconds);
      w.key("dead_letters").number(lane.dead);
    }
    w.end_object();
  }
  w.end_array();
  // Drift is a detail for people: it never changes the verdict.
  w.key("drift").begin_array();
  for (const drift_status& d : db.drift) {
    w.begin_object().key("route").string(d.route).key("model").string(d.model).key("state").string(d.state);
    w.key("over").begin_array();
    for (const auto& [feature, ratio] : d.ratios) {
      if (ratio > 1) w.string(feature);
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
  r.json = w.str();
  return r;
}

}  // namespace radbridge::admin
