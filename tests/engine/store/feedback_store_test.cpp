// engine/store's feedback against a real private PostgreSQL: a report's
// verdicts stored in its routing transaction (final, addendum, correction),
// a report before the AI result, manual verdicts, and the rows a validation
// report is computed from.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "inbound_rows.hpp"
#include "store/database.hpp"
#include "store/feedback_store.hpp"
#include "store/inbound_store.hpp"
#include "store/job_store.hpp"
#include "support/postgres_server.hpp"

namespace store = radbridge::store;
namespace work = radbridge::work;
using namespace std::chrono_literals;
using radbridge::test::inbound_row;
using radbridge::test::postgres_server;

namespace {

constexpr auto pos = work::verdict::positive;
constexpr auto neg = work::verdict::negative;

struct feedback_db {
  postgres_server pg;
  store::database db{pg.conninfo()};
  feedback_db() { db.migrate(); }

  // Stores one message and routes it with `decision`.
  void route(const std::string& control_id, store::routing_decision decision) {
    const std::vector<store::inbound_message> rows{inbound_row(control_id)};
    store::store_inbound(db, rows);
    store::route_received(db, 10, [&](std::int64_t, std::string_view) { return decision; });
  }

  void order(const std::string& control_id, const std::string& accession) {
    store::routing_decision d;
    d.status = work::inbound_status::routed;
    d.jobs.push_back({"stroke", work::study_key_kind::accession, accession, work::rollout_mode::silent, {}});
    route(control_id, d);
  }

  void report(const std::string& control_id, const std::string& accession, work::report_status status,
              std::vector<store::stated_finding> findings) {
    store::routing_decision d;
    d.status = work::inbound_status::routed;
    d.reports.push_back({"stroke", accession, status, "20261201101500", std::move(findings)});
    route(control_id, d);
  }

  // The current report and manual rows of the study: "label source status verdict value".
  std::string current(const std::string& accession) {
    return pg.psql("SELECT string_agg(label || ' ' || source || ' ' || coalesce(report_status, '-') || ' ' || "
                   "coalesce(verdict, '-') || ' ' || coalesce(value::text, '-'), '; ' ORDER BY id) FROM feedback "
                   "WHERE study_key = '" + accession + "' AND superseded_at IS NULL");
  }
};

const char* results_json =
    R"([{"model": "ich_classifier", "version": "1.0.0", "findings": [{"label": "intracranial_hemorrhage", "present": true, "probability": 0.91}]},)"
    R"( {"model": "ich_segmentation", "version": "1.0.0", "findings": [{"label": "hemorrhage_volume", "value": 12.5, "unit": "mL"}]}])";

std::string verdict_text(const std::optional<work::verdict>& v) { return v ? std::string(work::to_string(*v)) : "none"; }

}  // namespace

TEST_CASE("store feedback: a final report, an addendum and a correction; a report before the result counts once it exists") {
  feedback_db f;
  f.order("O1", "ACC1");
  // The report arrives while the job is still queued.
  f.report("R1", "ACC1", work::report_status::final,
           {{"intracranial_hemorrhage", pos, std::nullopt}, {"hemorrhage_volume", std::nullopt, 14.0}});
  CHECK(f.current("ACC1") == "intracranial_hemorrhage report final positive -; hemorrhage_volume report final - 14");
  CHECK(f.pg.psql("SELECT status FROM inbound_messages WHERE control_id = 'R1'") == "routed");
  CHECK(store::scored_findings(f.db, "stroke", "", "").empty());

  auto job = store::claim_job(f.db, 60s);
  REQUIRE(job.has_value());
  REQUIRE(store::finish_job(f.db, job->held, store::job_result{"critical", results_json, "v1", {}, {}, {}}));
  std::vector<store::scored_finding> rows = store::scored_findings(f.db, "stroke", "", "");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].study_key == "ACC1");
  CHECK(rows[0].model == "ich_classifier");
  CHECK(rows[0].version == "1.0.0");
  CHECK(rows[0].mode == "silent");
  CHECK(rows[0].label == "intracranial_hemorrhage");
  CHECK(rows[0].present == true);
  CHECK(rows[0].probability == 0.91);
  CHECK(verdict_text(rows[0].verdict) == "positive");
  CHECK(rows[0].result_ms > 0);
  CHECK(!rows[0].notification_ms.has_value());  // silent: nothing delivered
  CHECK(rows[0].week.size() == 10);
  CHECK(rows[1].model == "ich_segmentation");
  CHECK(rows[1].value == 12.5);
  CHECK(rows[1].radiologist_value == 14.0);
  CHECK(!rows[1].present.has_value());
  // Filters: another model, a start after the job.
  CHECK(store::scored_findings(f.db, "stroke", "", "ich_segmentation").size() == 1);
  CHECK(store::scored_findings(f.db, "stroke", "2999-01-01", "").empty());
  CHECK(store::scored_findings(f.db, "other_route", "", "").empty());

  // A second final report on the study is an addendum: it replaces the verdicts it states, keeps the others.
  f.report("R2", "ACC1", work::report_status::final, {{"intracranial_hemorrhage", work::verdict::uncertain, std::nullopt}});
  CHECK(f.current("ACC1") ==
        "hemorrhage_volume report final - 14; intracranial_hemorrhage report addendum uncertain -");
  // A correction replaces every report verdict on the study.
  f.report("R3", "ACC1", work::report_status::corrected, {{"intracranial_hemorrhage", neg, std::nullopt}});
  CHECK(f.current("ACC1") == "intracranial_hemorrhage report corrected negative -");
  rows = store::scored_findings(f.db, "stroke", "", "");
  CHECK(verdict_text(rows[0].verdict) == "negative");
  CHECK(!rows[1].radiologist_value.has_value());
  // Every verdict stays in the trail, the replaced ones superseded.
  const std::vector<store::feedback_entry> trail = store::study_feedback(f.db, "ACC1");
  REQUIRE(trail.size() == 4);
  CHECK(trail[0].report_status == work::report_status::final);
  CHECK(!trail[0].superseded_at.empty());
  CHECK(trail[1].value == 14.0);
  CHECK(!trail[1].superseded_at.empty());
  CHECK(trail[2].report_status == work::report_status::addendum);
  CHECK(trail[3].report_status == work::report_status::corrected);
  CHECK(trail[3].superseded_at.empty());
  CHECK(trail[3].report_time == "20261201101500");
  CHECK(trail[3].inbound_id > 0);
}

TEST_CASE("store feedback: manual verdicts judge the latest result and count over the report's") {
  feedback_db f;
  f.order("O1", "ACC1");
  f.order("O2", "ACC2");
  auto job = store::claim_job(f.db, 60s);
  REQUIRE(job.has_value());
  REQUIRE(store::finish_job(f.db, job->held, store::job_result{"critical", results_json, "v1", {}, {}, {}}));
  f.report("R1", "ACC1", work::report_status::final, {{"intracranial_hemorrhage", pos, std::nullopt}});

  store::manual_outcome out = store::record_manual_verdict(f.db, {"stroke", "ACC1", "intracranial_hemorrhage", false,
                                                                  "calcification, not blood", "dr-reader"});
  REQUIRE(out.what == store::manual_outcome::kind::recorded);
  CHECK(out.entry.source == work::feedback_source::manual);
  CHECK(verdict_text(out.entry.verdict) == "negative");  // disagrees with the AI's "present"
  CHECK(verdict_text(out.entry.ai_verdict) == "positive");
  CHECK(out.entry.job_id == job->held.id);
  CHECK(out.entry.author == "dr-reader");
  CHECK(out.entry.comment == "calcification, not blood");
  CHECK(verdict_text(store::scored_findings(f.db, "stroke", "", "ich_classifier").at(0).verdict) == "negative");
  // A second manual verdict replaces the first.
  out = store::record_manual_verdict(f.db, {"stroke", "ACC1", "intracranial_hemorrhage", true, "", "dr-second"});
  REQUIRE(out.what == store::manual_outcome::kind::recorded);
  CHECK(f.current("ACC1") == "intracranial_hemorrhage report final positive -; intracranial_hemorrhage manual - positive -");
  CHECK(out.entry.comment.empty());

  CHECK(store::record_manual_verdict(f.db, {"stroke", "ACC2", "intracranial_hemorrhage", true, "", "x"}).what ==
        store::manual_outcome::kind::no_result);  // its job is still queued
  CHECK(store::record_manual_verdict(f.db, {"stroke", "ACC1", "hemorrhage_volume", true, "", "x"}).what ==
        store::manual_outcome::kind::no_finding);  // a value, not present/absent
  CHECK(store::record_manual_verdict(f.db, {"other", "ACC1", "intracranial_hemorrhage", true, "", "x"}).what ==
        store::manual_outcome::kind::no_result);
}
