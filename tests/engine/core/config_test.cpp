// engine/core/config: the serve configuration, and its file:line:col errors.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/host_port.hpp"
#include "hl7/message.hpp"
#include "support.hpp"

namespace config = radbridge::config;

namespace {

// The error text of a configuration that must fail.
std::string problems(const std::string& text) {
  try {
    config::parse_config(text, "radbridge.json", "/etc/radbridge");
  } catch (const config::config_error& e) {
    return e.what();
  }
  FAIL("the configuration was accepted");
  return {};
}

}  // namespace

TEST_CASE("config: the shipped sample loads with the documented values") {
  const auto s = config::load_config((radbridge::test::source_dir() / "samples/config/radbridge.json").string());
  REQUIRE(s.interfaces.size() == 1);
  const auto& ris = s.interfaces[0];
  CHECK(ris.name == "ris");
  CHECK(ris.host == "127.0.0.1");
  CHECK(ris.port == 2575);
  CHECK(ris.message_types.size() == 6);
  CHECK(ris.on_conflict == config::conflict_policy::error);
  CHECK(ris.on_database_down == config::database_down_policy::close);
  CHECK(ris.acks == config::ack_mode::automatic);
  CHECK(ris.write_timeout.count() == 30000);
  CHECK(ris.max_connections_per_peer == 16);
  CHECK(s.drain_timeout.count() == 10000);
  CHECK(s.busy_poll.count() == 500);
  CHECK_FALSE(ris.tls.has_value());
  CHECK(s.admin.host == "127.0.0.1");
  CHECK(s.admin.port == 8410);
  CHECK_FALSE(s.admin.tls.has_value());
}

TEST_CASE("config: defaults, TLS paths relative to the file, and every key") {
  const auto s = config::parse_config(R"({
    "database": "host=127.0.0.1 dbname=x",
    "interfaces": [{"name": "a", "listen": "0.0.0.0:0",
                    "tls": {"cert": "tls/server.pem", "key": "/abs/key.pem", "ca": "ca.pem", "require_client_cert": true},
                    "on_conflict": "reject", "on_database_down": "reject", "ack_mode": "enhanced", "idle_timeout_ms": 5000,
                    "partial_frame_timeout_ms": 700, "max_connections": 3, "max_frame_bytes": 1024,
                    "write_timeout_ms": 1500, "max_connections_per_peer": 2, "lenient_end_block": true}]})",
                                      "radbridge.json", "/etc/radbridge");
  const auto& a = s.interfaces.at(0);
  CHECK(s.database == "host=127.0.0.1 dbname=x");
  CHECK(s.max_commit_group == 256);
  CHECK(s.commit_workers == 1);
  CHECK(s.drain_timeout.count() == 10000);
  CHECK(config::parse_config(R"({"drain_timeout_ms": 2500, "interfaces": [{"name": "a", "listen": "h:1"}]})", "r.json",
                             "/")
            .drain_timeout.count() == 2500);
  const config::interface_settings defaults;
  CHECK(defaults.write_timeout.count() == 30000);
  CHECK(defaults.max_connections_per_peer == 16);
  CHECK(config::parse_config(R"({"commit_workers": 3, "interfaces": [{"name": "a", "listen": "h:1"}]})", "r.json", "/")
            .commit_workers == 3);
  CHECK(a.port == 0);
  REQUIRE(a.tls.has_value());
  CHECK(a.tls->cert_file == "/etc/radbridge/tls/server.pem");
  CHECK(a.tls->key_file == "/abs/key.pem");
  CHECK(a.tls->ca_file == "/etc/radbridge/ca.pem");
  CHECK(a.tls->require_client_cert);
  CHECK(a.on_conflict == config::conflict_policy::reject);
  CHECK(a.on_database_down == config::database_down_policy::reject);
  CHECK(a.idle_timeout.count() == 5000);
  CHECK(a.partial_frame_timeout.count() == 700);
  CHECK(a.max_connections == 3);
  CHECK(a.max_connections_per_peer == 2);
  CHECK(a.write_timeout.count() == 1500);
  CHECK(a.max_frame_bytes == 1024);
  CHECK(a.lenient_end_block);
  CHECK(a.acks == config::ack_mode::enhanced);
  CHECK(a.processing_ids == std::vector<std::string>{"P", "T", "D"});
}

TEST_CASE("config: every problem is reported with file:line:col and a reason") {
  CHECK(problems("{\n  \"interfaces\": [\n    {\"name\": \"a\", \"listen\": \"nope\", \"colour\": 1}\n  ]\n}") ==
        "radbridge.json:3:29: expected HOST:PORT, e.g. \"127.0.0.1:2575\", not \"nope\"\n"
        "radbridge.json:3:37: unknown key \"colour\" in an interface");
  CHECK(problems(R"({"interfaces": [{"name": "a", "listen": "h:1", "on_conflict": "accept"}]})") ==
        "radbridge.json:1:63: expected \"error\" or \"reject\", not \"accept\"");
  CHECK(problems(R"({"interfaces": [{"name": "a", "listen": "h:1", "max_connections": 0}]})") ==
        "radbridge.json:1:67: expected a whole number from 1 to 10000");
  CHECK(problems(R"({"interfaces": [{"name": "a", "listen": "h:1", "tls": {"cert": "c.pem", "require_client_cert": true}}]})") ==
        "radbridge.json:1:55: tls needs \"cert\" and \"key\"\n"
        "radbridge.json:1:55: tls with \"require_client_cert\" needs \"ca\" to check client certificates against");
  CHECK(problems(R"({"interfaces": [{"name": "a", "listen": "h:1"}, {"name": "a", "listen": "h:2"}]})") ==
        "radbridge.json:1:49: interface name \"a\" is used twice");
  CHECK(problems(R"({"interfaces": []})") == "radbridge.json:1:16: \"interfaces\" must be a non-empty array");
  CHECK(problems(R"({})") == "radbridge.json:1:1: the configuration needs \"interfaces\"");
  CHECK(problems(R"({"commit_workers": 0, "interfaces": [{"name": "a", "listen": "h:1"}]})") ==
        "radbridge.json:1:20: expected a whole number from 1 to 64");
  CHECK(problems(R"({"interfaces": [{"listen": "h:1"}]})") == "radbridge.json:1:17: an interface needs a \"name\"");
  // Syntax errors come from the JSON reader, at the unexpected byte.
  CHECK(problems("{\"interfaces\": [}\n") == "radbridge.json:1:17: invalid value");
}

TEST_CASE("config: max_frame_bytes stops at the size the router parses, so nothing accepted is refused later") {
  // The router parses stored messages with the parser's default limits.
  CHECK(config::max_frame_bytes_limit == radbridge::hl7::limits{}.max_bytes);
  CHECK(config::parse_config(R"({"interfaces": [{"name": "a", "listen": "h:1", "max_frame_bytes": 16777216}]})",
                             "r.json", "/")
            .interfaces.at(0)
            .max_frame_bytes == 16777216);
  CHECK(problems("{\"interfaces\": [{\"name\": \"a\", \"listen\": \"h:1\",\n  \"max_frame_bytes\": 16777217}]}") ==
        "radbridge.json:2:22: \"max_frame_bytes\" must be at most 16777216: the router parses stored messages up to "
        "that size");
  CHECK(problems(R"({"interfaces": [{"name": "a", "listen": "h:1", "max_frame_bytes": 67108864}]})") ==
        "radbridge.json:1:67: \"max_frame_bytes\" must be at most 16777216: the router parses stored messages up to "
        "that size");
  // A message as large as an interface may accept parses with the router's limits.
  std::string largest = "MSH|^~\\&|A|B|C|D|20261123120000||ORM^O01|MF-1|P|2.5.1\rNTE|1||";
  largest.resize(config::max_frame_bytes_limit, 'x');
  const auto parsed = radbridge::hl7::message::parse(std::string_view(largest));
  CHECK_MESSAGE(parsed.has_value(), (parsed ? std::string() : parsed.error().to_string()));
}

TEST_CASE("config: max_commit_group keeps a group's bind parameters within PostgreSQL's 65535") {
  CHECK(config::max_commit_group_limit == 6553);
  CHECK(config::max_commit_group_limit * config::inbound_parameters_per_row <= 65535);
  CHECK((config::max_commit_group_limit + 1) * config::inbound_parameters_per_row > 65535);
  CHECK(config::parse_config(R"({"max_commit_group": 6553, "interfaces": [{"name": "a", "listen": "h:1"}]})", "r.json",
                             "/")
            .max_commit_group == 6553);
  CHECK(problems("{\n \"max_commit_group\": 6554,\n \"interfaces\": [{\"name\": \"a\", \"listen\": \"h:1\"}]}") ==
        "radbridge.json:2:22: \"max_commit_group\" must be at most 6553: each message takes 10 bind parameters and "
        "PostgreSQL allows 65535 in one statement");
  CHECK(problems(R"({"max_commit_group": 0, "interfaces": [{"name": "a", "listen": "h:1"}]})") ==
        "radbridge.json:1:22: expected a whole number from 1 to 6553");
}

TEST_CASE("config: busy_poll_us from 0 (off) to 1000") {
  CHECK(config::parse_config(R"({"busy_poll_us": 0, "interfaces": [{"name": "a", "listen": "h:1"}]})", "r.json", "/")
            .busy_poll.count() == 0);
  CHECK(config::parse_config(R"({"busy_poll_us": 1000, "interfaces": [{"name": "a", "listen": "h:1"}]})", "r.json", "/")
            .busy_poll.count() == 1000);
  CHECK(problems(R"({"busy_poll_us": 1001, "interfaces": [{"name": "a", "listen": "h:1"}]})") ==
        "radbridge.json:1:18: expected a whole number from 0 to 1000");
  CHECK(problems(R"({"busy_poll_us": -1, "interfaces": [{"name": "a", "listen": "h:1"}]})") ==
        "radbridge.json:1:18: expected a whole number from 0 to 1000");
}

TEST_CASE("config: the admin server's address and TLS, checked like an interface's") {
  const auto s = config::parse_config(R"({"interfaces": [{"name": "a", "listen": "h:1"}],
    "admin": {"listen": "0.0.0.0:9410", "tls": {"cert": "admin.pem", "key": "admin.key"}, "tokens_file": "tokens.json"}})",
                                      "radbridge.json", "/etc/radbridge");
  CHECK(s.admin.host == "0.0.0.0");
  CHECK(s.admin.port == 9410);
  REQUIRE(s.admin.tls.has_value());
  CHECK(s.admin.tls->cert_file == "/etc/radbridge/admin.pem");
  CHECK(s.admin.tokens_file == "/etc/radbridge/tokens.json");
  CHECK(problems(R"({"interfaces": [{"name": "a", "listen": "h:1"}], "admin": {"listen": "8410"}})") ==
        "radbridge.json:1:70: expected HOST:PORT, e.g. \"127.0.0.1:2575\", not \"8410\"");
  CHECK(problems(R"({"interfaces": [{"name": "a", "listen": "h:1"}], "admin": {"port": 1}})") ==
        "radbridge.json:1:60: unknown key \"port\" in \"admin\"");
  CHECK(problems(R"({"interfaces": [{"name": "a", "listen": "h:1"}], "admin": {"tls": {"cert": "c.pem"}}})") ==
        "radbridge.json:1:67: tls needs \"cert\" and \"key\"");
}

TEST_CASE("config: TLS client allow-lists and a CRL file") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("radbridge-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  radbridge::test::write_file(dir / "ca.crl", "read at start-up by net/tls, not here\n");
  const auto s = config::parse_config(R"({"interfaces": [{"name": "a", "listen": "h:1",
    "tls": {"cert": "c.pem", "key": "k.pem", "ca": "ca.pem", "require_client_cert": true, "crl": "ca.crl",
            "allowed_clients": [
              {"cn": "ris-client", "sending_applications": ["RIS", "RIS^1.2.3^ISO"], "sending_facilities": ["GENHOSP"]},
              {"subject": "CN=lab,O=General Hospital"},
              {"dns": "pacs.example.org", "sending_applications": ["PACS"]},
              {"uri": "urn:oid:1.2.3"},
              {"email": "interfaces@example.org", "sending_facilities": ["EAST"]}]}}]})",
                                      "radbridge.json", dir.string());
  std::filesystem::remove_all(dir);
  const auto& tls = s.interfaces.at(0).tls.value();
  CHECK(tls.crl_file == (dir / "ca.crl").string());
  REQUIRE(tls.allowed_clients.size() == 5);
  using field = config::allowed_client::field;
  const auto& ris = tls.allowed_clients[0];
  CHECK(ris.match == field::cn);
  CHECK(ris.value == "ris-client");
  CHECK(ris.sending_applications == std::vector<std::string>{"RIS", "RIS^1.2.3^ISO"});
  CHECK(ris.sending_facilities == std::vector<std::string>{"GENHOSP"});
  CHECK(tls.allowed_clients[1].match == field::subject);
  CHECK(tls.allowed_clients[1].value == "CN=lab,O=General Hospital");
  CHECK(tls.allowed_clients[1].sending_applications.empty());
  CHECK(tls.allowed_clients[1].sending_facilities.empty());
  CHECK(tls.allowed_clients[2].match == field::dns);
  CHECK(tls.allowed_clients[2].sending_applications == std::vector<std::string>{"PACS"});
  CHECK(tls.allowed_clients[3].match == field::uri);
  CHECK(tls.allowed_clients[3].value == "urn:oid:1.2.3");
  CHECK(tls.allowed_clients[4].match == field::email);
  CHECK(tls.allowed_clients[4].sending_facilities == std::vector<std::string>{"EAST"});
}

TEST_CASE("config: TLS allow-list and CRL problems are reported with file:line:col") {
  // Without require_client_cert an allow-list or a CRL would protect nothing.
  CHECK(problems("{\"interfaces\": [{\"name\": \"a\", \"listen\": \"h:1\", \"tls\": {\"cert\": \"c\", \"key\": \"k\",\n"
                 "  \"allowed_clients\": [{\"cn\": \"ris\"}],\n"
                 "  \"crl\": \"/nonexistent/ca.crl\"}}]}") ==
        "radbridge.json:3:10: cannot read CRL file /nonexistent/ca.crl: No such file or directory\n"
        "radbridge.json:3:10: \"crl\" needs \"require_client_cert\": true\n"
        "radbridge.json:2:22: \"allowed_clients\" needs \"require_client_cert\": true");
  // A relative path is taken relative to the configuration file's folder.
  CHECK(problems(R"({"interfaces": [{"name": "a", "listen": "h:1", "tls": {"cert": "c", "key": "k", "ca": "ca",
    "require_client_cert": true, "crl": "missing.crl"}}]})") ==
        "radbridge.json:2:41: cannot read CRL file /etc/radbridge/missing.crl: No such file or directory");
  CHECK(problems(R"({"interfaces": [{"name": "a", "listen": "h:1", "tls": {"cert": "c", "key": "k", "ca": "ca",
    "require_client_cert": true, "allowed_clients": []}}]})") ==
        "radbridge.json:2:53: \"allowed_clients\" must list at least one client");
  CHECK(problems(R"({"interfaces": [{"name": "a", "listen": "h:1", "tls": {"cert": "c", "key": "k", "ca": "ca",
    "require_client_cert": true, "allowed_clients": [
      {"cn": "ris", "dns": "ris.example.org"},
      {"sending_applications": ["RIS"]},
      {"cn": "lab", "sending_facilities": [], "sending_applications": ["LAB", 7], "o": "x"},
      {"subject": ""}]}}]})") ==
        "radbridge.json:3:7: an allowed client needs exactly one of \"subject\", \"cn\", \"dns\", \"uri\" or \"email\"\n"
        "radbridge.json:4:7: an allowed client needs exactly one of \"subject\", \"cn\", \"dns\", \"uri\" or \"email\"\n"
        "radbridge.json:5:43: must list at least one value (leave it out to allow any)\n"
        "radbridge.json:5:79: expected a string, not number\n"
        "radbridge.json:5:83: unknown key \"o\" in an allowed client\n"
        "radbridge.json:6:19: must not be empty");
}

TEST_CASE("config: an unreadable file names itself") {
  try {
    config::load_config("/nonexistent/radbridge.json");
    FAIL("loaded a missing file");
  } catch (const config::config_error& e) {
    CHECK(std::string(e.what()) == "/nonexistent/radbridge.json: cannot read: No such file or directory");
  }
}

TEST_CASE("host_port: HOST:PORT with IPv6 brackets; bad forms are refused") {
  const auto v4 = radbridge::parse_host_port("127.0.0.1:2575");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 2575);
  const auto v6 = radbridge::parse_host_port("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
  for (const char* bad : {"nope", ":2575", "host:", "host:65536", "host:25x", "host:-1", "[]:1"}) {
    CAPTURE(bad);
    CHECK_FALSE(radbridge::parse_host_port(bad));
  }
}
