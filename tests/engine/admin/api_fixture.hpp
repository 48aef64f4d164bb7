// The admin API's tests' fixture: a migrated PostgreSQL with three messages
// (two ADT, one ORM whose job for study A1 of patient HOSP/MRN-7 is done,
// with two dead letters), an admin server with a viewer, a reviewer, an
// operator and a phi token, two destinations (ris, ehr) and one route
// (stroke, with its validation reports and drift monitors built by serve's
// own builders), and a
// client that keeps every answer it got (for the OpenAPI check).
#pragma once

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "admin/admin_server.hpp"
#include "admin/tokens.hpp"
#include "cli/serve_admin.hpp"
#include "core/sha256.hpp"
#include "net/http_client.hpp"
#include "route/mapping.hpp"
#include "store/database.hpp"
#include "support.hpp"
#include "support/openapi_validator.hpp"
#include "support/postgres_server.hpp"

namespace radbridge::test {

struct api_keys {
  std::string viewer = admin::new_token(), reviewer = admin::new_token(), operator_ = admin::new_token(),
              phi = admin::new_token();
  std::vector<admin::token_entry> entries() const {
    return {{"ana", admin::role::viewer, sha256_hex(viewer)},
            {"rita", admin::role::reviewer, sha256_hex(reviewer)},
            {"otto", admin::role::operator_, sha256_hex(operator_)},
            {"phil", admin::role::phi, sha256_hex(phi)}};
  }
};

struct api_fixture {
  api_fixture() : server(settings(), pg.conninfo(), nullptr, sources(k)), client(url(), {}) {
    store::database(pg.conninfo()).migrate();
    pg.psql(
        "INSERT INTO inbound_messages (interface, sending_application, sending_facility, control_id, message_type, "
        "trigger_event, payload, payload_sha256, ack_code, ack, received_at) VALUES "
        "('ris', 'RIS', 'HOSP', 'C1', 'ADT', 'A01', convert_to(E'MSH|^~\\\\&|RIS|HOSP|||20261206||ADT^A01|C1|P|2.5\\rPID|1||MRN-7||DOE^JANE\\r', 'UTF8'), 'x', 'AA', convert_to(E'MSH|^~\\\\&|RB\\rMSA|AA|C1\\r', 'UTF8'), '2026-12-06T08:00:00Z'),"
        "('ris', 'RIS', 'HOSP', 'C2', 'ADT', 'A08', 'x', 'x', 'AA', 'x', '2026-12-06T09:00:00Z'),"
        "('lab', 'RIS', 'HOSP', 'C3', 'ORM', 'O01', 'x', 'x', 'AA', 'x', '2026-12-06T10:00:00Z');"
        "INSERT INTO jobs (inbound_id, route, study_key_kind, study_key, mode, status, acuity, patient_ids) "
        "VALUES (3, 'stroke', 'accession', 'A1', 'active', 'done', 'critical', ARRAY[E'HOSP\\x1fMRN-7']);"
        "INSERT INTO outbound_messages (job_id, destination, output, identity, payload, status, attempts, last_error) "
        "VALUES (1, 'ris', 'oru', 'RB1', 'x', 'dead', 3, 'gave up after 3 attempts: unreachable'),"
        "(1, 'ehr', 'adt', 'RB2', 'x', 'dead', 1, 'rejected: AE')");
    server.start();
  }
  static config::admin_settings settings() {
    config::admin_settings a;
    a.port = 0;
    return a;
  }
  static admin::admin_sources sources(const api_keys& k) {
    admin::admin_sources s;
    s.version = "test";
    s.tokens = k.entries();
    s.destinations = {"ris", "ehr"};
    s.routes = {{"stroke", work::rollout_mode::silent, {"critical", "urgent", "routine"}}};
    // Built as serve builds them (cli/serve_admin.hpp), over the one route.
    s.validation_report =
        cli::report_builder_for(std::make_shared<const std::vector<route::route>>(std::vector{stroke_route()}));
    return s;
  }
  // The route "stroke": the classifier's finding, accepted at sensitivity and specificity 0.8 over 2 studies.
  static route::route stroke_route() {
    route::route r;
    r.name = "stroke";
    route::finding_mapping f;
    f.label = "intracranial_hemorrhage";
    f.present = route::coded_concept{"http://snomed.info/sct", "SCT", "1386000", "Intracranial hemorrhage"};
    r.findings.push_back(f);
    route::acceptance_rule a;
    a.label = f.label;
    a.min_studies = 2;
    a.sensitivity = 0.8;
    a.specificity = 0.8;
    r.acceptance.findings.push_back(a);
    r.drift = route::drift_rules{};
    r.drift->reference_studies = 5;
    r.drift->min_studies = 1;
    return r;
  }
  net::http_url url() const {
    return net::parse_http_url("http://127.0.0.1:" + std::to_string(server.local_endpoint().port()));
  }
  net::http_response call(const std::string& method, const std::string& target, const std::string& token,
                          const std::string& body = "") {
    net::http_request r;
    r.method = method;
    r.target = target;
    if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
    r.body = body;
    net::http_response answer = client.send(r, 1 << 20);
    seen.push_back({method, target, static_cast<int>(answer.head.status), answer.body});
    return answer;
  }

  api_keys k;
  postgres_server pg;
  admin::admin_server server;
  net::http_client client;
  std::vector<api_answer> seen;  // every request and its answer, as the client saw them
};

}  // namespace radbridge::test
