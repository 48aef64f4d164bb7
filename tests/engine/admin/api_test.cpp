// engine/admin's API (api.hpp, tokens.hpp) against a real PostgreSQL: the
// token and role checks (made from the header, before the body is read),
// message search and reads (the body and searches by patient only for phi,
// and audited), and the dead letters' requeue and discard.
#include "admin/api.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core/sha256.hpp"
#include "engine/admin/api_fixture.hpp"

namespace admin = radbridge::admin;
namespace net = radbridge::net;
namespace test = radbridge::test;
using test::api_fixture;
using namespace std::chrono_literals;


TEST_CASE("admin tokens: the file's problems at file:line:col, lookup by hash, the role ladder") {
  const std::string hash(64, 'a');
  const auto tokens = admin::parse_tokens(R"({"tokens": [{"name": "a", "role": "phi", "sha256": ")" + hash + R"("}]})",
                                          "tokens.json");
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0].grants == admin::role::phi);
  CHECK_THROWS_WITH_AS(admin::parse_tokens(R"({"tokens": [{"name": "a", "role": "root", "sha256": "AB"},
  {"name": "a", "role": "viewer"}]})",
                                           "tokens.json"),
                       "tokens.json:1:35: expected \"viewer\" or \"reviewer\" or \"operator\" or \"phi\", not \"root\"\n"
                       "tokens.json:1:53: expected the token's SHA-256 as 64 lower-case hex digits\n"
                       "tokens.json:2:12: the name \"a\" is used twice\n"
                       "tokens.json:2:3: a token needs \"sha256\"",
                       admin::token_error);
  const std::string token = admin::new_token();
  CHECK(token.size() == 64);
  CHECK(token != admin::new_token());
  const std::vector<admin::token_entry> entries = {{"t", admin::role::operator_, radbridge::sha256_hex(token)}};
  REQUIRE(admin::find_token(entries, token).has_value());
  CHECK(admin::find_token(entries, token)->name == "t");
  CHECK_FALSE(admin::find_token(entries, token + "x").has_value());
  CHECK(admin::allows(admin::role::phi, admin::role::operator_));
  CHECK(admin::allows(admin::role::operator_, admin::role::viewer));
  CHECK(admin::allows(admin::role::operator_, admin::role::reviewer));
  CHECK(admin::allows(admin::role::reviewer, admin::role::viewer));
  CHECK_FALSE(admin::allows(admin::role::reviewer, admin::role::operator_));
  CHECK_FALSE(admin::allows(admin::role::viewer, admin::role::reviewer));
  CHECK_FALSE(admin::allows(admin::role::viewer, admin::role::operator_));
  CHECK_FALSE(admin::allows(admin::role::operator_, admin::role::phi));
}

TEST_CASE("admin api: no token or an unknown one is 401, a role below the endpoint's 403, decided before the body") {
  api_fixture f;
  const net::http_response none = f.call("GET", "/api/v1/messages", "");
  CHECK(none.head.status == 401);
  CHECK(none.head.find("WWW-Authenticate").value_or("") == "Bearer realm=\"radbridge\"");
  CHECK(none.body == R"({"error":"a bearer token of admin.tokens_file is required"})");
  CHECK(f.call("GET", "/api/v1/messages", "not-a-token").head.status == 401);
  const net::http_response viewer = f.call("POST", "/api/v1/dead-letters/1/requeue", f.k.viewer);
  CHECK(viewer.head.status == 403);
  CHECK(viewer.body == R"({"error":"this needs the operator role; token \"ana\" has viewer"})");
  // A body over the 64 KiB cap is never read when the token is wrong: 401, not 413.
  net::http_request big;
  big.method = "POST";
  big.target = "/api/v1/dead-letters/1/discard";
  big.headers.emplace_back("Authorization", "Bearer wrong");
  big.body = std::string(200 * 1024, 'x');
  CHECK(f.client.send(big, 1 << 20).head.status == 401);
  // /healthz needs no token.
  CHECK(f.call("GET", "/healthz", "").head.status == 200);
  CHECK(f.call("GET", "/api/v1/nothing", f.k.viewer).head.status == 404);
  const net::http_response post = f.call("POST", "/api/v1/messages", f.k.phi);
  CHECK(post.head.status == 405);
  CHECK(post.head.find("Allow").value_or("") == "GET");
}

TEST_CASE("admin api: messages are found by their header fields, newest first, a page at a time") {
  api_fixture f;
  const net::http_response adts = f.call("GET", "/api/v1/messages?type=ADT", f.k.viewer);
  CHECK(adts.head.status == 200);
  CHECK_MESSAGE(adts.body ==
                    R"({"messages":[{"id":2,"interface":"ris","sending_application":"RIS","sending_facility":"HOSP",)"
                    R"("control_id":"C2","type":"ADT^A08","received_at":"2026-12-06T09:00:00.000Z","status":"received",)"
                    R"("ack":"AA","bytes":1},{"id":1,"interface":"ris","sending_application":"RIS",)"
                    R"("sending_facility":"HOSP","control_id":"C1","type":"ADT^A01","received_at":)"
                    R"("2026-12-06T08:00:00.000Z","status":"received","ack":"AA","bytes":70}],"next_before_id":null})",
                adts.body);
  const net::http_response page = f.call("GET", "/api/v1/messages?limit=1", f.k.viewer);
  CHECK_MESSAGE(page.body.find(R"("control_id":"C3")") != std::string::npos, page.body);
  CHECK_MESSAGE(page.body.ends_with(R"("next_before_id":3})"), page.body);
  const net::http_response next = f.call("GET", "/api/v1/messages?limit=1&before_id=3", f.k.viewer);
  CHECK_MESSAGE(next.body.find(R"("control_id":"C2")") != std::string::npos, next.body);
  const net::http_response since =
      f.call("GET", "/api/v1/messages?since=2026-12-06T08%3A30%3A00Z&until=2026-12-06T09:30:00Z", f.k.viewer);
  CHECK_MESSAGE(since.body.find(R"("id":2,)") != std::string::npos, since.body);
  CHECK_MESSAGE(since.body.find(R"("id":1,)") == std::string::npos, since.body);
  CHECK_MESSAGE(since.body.find(R"("id":3,)") == std::string::npos, since.body);
  const std::string orm = f.call("GET", "/api/v1/messages?interface=lab&type=ORM%5EO01", f.k.viewer).body;
  CHECK_MESSAGE(orm.find(R"("control_id":"C3")") != std::string::npos, orm);

  const net::http_response unknown = f.call("GET", "/api/v1/messages?colour=red", f.k.viewer);
  CHECK(unknown.head.status == 400);
  CHECK(unknown.body == R"({"error":"unknown parameter \"colour\""})");
  CHECK(f.call("GET", "/api/v1/messages?since=yesterday", f.k.viewer).body ==
        R"({"error":"since must be an ISO 8601 time, e.g. 2026-12-06T08:00:00Z"})");
  CHECK(f.call("GET", "/api/v1/messages?since=2026-13-45", f.k.viewer).body ==
        R"({"error":"since or until is not a time PostgreSQL reads"})");
  CHECK(f.call("GET", "/api/v1/messages?limit=500", f.k.viewer).body ==
        R"({"error":"limit must be a whole number from 1 to 200"})");
  CHECK(f.call("GET", "/api/v1/messages?limit=1&limit=2", f.k.viewer).body ==
        R"({"error":"parameter \"limit\" given twice"})");
  CHECK(f.call("GET", "/api/v1/messages?type=%ZZ", f.k.viewer).body ==
        R"({"error":"a malformed %-escape in the query"})");
}

TEST_CASE("admin api: messages by patient or study need phi; each such search is audited with what was asked") {
  api_fixture f;
  const net::http_response viewer = f.call("GET", "/api/v1/messages?mrn=MRN-7", f.k.viewer);
  CHECK(viewer.head.status == 403);
  CHECK(viewer.body == R"({"error":"this needs the phi role; token \"ana\" has viewer"})");
  CHECK(f.call("GET", "/api/v1/messages?accession=A1", f.k.operator_).head.status == 403);
  CHECK(f.pg.psql("SELECT count(*) FROM admin_audit") == "0");

  // The ORM (id 3) started the job for A1 of patient HOSP/MRN-7.
  const std::string by_mrn = f.call("GET", "/api/v1/messages?mrn=MRN-7", f.k.phi).body;
  CHECK_MESSAGE(by_mrn.starts_with(R"({"messages":[{"id":3,"interface":"lab")"), by_mrn);
  CHECK_MESSAGE(by_mrn.ends_with(R"("bytes":1}],"next_before_id":null})"), by_mrn);
  CHECK(f.call("GET", "/api/v1/messages?mrn=MRN-7%5EHOSP", f.k.phi).body == by_mrn);
  CHECK(f.call("GET", "/api/v1/messages?mrn=MRN-7%5EOTHER", f.k.phi).body ==
        R"({"messages":[],"next_before_id":null})");
  CHECK(f.call("GET", "/api/v1/messages?accession=A1", f.k.phi).body == by_mrn);
  CHECK(f.call("GET", "/api/v1/messages?accession=A2", f.k.phi).body == R"({"messages":[],"next_before_id":null})");
  // Older than the default 30 days: not read.
  f.pg.psql("UPDATE jobs SET created_at = now() - interval '31 days'");
  CHECK(f.call("GET", "/api/v1/messages?mrn=MRN-7", f.k.phi).body == R"({"messages":[],"next_before_id":null})");
  CHECK(f.call("GET", "/api/v1/messages?mrn=", f.k.phi).body == R"({"error":"mrn and accession must not be empty"})");
  CHECK(f.pg.psql("SELECT string_agg(who || ' ' || action || ' ' || detail, '; ' ORDER BY id) FROM admin_audit") ==
        "phil search_messages mrn=MRN-7; phil search_messages mrn=MRN-7^HOSP; phil search_messages mrn=MRN-7^OTHER; "
        "phil search_messages accession=A1; phil search_messages accession=A2; phil search_messages mrn=MRN-7");
}

TEST_CASE("admin api: one message; its body and patient data only for phi, each such read audited") {
  api_fixture f;
  const net::http_response viewer = f.call("GET", "/api/v1/messages/3", f.k.viewer);
  CHECK(viewer.head.status == 200);
  CHECK_MESSAGE(viewer.body.ends_with(
                    R"("jobs":[{"id":1,"route":"stroke","status":"done","acuity":"critical","study_key":"A1"}]})"),
                viewer.body);
  const std::string no_phi = f.call("GET", "/api/v1/messages/1", f.k.viewer).body;
  CHECK_MESSAGE(no_phi.find("MRN-7") == std::string::npos, no_phi);
  CHECK(f.pg.psql("SELECT count(*) FROM admin_audit") == "0");

  const net::http_response phi = f.call("GET", "/api/v1/messages/1", f.k.phi);
  CHECK(phi.head.status == 200);
  CHECK_MESSAGE(phi.body.find(R"("hl7":"MSH|^~\\&|RIS|HOSP|||20261206||ADT^A01|C1|P|2.5\rPID|1||MRN-7||DOE^JANE\r")") !=
                    std::string::npos,
                phi.body);
  CHECK_MESSAGE(phi.body.find(R"("ack_hl7":"MSH|^~\\&|RB\rMSA|AA|C1\r")") != std::string::npos, phi.body);
  CHECK_MESSAGE(phi.body.find(R"("tree":{"charset":"ascii","segments":[{"name":"MSH")") != std::string::npos, phi.body);
  CHECK(f.pg.psql("SELECT who || ' ' || role || ' ' || action || ' ' || target || ' ' || client FROM admin_audit") ==
        "phil phi read_message inbound_messages/1 127.0.0.1");
  const net::http_response missing = f.call("GET", "/api/v1/messages/99", f.k.phi);
  CHECK(missing.head.status == 404);
  CHECK(missing.body == R"({"error":"no message 99"})");
  CHECK(f.pg.psql("SELECT count(*) FROM admin_audit") == "1");
}

TEST_CASE("admin api: dead letters listed, requeued and discarded (with a reason) by an operator, audited") {
  api_fixture f;
  const net::http_response list = f.call("GET", "/api/v1/dead-letters?destination=ris", f.k.viewer);
  CHECK_MESSAGE(list.body.starts_with(R"({"dead_letters":[{"id":1,"job_id":1,"destination":"ris","output":"oru",)"
                                      R"("identity":"RB1","attempts":3,"last_error":"gave up after 3 attempts: )"
                                      R"(unreachable","created_at":")"),
                list.body);
  const net::http_response requeued = f.call("POST", "/api/v1/dead-letters/1/requeue", f.k.operator_);
  CHECK(requeued.head.status == 200);
  CHECK(requeued.body == R"({"id":1,"status":"pending"})");
  CHECK(f.pg.psql("SELECT status || ' ' || attempts FROM outbound_messages WHERE id = 1") == "pending 0");
  CHECK(f.call("POST", "/api/v1/dead-letters/1/requeue", f.k.operator_).body == R"({"error":"no dead letter 1"})");

  CHECK(f.call("POST", "/api/v1/dead-letters/2/discard", f.k.operator_, "{}").body ==
        R"({"error":"discard needs a body {\"reason\": \"...\"}"})");
  const net::http_response discarded =
      f.call("POST", "/api/v1/dead-letters/2/discard", f.k.phi, R"({"reason": "the EHR got it by phone"})");
  CHECK(discarded.body == R"({"id":2,"status":"discarded"})");
  CHECK(f.pg.psql("SELECT status || ' ' || discarded_by || ' ' || discard_reason FROM outbound_messages WHERE id = 2") ==
        "discarded phil the EHR got it by phone");
  CHECK(f.call("GET", "/api/v1/dead-letters", f.k.viewer).body == R"({"dead_letters":[]})");
  CHECK(f.pg.psql("SELECT string_agg(who || ' ' || action || ' ' || target || ' ' || detail, '; ' ORDER BY id) "
                  "FROM admin_audit") ==
        "otto requeue outbound_messages/1 ; phil discard outbound_messages/2 the EHR got it by phone");
}
