// engine/core/secret_file: secrets read from files, and the configuration's
// pacs and database secrets read through it, with exact errors.
#include "core/secret_file.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/config.hpp"
#include "support.hpp"

namespace secrets = radbridge::secrets;
namespace config = radbridge::config;
namespace fs = std::filesystem;
using radbridge::test::write_file;

namespace {

// A private temporary folder, removed with everything in it.
struct scratch {
  fs::path dir;
  scratch() {
    std::string pattern = (fs::temp_directory_path() / "radbridge-secret-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
  }
  ~scratch() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  // A file holding `text` with permission bits `mode` (whatever the umask).
  std::string file(const std::string& name, const std::string& text, unsigned mode = 0600) const {
    const fs::path p = dir / name;
    write_file(p, text);
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p.string();
  }
};

std::string read_error(const std::string& path) {
  try {
    (void)secrets::read_secret_file(path);
  } catch (const secrets::secret_file_error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string config_problems(const std::string& text, const std::string& base) {
  try {
    (void)config::parse_config(text, "radbridge.json", base);
  } catch (const config::config_error& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("secret file: the value less one trailing newline") {
  const scratch s;
  CHECK(secrets::read_secret_file(s.file("a", "s3cret\n")) == "s3cret");
  CHECK(secrets::read_secret_file(s.file("b", "s3cret")) == "s3cret");
  CHECK(secrets::read_secret_file(s.file("c", "s3cret\r\n")) == "s3cret");
  CHECK(secrets::read_secret_file(s.file("d", "s3cret\n\n")) == "s3cret\n");
  CHECK(secrets::read_secret_file(s.file("g", "s3cret\r")) == "s3cret\r");  // a lone CR is the secret's
  CHECK(secrets::read_secret_file(s.file("e", " host=db password=x y \n")) == " host=db password=x y ");
  const std::string big(secrets::max_secret_bytes, 'k');
  CHECK(secrets::read_secret_file(s.file("f", big)) == big);
}

TEST_CASE("secret file: missing, empty, a folder, a FIFO (without blocking) and oversize files are clear errors") {
  const scratch s;
  const std::string missing = (s.dir / "missing").string();
  CHECK(read_error(missing) == "cannot read the secret file " + missing + ": No such file or directory");
  const std::string empty = s.file("empty", "");
  CHECK(read_error(empty) == "the secret file " + empty + " is empty");
  const std::string newline = s.file("newline", "\n");
  CHECK(read_error(newline) == "the secret file " + newline + " is empty");
  CHECK(read_error(s.dir.string()) == "the secret file " + s.dir.string() + " is not a regular file");
  const std::string fifo = (s.dir / "fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(read_error(fifo) == "the secret file " + fifo + " is not a regular file");
  const std::string big = s.file("big", std::string(secrets::max_secret_bytes + 1, 'k'));
  CHECK(read_error(big) == "the secret file " + big + " is over 65536 bytes");
}

TEST_CASE("secret file: group- or world-readable files are reported with their mode") {
  const scratch s;
  CHECK_FALSE(secrets::readable_by_others(s.file("owner", "x", 0600)).has_value());
  CHECK_FALSE(secrets::readable_by_others(s.file("owner-ro", "x", 0400)).has_value());
  CHECK(secrets::readable_by_others(s.file("group", "x", 0640)) == 0640u);
  CHECK(secrets::readable_by_others(s.file("world", "x", 0604)) == 0604u);
  CHECK(secrets::readable_by_others(s.file("all", "x", 0644)) == 0644u);
  CHECK_FALSE(secrets::readable_by_others((s.dir / "missing").string()).has_value());
  CHECK_FALSE(secrets::warn_if_readable_by_others("x", s.file("quiet", "x", 0600)));
  CHECK(secrets::warn_if_readable_by_others("x", s.file("loud", "x", 0644)));
  CHECK_FALSE(secrets::warn_if_readable_by_others("x", ""));
}

TEST_CASE("config: pacs password_file, token_file and client certificate; database_file") {
  const scratch s;
  s.file("pacs.pw", "pw-from-file\n");
  s.file("pacs.token", "tok-from-file\n");
  s.file("db", "host=127.0.0.1 dbname=rb password=db-secret\n");
  const std::string interfaces = R"("interfaces": [{"name": "a", "listen": "127.0.0.1:0"}])";
  auto pipeline = [&](const std::string& pacs) {
    return R"({)" + interfaces + R"(, "pipeline": {"mappings": ["m"], "registry": "r.json", "pacs": )" + pacs + "}}";
  };

  const auto basic = config::parse_config(
      pipeline(R"({"dicomweb": "https://pacs/dicom-web", "user": "rb", "password_file": "pacs.pw",
                   "cert_file": "client.pem", "key_file": "/k/client.key"})"),
      "radbridge.json", s.dir.string());
  REQUIRE(basic.pipeline.has_value());
  CHECK(basic.pipeline->pacs.user == "rb");
  CHECK(basic.pipeline->pacs.password == "pw-from-file");
  CHECK(basic.pipeline->pacs.password_file == (s.dir / "pacs.pw").string());
  CHECK(basic.pipeline->pacs.cert_file == (s.dir / "client.pem").string());
  CHECK(basic.pipeline->pacs.key_file == "/k/client.key");

  const auto bearer = config::parse_config(pipeline(R"({"dicomweb": "http://pacs", "token_file": "pacs.token"})"),
                                           "radbridge.json", s.dir.string());
  CHECK(bearer.pipeline->pacs.token == "tok-from-file");
  CHECK(bearer.pipeline->pacs.token_file == (s.dir / "pacs.token").string());
  CHECK(bearer.pipeline->pacs.password.empty());

  const auto db = config::parse_config(R"({"database_file": "db", )" + interfaces + "}", "radbridge.json", s.dir.string());
  CHECK(db.database == "host=127.0.0.1 dbname=rb password=db-secret");
  CHECK(db.database_file == (s.dir / "db").string());
}

TEST_CASE("config: secret-file and credential problems at file:line:col") {
  const scratch s;
  s.file("pacs.pw", "pw\n");
  s.file("empty", "");
  const std::string d = s.dir.string();
  const std::string head = R"({"interfaces": [{"name": "a", "listen": "127.0.0.1:0"}],
  "pipeline": {"mappings": ["m"], "registry": "r.json", "pacs": )";

  CHECK(config_problems(head + R"({"dicomweb": "http://p", "user": "u", "password_file": "nope"}}})", d) ==
        "radbridge.json:2:120: cannot read the secret file " + d + "/nope: No such file or directory");
  CHECK(config_problems(head + R"({"dicomweb": "http://p", "token_file": "empty"}}})", d) ==
        "radbridge.json:2:104: the secret file " + d + "/empty is empty");
  CHECK(config_problems(head + R"({"dicomweb": "http://p", "user": "u", "password": "x", "password_file": "pacs.pw"}}})",
                        d) == "radbridge.json:2:137: \"pacs\" takes \"password\" or \"password_file\", not both");
  CHECK(config_problems(head + R"({"dicomweb": "http://p", "token": "t", "token_file": "pacs.pw"}}})", d) ==
        "radbridge.json:2:118: \"pacs\" takes \"token\" or \"token_file\", not both");
  CHECK(config_problems(head + R"({"dicomweb": "http://p", "password_file": "pacs.pw"}}})", d) ==
        "radbridge.json:2:65: \"pacs\" has a password but no \"user\" (basic authentication needs both)");
  CHECK(config_problems(head + R"({"dicomweb": "http://p", "user": "u", "token": "t"}}})", d) ==
        "radbridge.json:2:65: \"pacs\" takes \"user\" and a password (basic) or a token (bearer), not both");
  CHECK(config_problems(head + R"({"dicomweb": "https://p", "cert_file": "c.pem"}}})", d) ==
        "radbridge.json:2:65: \"pacs\" needs both \"cert_file\" and \"key_file\" for a client certificate");
  CHECK(config_problems(R"({"database": "x", "database_file": "pacs.pw",
  "interfaces": [{"name": "a", "listen": "127.0.0.1:0"}]})",
                        d) == "radbridge.json:1:36: give \"database\" or \"database_file\", not both");
}
