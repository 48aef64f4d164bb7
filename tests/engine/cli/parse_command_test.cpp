#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>
#include <sstream>
#include <string>
#include <vector>

#include "engine/cli/run_cli.hpp"
#include "support.hpp"

using radbridge::test::run_cli;

namespace {

std::string sample(std::string_view name) { return (radbridge::test::source_dir() / "samples/hl7" / name).string(); }

}  // namespace

TEST_CASE("cli parse: --path prints the unescaped value and a newline") {
  const std::string file = sample("adt_a04_charset_utf8.hl7");
  const auto r = run_cli({"parse", "--path", "MSH-9.2", file});
  CHECK(r.code == 0);
  CHECK(r.out == "A04\n");
  CHECK(r.err.empty());
}

TEST_CASE("cli parse: an absent value prints an empty line") {
  const auto r = run_cli({"parse", "--path", "ZZZ-1", "-"}, "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|X1|P|2.5\r");
  CHECK(r.code == 0);
  CHECK(r.out == "\n");
}

TEST_CASE("cli parse: values come out as UTF-8 from Latin-1 and escapes are decoded") {
  const std::string msg = "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|X1|P|2.5||||||8859/1\rPID|1||42||M\xe9lanie\\S\\x\r";
  const auto r = run_cli({"parse", "--path", "PID-5", "-"}, msg);
  CHECK(r.code == 0);
  CHECK(r.out == "M\xc3\xa9lanie^x\n");
}

TEST_CASE("cli parse: the HL7 null prints as \"\"") {
  const auto r = run_cli({"parse", "--path", "PID-13", "-"}, "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|X1|P|2.5\rPID|1||42||||||||||\"\"\r");
  CHECK(r.out == "\"\"\n");
}

TEST_CASE("cli parse: --json prints the tree with nulls and empty repetitions") {
  const auto r = run_cli({"parse", "--json", "-"}, "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|X1|P|2.5\rPID|1|\"\"|~R2|a&b^c\r");
  REQUIRE(r.code == 0);
  // Whitespace-insensitive comparison of the PID part of the tree.
  std::string compact;
  for (char c : r.out) {
    if (c != ' ' && c != '\n') compact += c;
  }
  CHECK(compact.find(R"({"name":"PID","fields":[[[["1"]]],[[[null]]],[[[""]],[["R2"]]],[[["a","b"],["c"]]]]})") !=
        std::string::npos);
  CHECK(compact.find(R"("fields":["|","^~\\&",[[["A"]]])") != std::string::npos);
  CHECK(compact.starts_with(R"({"charset":"ascii","segments":[)"));
}

TEST_CASE("cli parse: a batch file prints a JSON array of messages") {
  const auto r = run_cli({"parse", "--json", sample("batch_oru_r01_ai_results.hl7")});
  REQUIRE(r.code == 0);
  CHECK(r.out.front() == '[');
  std::size_t messages = 0;
  for (std::size_t pos = 0; (pos = r.out.find("\"MSH\"", pos)) != std::string::npos; ++pos) ++messages;
  CHECK(messages == 3);
}

TEST_CASE("cli parse: a file that is not HL7 exits 1 with the file, code and locator") {
  const std::string file = sample("malformed/unknown_charset.hl7");
  const auto r = run_cli({"parse", file});
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.starts_with("radbridge: " + file + ": unknown_charset at MSH-18 (byte "));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("cli parse: plain text exits 1 naming missing_msh") {
  const std::string file = sample("malformed/not_hl7.txt");
  const auto r = run_cli({"parse", file});
  CHECK(r.code == 1);
  CHECK(r.err == "radbridge: " + file + ": missing_msh (byte 0)\n");
}

TEST_CASE("cli parse: an unreadable file exits 1 with the reason") {
  const auto r = run_cli({"parse", "/nonexistent/x.hl7"});
  CHECK(r.code == 1);
  CHECK(r.err == "radbridge: /nonexistent/x.hl7: cannot read: No such file or directory\n");
}

TEST_CASE("cli parse: usage errors exit 2") {
  CHECK(run_cli({"parse"}).code == 2);
  CHECK(run_cli({"parse", "--bogus", "x"}).code == 2);
  const auto bad_path = run_cli({"parse", "--path", "PID3", "x"});
  CHECK(bad_path.code == 2);
  CHECK(bad_path.err.starts_with("radbridge parse: bad path expression 'PID3' at character 4"));
  CHECK(run_cli({}).code == 2);
  CHECK(run_cli({"nope"}).code == 2);
}

TEST_CASE("cli parse: the summary names type, version, id and sender but no patient data") {
  const auto r = run_cli({"parse", sample("adt_a08_charset_8859_1.hl7")});
  REQUIRE(r.code == 0);
  CHECK(r.out.find("ADT^A08 v2.5 id=") != std::string::npos);
  CHECK(r.out.find("charset=8859/1") != std::string::npos);
  CHECK(r.out.find("LANIE") == std::string::npos);
}

TEST_CASE("cli parse: the installed binary runs the same code") {
  const std::string cmd = std::string(RADBRIDGE_BINARY) + " parse --path MSH-10 " + sample("adt_a31_update_person.hl7");
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[256] = {};
  const std::size_t n = fread(buf, 1, sizeof buf - 1, pipe);
  CHECK(pclose(pipe) == 0);
  CHECK(n > 1);
  CHECK(buf[n - 1] == '\n');
}

TEST_CASE("cli serve: an invalid configuration is refused with file:line:col, before anything starts") {
  const std::string path = "/tmp/radbridge-bad-config-" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream f(path);
    f << "{\"interfaces\": [{\"name\": \"ris\", \"listen\": \"127.0.0.1:2575\", \"ack_mode\": \"sometimes\"}]}";
  }
  const auto r = run_cli({"serve", "--config", path, "--db", "host=127.0.0.1 port=1"});
  CHECK(r.code == 1);
  CHECK(r.err == path + ":1:73: expected \"auto\" or \"original\" or \"enhanced\", not \"sometimes\"\n");
  std::remove(path.c_str());
  CHECK(run_cli({"serve"}).code == 2);
  CHECK(run_cli({"migrate"}).code == 2);
}

TEST_CASE("cli: radbridge loads neither libtorch nor DCMTK; infer runs in radbridge-worker, reached by the same name") {
  // What the dynamic loader maps for radbridge: no libtorch, no DCMTK.
  const std::string libraries_cmd = "ldd " + std::string(RADBRIDGE_BINARY);
  FILE* pipe = popen(libraries_cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string libraries;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) libraries.append(buf, n);
  CHECK(pclose(pipe) == 0);
  CHECK_MESSAGE(libraries.find("libtorch") == std::string::npos, libraries);
  CHECK_MESSAGE(libraries.find("libdcm") == std::string::npos, libraries);
  // `radbridge infer` runs radbridge-worker with the same arguments.
  const std::string infer_cmd = std::string(RADBRIDGE_BINARY) + " infer --model nosuch --dir /tmp --registry " +
                                (radbridge::test::source_dir() / "models/registry.json").string() + " 2>&1";
  pipe = popen(infer_cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string said;
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) said.append(buf, n);
  const int status = pclose(pipe);
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(said == "radbridge infer: no model \"nosuch\" in " +
                    (radbridge::test::source_dir() / "models/registry.json").string() +
                    " (it has: ich_classifier, ich_segmentation)\n");
}
