// Secrets kept off command lines: --db-file beside --db and RADBRIDGE_DB
// (the file's conninfo is what libpq gets), and `serve`'s start-up warnings about secret
// files others may read and destinations (and the PACS) reached in plain
// text off the host, which name paths and addresses, never a secret.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/cli/run_cli.hpp"
#include "support.hpp"
#include "support/process.hpp"

using radbridge::test::run_cli;

namespace {

namespace fs = std::filesystem;
namespace test = radbridge::test;
namespace cli = radbridge::cli;
using namespace std::chrono_literals;

std::string secret(const fs::path& dir, const std::string& name, const std::string& text, unsigned mode) {
  const fs::path p = dir / name;
  test::write_file(p, text);
  REQUIRE(::chmod(p.c_str(), mode) == 0);
  return p.string();
}

// The log lines of `err` without their timestamps; other lines as they are.
std::vector<std::string> lines_of(const std::string& err) {
  std::vector<std::string> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    const bool stamped = line.size() > 25 && line[4] == '-' && line[10] == 'T' && line[23] == 'Z';
    out.push_back(stamped ? line.substr(25) : line);
  }
  return out;
}

bool has_line(const std::vector<std::string>& lines, const std::string& wanted) {
  return std::find(lines.begin(), lines.end(), wanted) != lines.end();
}

// RADBRIDGE_DB set for one scope.
struct environment_db {
  explicit environment_db(const char* value) { ::setenv("RADBRIDGE_DB", value, 1); }
  ~environment_db() { ::unsetenv("RADBRIDGE_DB"); }
};

}  // namespace

TEST_CASE("database options: --db, else --db-file, else RADBRIDGE_DB, else the config; both flags are refused") {
  const test::temp_folder dir("radbridge-db-file");
  const std::string file = secret(dir.path(), "db", "host=db.example.org dbname=rb password=s3cret\n", 0600);
  ::unsetenv("RADBRIDGE_DB");
  CHECK(cli::database_conninfo({"host=a", std::nullopt}, "host=config") == "host=a");
  CHECK(cli::database_conninfo({std::nullopt, file}, "host=config") == "host=db.example.org dbname=rb password=s3cret");
  CHECK(cli::database_conninfo({}, "host=config") == "host=config");
  {
    const environment_db env("host=from-env");
    CHECK(cli::database_conninfo({std::nullopt, file}, "host=config") == "host=db.example.org dbname=rb password=s3cret");
    CHECK(cli::database_conninfo({}, "host=config") == "host=from-env");
  }
  CHECK_THROWS_WITH_AS(cli::database_conninfo({"host=a", file}), "give --db or --db-file, not both", std::invalid_argument);
  const std::string missing = (dir.path() / "missing").string();
  CHECK_THROWS_WITH_AS(cli::database_conninfo({std::nullopt, missing}),
                       ("--db-file: cannot read the secret file " + missing + ": No such file or directory").c_str(),
                       std::runtime_error);  // secrets::secret_file_error

  const std::string empty = secret(dir.path(), "empty", "\n", 0600);
  const auto r = run_cli({"migrate", "--db-file", empty});
  CHECK(r.code == cli::exit_failure);
  CHECK(r.err == "radbridge migrate: --db-file: the secret file " + empty + " is empty\n");
  const auto both = run_cli({"requeue", "--db", "host=a", "--db-file", file});
  CHECK(both.code == cli::exit_usage);
  CHECK(both.err == "radbridge requeue: give --db or --db-file, not both\n");
  const auto audit = run_cli({"audit", "--db-file", missing, "ACC1"});
  CHECK(audit.code == cli::exit_failure);
  CHECK(audit.err == "radbridge audit: --db-file: cannot read the secret file " + missing + ": No such file or directory\n");
}

TEST_CASE("migrate --db-file: the conninfo in the file is the one libpq gets") {
  // No server needed to see it: the port written in the file is the one
  // libpq reports it could not reach (a server would add seconds to a
  // suite on the test command's budget; --db reaches real ones elsewhere).
  const test::temp_folder dir("radbridge-db-file");
  const std::string port = std::to_string(test::free_tcp_port());
  const std::string file = secret(dir.path(), "db", "host=127.0.0.1 port=" + port + " connect_timeout=2\n", 0600);
  const auto r = run_cli({"migrate", "--db-file", file});
  CHECK(r.code == cli::exit_failure);
  CHECK_MESSAGE(r.err.rfind("radbridge migrate: database connection lost: connection to server at \"127.0.0.1\", port " +
                                port + " failed: Connection refused\n",
                            0) == 0,
                r.err);
}

TEST_CASE("serve warns at start about readable secret files and plain text off the host, never showing a secret") {
  // The shipped routes with destinations of our own, a pipeline that reads
  // a folder, and a database nobody listens on: serve builds every sender
  // (warning as it goes), then fails at the database; nothing is sent.
  const test::temp_folder dir("radbridge-serve-warnings");
  const fs::path d = dir.path();
  fs::create_directory(d / "mappings");
  for (const char* name : {"stroke_ct_head.json", "trauma_whole_body_ct.json"})
    fs::copy_file(test::source_dir() / "mappings" / name, d / "mappings" / name);
  const std::string fhir_token = secret(d, "fhir.token", "fhir-tok-SECRET1\n", 0644);
  secret(d / "mappings", "pacs.pw", "pacs-pw-SECRET2\n", 0600);
  const std::string pacs_token = secret(d, "pacs.token", "pacs-tok-SECRET3\n", 0640);
  const std::string db_file =
      secret(d, "db", "host=127.0.0.1 port=" + std::to_string(test::free_tcp_port()) + " password=db-SECRET4 connect_timeout=2\n",
             0644);
  test::write_file(d / "mappings" / "destinations.json", R"({"destinations": [
    {"name": "ris", "type": "mllp", "address": "10.255.0.1:6661"},
    {"name": "ehr_acuity", "type": "mllp", "address": "127.0.0.1:6662"},
    {"name": "fhir", "type": "fhir", "address": "http://fhir.example.org/fhir", "auth": {"scheme": "bearer", "token_file": ")" +
                                                        fhir_token + R"("}},
    {"name": "pacs", "type": "dicomweb", "address": "https://pacs.example.org/dicom-web", "auth": {"scheme": "basic", "user": "rb", "password_file": "pacs.pw"}},
    {"name": "outbox", "type": "folder", "address": ")" + (d / "outbox").string() + R"("}
  ]})");
  test::write_file(d / "radbridge.json", R"({"interfaces": [{"name": "ris", "listen": "127.0.0.1:0"}], "admin": {"listen": "127.0.0.1:0"},
 "pipeline": {"mappings": ["mappings"], "registry": ")" + (test::source_dir() / "models/registry.json").string() +
                                             R"(", "pacs": {"dicomweb": "http://pacs.example.org/dicom-web", "token_file": "pacs.token"}}})");

  const auto r = test::run_captured(
      {RADBRIDGE_BINARY, "serve", "--config", (d / "radbridge.json").string(), "--db-file", db_file}, {}, "", 120s);
  CHECK_MESSAGE(r.status == 1, r.err);
  const std::vector<std::string> lines = lines_of(r.err);
  CHECK_MESSAGE(has_line(lines, "warn secret_file_readable setting=--db-file path=" + db_file + " mode=0644"), r.err);
  CHECK_MESSAGE(has_line(lines, "warn secret_file_readable setting=\"pacs token_file\" path=" + pacs_token + " mode=0640"),
                r.err);
  CHECK_MESSAGE(has_line(lines, "warn secret_file_readable setting=\"destination fhir token_file\" path=" + fhir_token +
                                    " mode=0644"),
                r.err);
  CHECK_MESSAGE(has_line(lines, "warn destination_plain_text destination=fhir type=http address=http://fhir.example.org/fhir"),
                r.err);
  CHECK_MESSAGE(has_line(lines, "warn destination_plain_text destination=ris type=mllp address=10.255.0.1:6661"), r.err);
  CHECK_MESSAGE(has_line(lines, "warn pacs_plain_text address=http://pacs.example.org/dicom-web"), r.err);
  std::size_t warnings = 0;
  for (const std::string& line : lines) warnings += line.rfind("warn ", 0) == 0 ? 1u : 0u;
  CHECK_MESSAGE(warnings == 6, r.err);  // not pacs.pw (0600), not ehr_acuity (loopback), not the pacs destination (https)
  for (const char* value : {"SECRET1", "SECRET2", "SECRET3", "SECRET4"}) {
    CAPTURE(value);
    CHECK_MESSAGE(r.err.find(value) == std::string::npos, r.err);
    CHECK_MESSAGE(r.out.find(value) == std::string::npos, r.out);
  }
}

TEST_CASE("a password in --db is warned about (ps shows it); the warning does not repeat it") {
  const std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(test::free_tcp_port()) + " password=hunter2-SECRET connect_timeout=2";
  const auto r = test::run_captured({RADBRIDGE_BINARY, "migrate", "--db", conninfo}, {}, "", 60s);
  CHECK_MESSAGE(r.status == 1, r.err);
  const std::vector<std::string> lines = lines_of(r.err);
  CHECK_MESSAGE(has_line(lines, "warn database_password_on_command_line hint=\"use --db-file or RADBRIDGE_DB: ps shows --db\""),
                r.err);
  CHECK_MESSAGE(r.err.find("hunter2-SECRET") == std::string::npos, r.err);
  const auto uri = test::run_captured(
      {RADBRIDGE_BINARY, "migrate", "--db", "postgresql://rb:hunter2-SECRET@127.0.0.1:" + std::to_string(test::free_tcp_port()) + "/rb?connect_timeout=2"},
      {}, "", 60s);
  CHECK_MESSAGE(uri.err.find("warn database_password_on_command_line") != std::string::npos, uri.err);
  CHECK_MESSAGE(uri.err.find("hunter2-SECRET") == std::string::npos, uri.err);
  const auto plain = test::run_captured(
      {RADBRIDGE_BINARY, "migrate", "--db", "host=127.0.0.1 port=" + std::to_string(test::free_tcp_port()) + " connect_timeout=2"},
      {}, "", 60s);
  CHECK_MESSAGE(plain.err.find("database_password_on_command_line") == std::string::npos, plain.err);
}
