// Destinations in mapping files: credentials (inline or from secret files),
// client certificates and folder file modes are read, and each mistake is a
// problem at its file:line:col.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/route/destination_files.hpp"
#include "route/mapping_loader.hpp"
#include "support/process.hpp"

namespace route = radbridge::route;
using radbridge::test::destinations_file;
using radbridge::test::secret_file;
using radbridge::test::shipped_registry;
using radbridge::test::temp_folder;

TEST_CASE("destinations: basic and bearer credentials inline or from files; client certificates; folder modes") {
  const temp_folder dir("radbridge-destinations");
  secret_file(dir, "fhir.token", "tok-123\n");
  secret_file(dir, "pacs.pw", "pw-456\n");
  const std::string file = destinations_file(
      dir, {
               R"({"name": "fhir", "type": "fhir", "address": "https://fhir.example.org/fhir", "auth": {"scheme": "bearer", "token_file": "fhir.token"}, "cert_file": "tls/client.pem", "key_file": "/etc/rb/client.key"})",
               R"({"name": "pacs", "type": "dicomweb", "address": "http://127.0.0.1:8042/dicom-web", "auth": {"scheme": "basic", "user": "rb", "password_file": "pacs.pw"}})",
               R"({"name": "fhir2", "type": "fhir", "address": "http://127.0.0.1:1/fhir", "auth": {"scheme": "bearer", "token": "inline-tok"}})",
               R"({"name": "ris", "type": "mllp", "address": "ris.example.org:6661", "ca_file": "ca.pem", "cert_file": "c.pem", "key_file": "c.key"})",
               R"({"name": "out", "type": "folder", "address": "/out", "mode": "0600"})",
               R"({"name": "out2", "type": "folder", "address": "/out2"})",
           });
  const route::mapping_set m = route::load_mappings({file}, shipped_registry());
  const std::string d = dir.path().string();

  const route::destination* fhir = m.find_destination("fhir");
  REQUIRE(fhir != nullptr);
  CHECK(fhir->auth.how == route::destination_auth::scheme::bearer);
  CHECK(fhir->auth.token == "tok-123");
  CHECK(fhir->auth.token_file == d + "/fhir.token");
  CHECK(fhir->cert_file == d + "/tls/client.pem");
  CHECK(fhir->key_file == "/etc/rb/client.key");

  const route::destination* pacs = m.find_destination("pacs");
  CHECK(pacs->auth.how == route::destination_auth::scheme::basic);
  CHECK(pacs->auth.user == "rb");
  CHECK(pacs->auth.password == "pw-456");
  CHECK(pacs->auth.password_file == d + "/pacs.pw");

  CHECK(m.find_destination("fhir2")->auth.token == "inline-tok");
  CHECK(m.find_destination("fhir2")->auth.token_file.empty());
  CHECK(m.find_destination("ris")->ca_file == d + "/ca.pem");
  CHECK(m.find_destination("ris")->cert_file == d + "/c.pem");
  CHECK(m.find_destination("ris")->auth.how == route::destination_auth::scheme::none);
  CHECK(m.find_destination("out")->file_mode == 0600u);
  CHECK(m.find_destination("out2")->file_mode == 0640u);
}

TEST_CASE("destinations: credential, secret-file, certificate and mode mistakes at file:line:col") {
  const temp_folder dir("radbridge-destinations");
  secret_file(dir, "t", "tok\n");
  secret_file(dir, "empty", "");
  secret_file(dir, "two-lines", "a\nb\n");
  const std::string d = dir.path().string();
  const std::string file = destinations_file(
      dir, {
               R"({"name": "a", "type": "fhir", "address": "http://h/fhir", "auth": {"scheme": "bearer"}})",
               R"({"name": "b", "type": "fhir", "address": "http://h/fhir", "auth": {"scheme": "bearer", "token": "x", "token_file": "t"}})",
               R"({"name": "c", "type": "fhir", "address": "http://h/fhir", "auth": {"scheme": "bearer", "token_file": "missing"}})",
               R"({"name": "e", "type": "dicomweb", "address": "http://h/dw", "auth": {"scheme": "basic", "user": "u", "password_file": "empty"}})",
               R"({"name": "f", "type": "dicomweb", "address": "http://h/dw", "auth": {"scheme": "basic", "password": "p"}})",
               R"({"name": "g", "type": "dicomweb", "address": "http://h/dw", "auth": {"scheme": "basic", "user": "u"}})",
               R"({"name": "h", "type": "fhir", "address": "http://h/fhir", "auth": {"scheme": "basic", "user": "u", "password": "p", "token": "t"}})",
               R"({"name": "i", "type": "fhir", "address": "http://h/fhir", "auth": {"token": "t"}})",
               R"({"name": "j", "type": "fhir", "address": "http://h/fhir", "auth": {"scheme": "digest", "token": "t"}})",
               R"({"name": "k", "type": "mllp", "address": "h:1", "auth": {"scheme": "bearer", "token": "t"}})",
               R"({"name": "l", "type": "fhir", "address": "http://h/fhir", "auth": {"scheme": "bearer", "token_file": "two-lines"}})",
               R"({"name": "m", "type": "mllp", "address": "h:1", "cert_file": "c.pem"})",
               R"({"name": "n", "type": "folder", "address": "/o", "mode": "0777"})",
               R"({"name": "o", "type": "folder", "address": "/o", "mode": "rw-r-----"})",
               R"({"name": "p", "type": "fhir", "address": "http://h/fhir", "mode": "0640", "tls": true})",
               R"({"name": "q", "type": "folder", "address": "/o", "ca_file": "ca.pem"})",
               R"({"name": "r", "type": "fhir", "address": "http://h/fhir", "auth": {"scheme": "basic", "user": "a:b", "password": "p"}})",
           });
  const std::vector<std::string> expected_lines = {
      file + ":2:67: bearer authentication needs \"token\" or \"token_file\"",
      file + ":3:116: give \"token\" or \"token_file\", not both",
      file + ":4:102: cannot read the secret file " + d + "/missing: No such file or directory",
      file + ":5:119: the secret file " + d + "/empty is empty",
      file + ":6:69: basic authentication needs \"user\"",
      file + ":7:69: basic authentication needs \"password\" or \"password_file\"",
      file + ":8:126: \"token\" is not used by basic authentication",
      file + ":9:67: \"auth\" needs \"scheme\": \"basic\" or \"bearer\"",
      file + ":10:78: expected \"basic\" or \"bearer\", not \"digest\"",
      file + ":11:57: \"auth\" is for fhir and dicomweb destinations",
      file + ":12:102: the bearer token holds a line break",
      file + ":13:1: a client certificate needs both \"cert_file\" and \"key_file\"",
      file + ":14:58: \"mode\" must be an octal file mode like \"0640\" that lets the owner read and write, makes "
             "nothing executable and lets no others write; not \"0777\"",
      file + ":15:58: \"mode\" must be an octal file mode like \"0640\" that lets the owner read and write, makes "
             "nothing executable and lets no others write; not \"rw-r-----\"",
      file + ":16:67: \"mode\" is for folder destinations",
      file + ":16:82: \"tls\" is for mllp destinations (fhir and dicomweb use TLS with an https address)",
      file + ":17:61: \"ca_file\" is for mllp, fhir and dicomweb destinations",
      file + ":18:95: a basic authentication user name cannot hold ':'",
  };
  std::string expected, got;
  for (const std::string& line : expected_lines) expected += line + "\n";
  for (const std::string& line : route::check_mappings({file}, shipped_registry()).problems) got += line + "\n";
  CHECK(got == expected);
}
