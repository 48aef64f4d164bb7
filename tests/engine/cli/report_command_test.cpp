// `radbridge report` against a real PostgreSQL: the stroke route's
// validation in text, CSV and JSON, and each way it refuses.
#include <doctest/doctest.h>

#include <string>

#include "run_cli.hpp"
#include "support.hpp"
#include "support/postgres_server.hpp"

namespace test = radbridge::test;
using radbridge::test::source_dir;

namespace {

std::string src(const std::string& relative) { return (source_dir() / relative).string(); }

// Four studies of the stroke route, done in the week of 2026-11-30 (1.5 to 6 s after their orders):
// ACC1 found and confirmed (AI 12.5 mL, the report 14 mL), ACC2 found but the radiologist disagreed,
// ACC3 clear and confirmed, ACC4 clear with no report yet.
void add_studies(test::postgres_server& pg) {
  std::string sql =
      "INSERT INTO inbound_messages (interface, sending_application, sending_facility, control_id, message_type, "
      "trigger_event, payload, payload_sha256, ack_code, ack, received_at) VALUES ";
  for (int i = 1; i <= 4; ++i) {
    sql += (i > 1 ? "," : "") + std::string("('ris', 'RIS', 'HOSP', 'C") + std::to_string(i) +
           "', 'ORM', 'O01', 'x', 'x', 'AA', 'x', '2026-12-01T10:00:00Z')";
  }
  sql += ";";
  const char* found = R"([{"model": "ich_classifier", "version": "1.0.0", "findings": [{"label": "intracranial_hemorrhage", "present": true, "probability": 0.92}]}, )";
  const char* clear = R"([{"model": "ich_classifier", "version": "1.0.0", "findings": [{"label": "intracranial_hemorrhage", "present": false, "probability": 0.08}]}, )";
  auto job = [&](int i, const char* classifier, double volume, int seconds) {
    return "(" + std::to_string(i) + ", 'stroke_ct_head_ich', 'accession', 'ACC" + std::to_string(i) +
           "', 'silent', 'done', '2026-12-01T10:00:00Z', '2026-12-01T10:00:00Z'::timestamptz + interval '" +
           std::to_string(seconds) + " seconds', '" + classifier +
           R"({"model": "ich_segmentation", "version": "1.0.0", "findings": [{"label": "hemorrhage_volume", "value": )" +
           std::to_string(volume) + R"(, "unit": "mL"}]}]'))";
  };
  sql += "INSERT INTO jobs (inbound_id, route, study_key_kind, study_key, mode, status, created_at, finished_at, "
         "results) VALUES " +
         job(1, found, 12.5, 2) + "," + job(2, found, 3, 6) + "," + job(3, clear, 0, 3) + "," + job(4, clear, 0, 1) +
         ";";
  sql += "INSERT INTO feedback (route, study_key, label, source, verdict, value, report_status, inbound_id) VALUES "
         "('stroke_ct_head_ich', 'ACC1', 'intracranial_hemorrhage', 'report', 'positive', NULL, 'final', 1),"
         "('stroke_ct_head_ich', 'ACC1', 'hemorrhage_volume', 'report', NULL, 14, 'final', 1),"
         "('stroke_ct_head_ich', 'ACC2', 'intracranial_hemorrhage', 'report', 'negative', NULL, 'final', 2),"
         "('stroke_ct_head_ich', 'ACC3', 'intracranial_hemorrhage', 'report', 'negative', NULL, 'final', 3)";
  pg.psql(sql);
}

}  // namespace

TEST_CASE("cli report: the stroke route's validation in text, CSV and JSON") {
  test::postgres_server pg;
  REQUIRE(test::run_cli_args({"migrate", "--db", pg.conninfo()}).code == 0);
  add_studies(pg);
  const std::vector<std::string> base = {"report", "--route", "stroke_ct_head_ich", "--mapping", src("mappings"),
                                         "--registry", src("models/registry.json"), "--db", pg.conninfo()};
  const test::cli_outcome text = test::run_cli_args(base);
  CHECK(text.code == 0);
  CHECK(text.err.empty());
  CHECK(text.out ==
        "validation report: route stroke_ct_head_ich, all models, all jobs\n"
        "\n"
        "ich_classifier 1.0.0, silent mode: 4 studies, 3 with feedback\n"
        "  intracranial_hemorrhage                 radiologist positive  negative\n"
        "    AI present            1         1\n"
        "    AI absent             0         1\n"
        "    uncertain 0, no verdict 1\n"
        "    sensitivity  1.00 (95% CI 0.21-1.00), 1 of 1\n"
        "    specificity  0.50 (95% CI 0.09-0.91), 1 of 2\n"
        "    PPV          0.50 (95% CI 0.09-0.91), 1 of 2\n"
        "    NPV          1.00 (95% CI 0.21-1.00), 1 of 1\n"
        "    AUC 0.750 from 2 probability thresholds\n"
        "    agreement by week: 2026-11-30 2/3\n"
        "  order to result: p50 2.0 s, p90 6.0 s, max 6.0 s (4 jobs)\n"
        "  order to first delivery: none\n"
        "  verdict: NOT ENOUGH DATA\n"
        "    intracranial_hemorrhage: 3 of 50 studies with a positive or negative verdict\n"
        "\n"
        "ich_segmentation 1.0.0, silent mode: 4 studies, 1 with feedback\n"
        "  hemorrhage_volume: 1 pair, mean difference (AI - radiologist) -1.50 mL, SD 0.00, limits of agreement "
        "-1.50 to -1.50 mL\n"
        "  order to result: p50 2.0 s, p90 6.0 s, max 6.0 s (4 jobs)\n"
        "  order to first delivery: none\n"
        "  verdict: NO ACCEPTANCE RULES\n");
  std::vector<std::string> csv_args = base;
  csv_args.insert(csv_args.end(), {"--format", "csv", "--model", "ich_classifier", "--since", "2026-11-01"});
  const test::cli_outcome csv = test::run_cli_args(csv_args);
  CHECK(csv.code == 0);
  CHECK(csv.out ==
        "model,version,mode,studies,with_feedback,finding,true_positive,false_positive,false_negative,true_negative,"
        "uncertain,no_verdict,sensitivity,sensitivity_lower,sensitivity_upper,specificity,specificity_lower,"
        "specificity_upper,ppv,ppv_lower,ppv_upper,npv,npv_lower,npv_upper,auc,pairs,mean_difference,sd,"
        "lower_limit,upper_limit,verdict\n"
        "ich_classifier,1.0.0,silent,4,3,intracranial_hemorrhage,1,1,0,1,0,1,1.0000,0.2065,1.0000,0.5000,0.0945,"
        "0.9055,0.5000,0.0945,0.9055,1.0000,0.2065,1.0000,0.7500,,,,,,not enough data\n");
  std::vector<std::string> json_args = base;
  json_args.insert(json_args.end(), {"--format", "json", "--since", "2026-12-02"});
  const test::cli_outcome json = test::run_cli_args(json_args);
  CHECK(json.code == 0);
  CHECK(json.out == R"({"route":"stroke_ct_head_ich","model":null,"since":"2026-12-02","groups":[]})" "\n");
  std::vector<std::string> value_args = base;
  value_args.insert(value_args.end(), {"--format", "csv", "--model", "ich_segmentation"});
  const std::string values = test::run_cli_args(value_args).out;
  CHECK(values.substr(values.find('\n') + 1) ==
        "ich_segmentation,1.0.0,silent,4,1,hemorrhage_volume,,,,,,,,,,,,,,,,,,,,1,-1.5000,0.0000,-1.5000,-1.5000,"
        "no acceptance rules\n");
}

TEST_CASE("cli report: an unknown route, a bad date, bad mappings and no database, each with its answer") {
  const std::vector<std::string> base = {"report", "--mapping", src("mappings"), "--registry", src("models/registry.json")};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_cli_args(args);
  };
  const test::cli_outcome unknown = with({"--route", "mr_brain", "--db", "host=127.0.0.1 port=1"});
  CHECK(unknown.code == 1);
  CHECK(unknown.err ==
        "radbridge report: no route \"mr_brain\" in the mappings (they have stroke_ct_head_ich, "
        "trauma_whole_body_ct_head)\n");
  const test::cli_outcome date = with({"--route", "stroke_ct_head_ich", "--since", "1 December"});
  CHECK(date.code == 2);
  CHECK(date.err.starts_with("radbridge report: --since needs a date YYYY-MM-DD, not '1 December'\nusage: "));
  const test::cli_outcome format = with({"--route", "stroke_ct_head_ich", "--format", "xml"});
  CHECK(format.code == 2);
  CHECK(format.err.starts_with("radbridge report: --format is text, json or csv, not 'xml'\n"));
  const test::cli_outcome no_route = with({});
  CHECK(no_route.code == 2);
  CHECK(no_route.err.starts_with("radbridge report: --route is required\n"));
  const test::cli_outcome broken = test::run_cli_args({"report", "--route", "x", "--mapping",
                                                       src("samples/mappings/broken_mr_brain.json"), "--registry",
                                                       src("models/registry.json"), "--db", "host=127.0.0.1 port=1"});
  CHECK(broken.code == 1);
  CHECK_MESSAGE(broken.err.starts_with("radbridge report: the mappings do not load:\n" +
                                       src("samples/mappings/broken_mr_brain.json") + ":"),
                broken.err);
  const test::cli_outcome down = with({"--route", "stroke_ct_head_ich", "--db", "host=127.0.0.1 port=1 connect_timeout=2"});
  CHECK(down.code == 1);
  CHECK_MESSAGE(down.err.starts_with("radbridge report: "), down.err);
  CHECK(down.out.empty());
}
