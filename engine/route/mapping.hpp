// Routes and code mappings, as interface analysts write them in mappings/*.json.
//
// A route says which inbound messages start a job (`match`), which study and
// series to fetch, which models to run, in which rollout mode, how each
// model output is coded in the results, which acuity each result earns, and
// where each kind of output goes. Destinations are declared once (in any
// mapping file) and named by routes. `load_mappings` (mapping_loader.hpp)
// builds a mapping_set and reports every problem as file:line:col.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/work_kinds.hpp"
#include "fetch/series.hpp"
#include "hl7/path.hpp"

namespace radbridge::route {

// Where something was written, for messages about it.
struct source_position {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
};

using work::rollout_mode;

// A code from a code system, in both worlds: FHIR names the system by URI,
// HL7 v2 by a coding-system mnemonic (table 0396: SCT, LN, ...).
struct coded_concept {
  std::string system;      // e.g. http://snomed.info/sct
  std::string hl7_system;  // e.g. SCT
  std::string code;        // e.g. 1386000
  std::string display;     // e.g. Intracranial hemorrhage
};

// A match condition: a test on one HL7 value, or all/any/not of others.
struct condition {
  enum class kind { all, any, negate, test };
  enum class test_op { equals, in, exists, prefix };
  kind what = kind::all;
  std::vector<condition> children;  // all, any: several; negate: one
  std::string path_text;            // test: as written, e.g. "OBR-4.1"
  hl7::path path;                   // test: parsed
  test_op op = test_op::equals;
  std::vector<std::string> values;  // equals: one; in: several; prefix: one; exists: none
  bool ignore_case = false;
  source_position where;
};

// The study a job fetches: by accession number or by Study Instance UID,
// read from the order at `path`. When the order also names the Study
// Instance UID at `verify_uid` (ZDS-1 in IHE Scheduled Workflow), a study
// with another UID is refused.
struct study_key_rule {
  using kind = work::study_key_kind;
  kind by = kind::accession;
  std::string path_text;  // e.g. "OBR-18" or "ZDS-1.1"
  hl7::path path;
  std::string verify_uid_text = "ZDS-1.1";  // empty: no check
  std::optional<hl7::path> verify_uid = *hl7::parse_path("ZDS-1.1");
};

// When a study is ready: the chosen series' instance count has not changed
// for `settle`, and is at least the expected count (from the mapping, or
// from the order at `expected_instances_path`, when either gives one). A
// study not ready after `max_wait` since the order fails the job, except
// that a series first seen complete at or after it (a backlog or an outage
// delayed the look) still gets its settle check.
struct readiness_rule {
  std::chrono::milliseconds settle{1000};
  std::chrono::milliseconds max_wait{std::chrono::minutes(10)};
  std::size_t expected_instances = 0;  // 0: none
  std::string expected_instances_path_text;
  std::optional<hl7::path> expected_instances_path;
};

// How one model output is coded in the results.
struct finding_mapping {
  std::string label;            // the model's output label, e.g. intracranial_hemorrhage
  coded_concept observation;    // what is observed: OBX-3, Observation.code
  // Probability outputs: the coded answer for present/absent (OBX-5 CWE,
  // Observation.valueCodeableConcept) and the code of the probability
  // itself (a separate NM OBX / Observation with unit "1").
  std::optional<coded_concept> present;
  std::optional<coded_concept> absent;
  std::optional<coded_concept> probability;
  // Value outputs (e.g. a volume): the UCUM unit, e.g. "mL" or "mm".
  std::string ucum;
  source_position where;
};

// How a value finding changed since the patient's prior study
// (route/change.hpp): absent both times, new, stable, growing, shrinking,
// resolved.
enum class change_kind { absent, new_finding, stable, growing, shrinking, resolved };
std::string_view to_string(change_kind k) noexcept;
std::optional<change_kind> parse_change_kind(std::string_view text) noexcept;

// Acuity from results: the first level (most urgent first) one of whose
// triggers holds; `otherwise` when none does.
struct acuity_trigger {
  std::string label;  // a finding label
  double at_least = 0;  // compared with its probability, or with its value
  std::vector<change_kind> changes;  // instead: how the value finding changed since the prior study
};
struct acuity_level {
  std::string name;  // e.g. critical
  std::vector<acuity_trigger> when;
};
struct acuity_rules {
  std::vector<acuity_level> levels;   // most urgent first
  std::string otherwise = "routine";  // the lowest level
  std::string critical = "critical";  // the level that marks a finding critical (FHIR interpretation)
};

// ADT^A31 acuity update: written only in active mode, and only at or above
// `min_level`; the level's code goes to `field` (an HL7 path).
struct adt_settings {
  std::string min_level = "critical";
  std::string field_text = "PV2-25";  // Visit priority code by default
  hl7::path field;
  std::map<std::string, std::string> codes;  // level name -> value written to `field`
};

// How the order's patient identifier corresponds to the study's DICOM
// PatientID: the same value, the value behind a prefix, or a lookup table
// (a CSV file of `order identifier,study PatientID` lines). When `issuer` is
// set and the study carries an IssuerOfPatientID, the two must be equal.
struct study_patient_rule {
  enum class kind { same, prefix, table };
  kind how = kind::same;
  std::string prefix;
  std::string table_file;
  std::map<std::string, std::string> table;
  std::string issuer;
};

// The patient identifier the results use: the first PID-3 repetition whose
// assigning authority (CX-4.1) equals `assigner` (any when empty), with the
// FHIR identifier system `system`; and how it names the study's patient.
struct patient_identifier_rule {
  std::string assigner;
  std::string system;
  study_patient_rule study;
};

using work::output_kind;

// How a radiologist's report gives the verdict on one finding. A coded OBX
// (OBX-3.1 equals `coded_observation`; OBX-5.1 in `positive`, `negative` or
// `uncertain`) decides when the report has one; otherwise the report text is
// read for `terms`, with negation and uncertainty (review/report_text.hpp).
// A value finding reads the number of the NM OBX whose OBX-3.1 equals
// `value_observation`. A report that says nothing on the finding gives no
// verdict, or `unmentioned` when set (a normal head CT's "no acute
// intracranial abnormality" names no hemorrhage).
struct finding_feedback {
  std::string label;
  std::string coded_observation;
  std::vector<std::string> positive;
  std::vector<std::string> negative;
  std::vector<std::string> uncertain;
  std::vector<std::string> terms;
  std::optional<work::verdict> unmentioned;
  std::string value_observation;
  source_position where;
};

// Which inbound messages are the radiologists' reports on a route's studies
// ("feedback" in a route) and how they are read. The study key is read as
// the route reads it unless `study` is given. The report's status (OBR-25 by
// default) is final or corrected; a final report on a study that already has
// one is an addendum. The report text is the value of every TX, FT or ST OBX,
// or of the OBX whose OBX-3.1 is in `text_observations` when it lists any.
struct feedback_rules {
  condition match;
  std::optional<study_key_rule> study;
  std::string status_path_text = "OBR-25";
  hl7::path status_path = *hl7::parse_path("OBR-25");
  std::vector<std::string> final_statuses{"F"};
  std::vector<std::string> corrected_statuses{"C"};
  std::vector<std::string> text_observations;
  std::vector<finding_feedback> findings;
  source_position where;
};

// What a route must show against the radiologists before it leaves silent
// mode, per coded finding: at least `min_studies` studies with a verdict,
// and each measure given at least its threshold. `compare` says whether the
// 95% Wilson lower bound or the estimate is compared.
struct acceptance_rule {
  std::string label;
  std::size_t min_studies = 20;
  std::optional<double> sensitivity;
  std::optional<double> specificity;
  std::optional<double> ppv;
  std::optional<double> npv;
  source_position where;
};
struct acceptance_rules {
  enum class compare { lower_bound, estimate };
  compare on = compare::lower_bound;
  std::vector<acceptance_rule> findings;
};

// The patient's prior study, for comparing a route's value findings
// ("priors"): the most recent study of the patient before this one, within
// `within_days`, of these modalities and body parts (default: the route's
// series rule). A value counts as present from `present_at_least` (in the
// finding's unit); present both times, it is growing or shrinking when it
// changed by at least `change_at_least` (the unit) or `change_percent_at_least`
// percent of the prior value, else stable. The defaults follow the
// hematoma-expansion definition of stroke trials (33 % or 6 mL).
struct prior_rules {
  std::vector<std::string> modalities;
  std::vector<std::string> body_parts;
  std::size_t within_days = 365;
  std::vector<std::string> findings;  // value findings compared
  double present_at_least = 0.5;
  double change_at_least = 6;
  double change_percent_at_least = 33;
  source_position where;
};

// When a route's models count as drifting (review/drift.hpp): the reference
// is each model's first `reference_studies` inferences, the window its last
// `window_days`; a score over its maximum with at least `min_studies` in the
// window raises the drift state.
struct drift_rules {
  std::size_t reference_studies = 50;
  std::size_t window_days = 7;
  std::size_t min_studies = 10;
  double max_rate_change = 0.15;  // positive rate and mean probability, absolute
  double max_shift_sd = 1.0;      // acquisition and HU means, in the reference's SDs
  double max_new_manufacturer_share = 0.2;
};

struct route {
  std::string name;
  condition match;
  study_key_rule study;
  fetch::series_rule series;
  readiness_rule readiness;
  std::vector<std::string> models;  // model ids in models/registry.json; results combine in one ORU
  rollout_mode mode = rollout_mode::silent;
  patient_identifier_rule patient;
  std::vector<finding_mapping> findings;
  std::optional<coded_concept> impression;  // OBX-3 of the impression text; none: no impression OBX
  acuity_rules acuity;
  adt_settings adt;
  std::map<output_kind, std::vector<std::string>> outputs;  // destination names per output
  std::optional<feedback_rules> feedback;
  acceptance_rules acceptance;
  std::optional<drift_rules> drift;
  std::optional<prior_rules> priors;
  source_position where;
  // Where parts of the route were written, for the checks across files:
  // "models/0", "outputs/oru/1", "acuity/levels/0/when/1", "adt", "adt/min_level".
  std::map<std::string, source_position> where_of;
  bool has_acuity = false;  // "acuity" was given
  bool has_adt = false;     // "adt" was given
  bool complete = true;     // false when reading it found problems: it is reported, never run

  const finding_mapping* finding(std::string_view label) const noexcept;
};

// Credentials a fhir or dicomweb destination sends: basic (user and
// password) or bearer (token). A secret written as "password_file" or
// "token_file" is read when the mappings are loaded; the path is kept for
// the start-up warning about files others may read.
struct destination_auth {
  enum class scheme { none, basic, bearer };
  scheme how = scheme::none;
  std::string user;
  std::string password;
  std::string password_file;  // empty: given inline (or none)
  std::string token;
  std::string token_file;     // empty: given inline (or none)
};

struct destination {
  enum class kind { mllp, fhir, dicomweb, folder };
  std::string name;
  kind type = kind::folder;
  std::string address;    // mllp: host:port; fhir, dicomweb: base URL; folder: path
  bool tls = false;       // mllp (also implied by ca_file or cert_file)
  std::string ca_file;    // mllp over TLS, https
  std::string cert_file;  // client certificate (PEM) for mllp over TLS and https ...
  std::string key_file;   // ... and its key
  destination_auth auth;  // fhir, dicomweb
  unsigned file_mode = 0640;  // folder: permission bits of the files written
  source_position where;
};

struct mapping_set {
  std::vector<route> routes;
  std::vector<destination> destinations;

  const destination* find_destination(std::string_view name) const noexcept;
};

using work::to_string;

}  // namespace radbridge::route
