#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/cli/run_cli.hpp"
#include "engine/net/mllp_test_server.hpp"
#include "engine/net/test_certs.hpp"
#include "net/tls.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using radbridge::test::mllp_reply;
using radbridge::test::run_cli_args;
using radbridge::test::mllp_test_server;
using namespace std::chrono_literals;

namespace {

// The summary's "name: value" lines.
std::map<std::string, std::string> summary(const std::string& out) {
  std::map<std::string, std::string> values;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const std::size_t colon = line.find(": ");
    if (colon != std::string::npos) values[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return values;
}

// The eight outcome counts, as "AA=.. AE=.. ..", for one readable CHECK.
std::string counts(const std::string& out) {
  auto s = summary(out);
  std::string text;
  for (const char* key :
       {"messages", "AA", "AE", "AR", "CA", "CE", "CR", "none", "ack_mismatch", "resent", "reconnects"}) {
    text += std::string(text.empty() ? "" : " ") + key + "=" + s[key];
  }
  return text;
}

std::string msg(const std::string& control_id, const std::string& eol = "\r") {
  return "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|GENHOSP|20260101120000||ORM^O01|" + control_id + "|P|2.5" + eol +
         "PID|1||MRN-" + control_id + "^^^GENHOSP^MR" + eol;
}

mllp_reply answer(const std::string& frame, radbridge::hl7::ack_code code) {
  return mllp_reply::frame(radbridge::test::ack_for(frame, code));
}

std::string control_id_of(const std::string& frame) {
  return std::string(radbridge::hl7::peek_msh(frame).control_id());
}

class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("radbridge-replay-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  // Writes a file (creating folders) and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string path() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// A folder of `n` one-message files M001..Mnnn.
std::string make_messages(const temp_dir& dir, int n) {
  for (int i = 1; i <= n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "M%03d", i);
    dir.write(std::string("in/") + id + ".hl7", msg(id));
  }
  return dir / "in";
}

std::string to(const mllp_test_server& server) { return "127.0.0.1:" + std::to_string(server.port()); }

std::vector<std::string> read_lines(const std::string& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("replay: every message gets AA, over several connections") {
  temp_dir dir;
  const std::string in = make_messages(dir, 20);
  mllp_test_server server(radbridge::test::answer_aa);
  const auto r = run_cli_args({"replay", "--to", to(server), "--connections", "4", in});
  CHECK(r.code == 0);
  CHECK(counts(r.out) == "messages=20 AA=20 AE=0 AR=0 CA=0 CE=0 CR=0 none=0 ack_mismatch=0 resent=0 reconnects=0");
  CHECK(r.err.empty());
  CHECK(server.frames() == 20);
  CHECK(server.connections() == 4);
  auto s = summary(r.out);
  CHECK(s.count("elapsed_s") == 1);
  CHECK(s.count("msgs_per_s") == 1);
  CHECK(s["latency_ms"].starts_with("p50="));
  CHECK(s["latency_ms"].find(" p95=") != std::string::npos);
  CHECK(s["latency_ms"].find(" p99=") != std::string::npos);
  CHECK(r.out.starts_with("messages: 20\nAA: 20\nAE: 0\nAR: 0\nCA: 0\nCE: 0\nCR: 0\nnone: 0\nack_mismatch: 0\n"));
}

TEST_CASE("replay: AE and AR are counted and make the exit code 1") {
  temp_dir dir;
  const std::string in = make_messages(dir, 10);
  mllp_test_server server([](const std::string& frame) {
    const std::string id = control_id_of(frame);
    if (id == "M003" || id == "M007") return answer(frame, radbridge::hl7::ack_code::error);
    if (id == "M009") return answer(frame, radbridge::hl7::ack_code::reject);
    return radbridge::test::answer_aa(frame);
  });
  const auto r = run_cli_args({"replay", "--to", to(server), in});
  CHECK(r.code == 1);
  CHECK(counts(r.out) == "messages=10 AA=7 AE=2 AR=1 CA=0 CE=0 CR=0 none=0 ack_mismatch=0 resent=0 reconnects=0");
}

TEST_CASE("replay: enhanced-mode commit ACKs (CA) count as success") {
  temp_dir dir;
  std::string m = msg("E001");
  m.replace(m.find("|P|2.5\r"), 7, "|P|2.5|||AL|NE\r");
  const std::string file = dir.write("enhanced.hl7", m);
  mllp_test_server server(radbridge::test::answer_aa);
  const auto r = run_cli_args({"replay", "--to", to(server), file});
  CHECK(r.code == 0);
  CHECK(counts(r.out) == "messages=1 AA=0 AE=0 AR=0 CA=1 CE=0 CR=0 none=0 ack_mismatch=0 resent=0 reconnects=0");
}

TEST_CASE("replay: the server closing the connection once mid-run: reconnect, resend, all AA") {
  temp_dir dir;
  const std::string in = make_messages(dir, 10);
  std::atomic<int> seen{0};
  mllp_test_server server([&](const std::string& frame) {
    if (++seen == 4) return mllp_reply::hang_up();  // the 4th frame gets no ACK
    return radbridge::test::answer_aa(frame);
  });
  const std::string log = dir / "acks.log";
  const auto r = run_cli_args({"replay", "--to", to(server), "--ack-log", log, in});
  CHECK(r.code == 0);
  CHECK(counts(r.out) == "messages=10 AA=10 AE=0 AR=0 CA=0 CE=0 CR=0 none=0 ack_mismatch=0 resent=1 reconnects=1");
  CHECK(server.frames() == 11);
  CHECK(server.connections() == 2);
  const auto received = server.received();
  REQUIRE(received.size() == 11);
  CHECK(control_id_of(received[3]) == "M004");
  CHECK(received[4] == received[3]);  // the resend carries the same bytes
  CHECK(r.err.find("radbridge replay: connection 1: MLLP: connection closed by peer; reconnecting\n") == 0);

  const auto lines = read_lines(log);
  REQUIRE(lines.size() == 10);
  for (int i = 0; i < 10; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "M%03d", i + 1);
    CHECK(lines[static_cast<std::size_t>(i)].starts_with(std::string(id) + " AA "));
  }
}

TEST_CASE("replay: the server going away and coming back on the same port (as after kill -9)") {
  temp_dir dir;
  const std::string in = make_messages(dir, 40);
  auto server = std::make_unique<mllp_test_server>(radbridge::test::answer_aa);
  const std::uint16_t port = server->port();
  const std::string log = dir / "acks.log";
  radbridge::test::cli_outcome r{};
  std::thread replay([&] {
    r = run_cli_args({"replay", "--to", "127.0.0.1:" + std::to_string(port), "--connections", "3", "--rate", "400",
                 "--give-up-s", "20", "--ack-log", log, in});
  });
  REQUIRE(mllp_test_server::eventually([&] { return server->frames() >= 10; }));
  server.reset();  // connections closed, port refused
  std::this_thread::sleep_for(300ms);
  server = std::make_unique<mllp_test_server>(radbridge::test::answer_aa, nullptr, port);
  replay.join();

  CHECK(r.code == 0);
  auto s = summary(r.out);
  CHECK(s["AA"] == "40");
  CHECK(s["none"] == "0");
  CHECK(std::stoi(s["reconnects"]) >= 3);
  CHECK(r.err.find("; reconnecting\n") != std::string::npos);
  CHECK(r.err.find("back after") != std::string::npos);
  // Every message is in the log once, with AA.
  std::set<std::string> acked;
  for (const auto& line : read_lines(log)) {
    CHECK(line.find(" AA ") != std::string::npos);
    acked.insert(line.substr(0, line.find(' ')));
  }
  CHECK(acked.size() == 40);
}

TEST_CASE("replay: no ACK before the timeout counts as none, and the rest still goes") {
  temp_dir dir;
  const std::string in = make_messages(dir, 3);
  mllp_test_server server([](const std::string& frame) {
    if (control_id_of(frame) == "M002") return mllp_reply::silence();
    return radbridge::test::answer_aa(frame);
  });
  const std::string log = dir / "acks.log";
  const auto r = run_cli_args({"replay", "--to", to(server), "--timeout-ms", "200", "--ack-log", log, in});
  CHECK(r.code == 1);
  CHECK(counts(r.out) == "messages=3 AA=2 AE=0 AR=0 CA=0 CE=0 CR=0 none=1 ack_mismatch=0 resent=0 reconnects=1");
  CHECK(r.err == "radbridge replay: connection 1: message M002: MLLP: no ACK within 200 ms\n");
  const auto lines = read_lines(log);
  REQUIRE(lines.size() == 3);
  CHECK(lines[1] == "M002 none -");
}

TEST_CASE("replay: an ACK for another message is ack_mismatch; garbage is none") {
  temp_dir dir;
  const std::string in = make_messages(dir, 3);
  mllp_test_server server([](const std::string& frame) {
    const std::string id = control_id_of(frame);
    if (id == "M001") return mllp_reply::frame("MSH|^~\\&|R|F|S|F|20260101||ACK|A1|P|2.5\rMSA|AA|SOMETHING-ELSE\r");
    if (id == "M002") return mllp_reply::frame("this is not HL7");
    // Rejected by the full parser (no MSH-9/10) but MSA is still found.
    return mllp_reply::frame("MSH|^~\\&|R|F|S|F\rMSA|AA|M003\r");
  });
  const auto r = run_cli_args({"replay", "--to", to(server), in});
  CHECK(r.code == 1);
  CHECK(counts(r.out) == "messages=3 AA=1 AE=0 AR=0 CA=0 CE=0 CR=0 none=1 ack_mismatch=1 resent=0 reconnects=0");
}

TEST_CASE("replay: LF line endings are sent as CR") {
  temp_dir dir;
  const std::string file = dir.write("lf.hl7", msg("LF1", "\n"));
  const std::string crlf = dir.write("crlf.hl7", msg("CRLF1", "\r\n"));
  mllp_test_server server(radbridge::test::answer_aa);
  const auto r = run_cli_args({"replay", "--to", to(server), file, crlf});
  CHECK(r.code == 0);
  const auto received = server.received();
  REQUIRE(received.size() == 2);
  CHECK(received[0] == msg("LF1"));
  CHECK(received[1] == msg("CRLF1"));
}

TEST_CASE("replay: a file of several messages separated by blank lines sends each") {
  temp_dir dir;
  const std::string file = dir.write("three.hl7", msg("A1", "\n") + "\n\n" + msg("A2", "\n") + "\n" + msg("A3", "\n"));
  mllp_test_server server(radbridge::test::answer_aa);
  const auto r = run_cli_args({"replay", "--to", to(server), file});
  CHECK(r.code == 0);
  CHECK(summary(r.out)["AA"] == "3");
  const auto received = server.received();
  REQUIRE(received.size() == 3);
  CHECK(received[0] == msg("A1"));
  CHECK(received[1] == msg("A2"));
  CHECK(received[2] == msg("A3"));
}

TEST_CASE("replay: a batch file sends its messages, not the envelope") {
  const std::string batch = (radbridge::test::source_dir() / "samples/hl7/batch_oru_r01_ai_results.hl7").string();
  mllp_test_server server(radbridge::test::answer_aa);
  const auto r = run_cli_args({"replay", "--to", to(server), batch});
  CHECK(r.code == 0);
  CHECK(summary(r.out)["AA"] == "3");
  const auto received = server.received();
  REQUIRE(received.size() == 3);
  CHECK(control_id_of(received[0]) == "RB20240326230000101");
  CHECK(control_id_of(received[2]) == "RB20240326230000103");
  for (const auto& m : received) {
    CHECK(m.starts_with("MSH|"));
    CHECK(m.ends_with("\r"));
    CHECK(m.find("BHS|") == std::string::npos);
    CHECK(m.find("BTS|") == std::string::npos);
  }
}

TEST_CASE("replay: folders are read recursively in path order, hidden files skipped") {
  temp_dir dir;
  dir.write("in/b/2.hl7", msg("B2"));
  dir.write("in/a/1.hl7", msg("A1"));
  dir.write("in/c.hl7", msg("C3"));
  dir.write("in/.swap.hl7", "not even HL7");
  dir.write("in/.git/x.hl7", "not even HL7");
  const std::string single = dir.write("single.hl7", msg("S0"));
  mllp_test_server server(radbridge::test::answer_aa);
  const auto r = run_cli_args({"replay", "--to", to(server), single, dir / "in"});
  CHECK(r.code == 0);
  std::vector<std::string> ids;
  for (const auto& m : server.received()) ids.push_back(control_id_of(m));
  CHECK(ids == std::vector<std::string>{"S0", "A1", "B2", "C3"});
}

TEST_CASE("replay: --repeat resends the same bytes; --unique gives each repeat its own MSH-10") {
  temp_dir dir;
  const std::string file = dir.write("one.hl7", msg("R1"));
  SUBCASE("same MSH-10") {
    mllp_test_server server(radbridge::test::answer_aa);
    const auto r = run_cli_args({"replay", "--to", to(server), "--repeat", "3", file});
    CHECK(r.code == 0);
    CHECK(summary(r.out)["messages"] == "3");
    const auto received = server.received();
    REQUIRE(received.size() == 3);
    CHECK(received[0] == msg("R1"));
    CHECK(received[1] == msg("R1"));
    CHECK(received[2] == msg("R1"));
  }
  SUBCASE("--unique") {
    mllp_test_server server(radbridge::test::answer_aa);
    const std::string log = dir / "acks.log";
    const auto r = run_cli_args({"replay", "--to", to(server), "--repeat", "3", "--unique", "--ack-log", log, file});
    CHECK(r.code == 0);
    CHECK(summary(r.out)["AA"] == "3");
    const auto received = server.received();
    REQUIRE(received.size() == 3);
    CHECK(received[0] == msg("R1"));
    CHECK(received[1] ==
          "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|GENHOSP|20260101120000||ORM^O01|R1-2|P|2.5\rPID|1||MRN-R1^^^GENHOSP^MR\r");
    CHECK(control_id_of(received[2]) == "R1-3");
    const auto lines = read_lines(log);
    REQUIRE(lines.size() == 3);
    CHECK(lines[2].starts_with("R1-3 AA "));
  }
}

TEST_CASE("replay: --ack-log lines are CONTROL_ID CODE LATENCY_MS") {
  temp_dir dir;
  const std::string in = make_messages(dir, 2);
  mllp_test_server server([](const std::string& frame) {
    if (control_id_of(frame) == "M002") return answer(frame, radbridge::hl7::ack_code::error);
    return radbridge::test::answer_aa(frame);
  });
  const std::string log = dir / "acks.log";
  const auto r = run_cli_args({"replay", "--to", to(server), "--ack-log", log, in});
  CHECK(r.code == 1);
  const auto lines = read_lines(log);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].starts_with("M001 AA "));
  CHECK(lines[1].starts_with("M002 AE "));
  for (const auto& line : lines) {
    const std::string latency = line.substr(line.rfind(' ') + 1);
    CHECK(latency.find('.') == latency.size() - 4);  // three decimals
    CHECK(std::stod(latency) >= 0.0);
  }
}

TEST_CASE("replay: --rate spaces the sends") {
  temp_dir dir;
  const std::string in = make_messages(dir, 6);
  mllp_test_server server(radbridge::test::answer_aa);
  const auto r = run_cli_args({"replay", "--to", to(server), "--rate", "50", "--connections", "2", in});
  CHECK(r.code == 0);
  // Six sends at most 50/s apart take at least 5 intervals of 20 ms (a lower bound only).
  CHECK(std::stod(summary(r.out)["elapsed_s"]) >= 0.099);
}

TEST_CASE("replay: over TLS, checking the server against a CA") {
  const auto& certs = radbridge::test::certs();
  radbridge::net::tls_options so;
  so.cert_file = certs.server_cert;
  so.key_file = certs.server_key;
  so.ca_file = certs.ca;
  so.require_client_cert = true;
  auto server_tls = radbridge::net::make_server_context(so);
  mllp_test_server server(radbridge::test::answer_aa, &server_tls);
  temp_dir dir;
  const std::string in = make_messages(dir, 3);

  SUBCASE("with a client certificate") {
    const auto r = run_cli_args({"replay", "--to", to(server), "--tls", "--ca", certs.ca, "--cert", certs.client_cert,
                            "--key", certs.client_key, in});
    CHECK(r.code == 0);
    CHECK(summary(r.out)["AA"] == "3");
    CHECK(server.last_client_subject() == "/CN=radbridge-test-client");
  }
  SUBCASE("a bad CA file is a one-line error before anything is sent") {
    const auto r = run_cli_args({"replay", "--to", to(server), "--ca", "/nonexistent/ca.pem", in});
    CHECK(r.code == 1);
    CHECK(r.err == "radbridge replay: TLS: cannot load CA file /nonexistent/ca.pem: No such file or directory\n");
    CHECK(server.connections() == 0);
  }
}

TEST_CASE("replay: nothing listening: retries until --give-up-s, then every message is none") {
  temp_dir dir;
  const std::string in = make_messages(dir, 3);
  std::uint16_t port = 0;
  {
    mllp_test_server probe(radbridge::test::answer_aa);
    port = probe.port();
  }
  const std::string log = dir / "acks.log";
  const auto r =
      run_cli_args({"replay", "--to", "127.0.0.1:" + std::to_string(port), "--give-up-s", "0.3", "--ack-log", log, in});
  CHECK(r.code == 1);
  CHECK(counts(r.out) == "messages=3 AA=0 AE=0 AR=0 CA=0 CE=0 CR=0 none=3 ack_mismatch=0 resent=0 reconnects=0");
  const std::string refused = "MLLP: cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused";
  CHECK(r.err == "radbridge replay: connection 1: " + refused + "; reconnecting\n" +
                     "radbridge replay: connection 1: giving up after 0.3 s: " + refused + "\n" +
                     "radbridge replay: 2 messages were not sent\n");
  CHECK(read_lines(log) == std::vector<std::string>{"M001 none -", "M002 none -", "M003 none -"});
}

TEST_CASE("replay: bad input stops the run before anything is sent") {
  mllp_test_server server(radbridge::test::answer_aa);
  temp_dir dir;
  const std::string good = dir.write("good.hl7", msg("G1"));

  SUBCASE("a file that is not HL7") {
    const std::string bad = dir.write("bad.txt", "hello, this is not HL7\n");
    const auto r = run_cli_args({"replay", "--to", to(server), good, bad});
    CHECK(r.code == 1);
    CHECK(r.err == "radbridge replay: " + bad + ": missing_msh (byte 0)\n");
  }
  SUBCASE("a malformed message in a folder") {
    const std::string bad = dir.write("in/x.hl7", "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|X1|P|2.5\rPID|1||\\Q\\\r");
    const auto r = run_cli_args({"replay", "--to", to(server), dir / "in"});
    CHECK(r.code == 1);
    CHECK(r.err.starts_with("radbridge replay: " + bad + ": bad_escape at PID-3"));
  }
  SUBCASE("a path that does not exist") {
    const auto r = run_cli_args({"replay", "--to", to(server), "/nonexistent/radbridge"});
    CHECK(r.code == 1);
    CHECK(r.err == "radbridge replay: /nonexistent/radbridge: cannot read: No such file or directory\n");
  }
  SUBCASE("an empty folder") {
    fs::create_directories(dir / "empty");
    const auto r = run_cli_args({"replay", "--to", to(server), dir / "empty"});
    CHECK(r.code == 1);
    CHECK(r.err == "radbridge replay: no messages found in the given paths\n");
  }
  SUBCASE("an ack log that cannot be written") {
    const auto r = run_cli_args({"replay", "--to", to(server), "--ack-log", "/nonexistent/acks.log", good});
    CHECK(r.code == 1);
    CHECK(r.err == "radbridge replay: /nonexistent/acks.log: cannot write: No such file or directory\n");
  }
  CHECK(server.connections() == 0);
}

TEST_CASE("replay: usage errors exit 2") {
  const std::vector<std::vector<std::string>> cases = {
      {"replay", "x.hl7"},
      {"replay", "--to", "127.0.0.1", "x.hl7"},
      {"replay", "--to", "127.0.0.1:0", "x.hl7"},
      {"replay", "--to", "127.0.0.1:2575"},
      {"replay", "--to", "127.0.0.1:2575", "--connections", "0", "x.hl7"},
      {"replay", "--to", "127.0.0.1:2575", "--rate", "-1", "x.hl7"},
      {"replay", "--to", "127.0.0.1:2575", "--repeat", "two", "x.hl7"},
      {"replay", "--to", "127.0.0.1:2575", "--cert", "c.pem", "x.hl7"},
      {"replay", "--to", "127.0.0.1:2575", "--bogus", "x.hl7"},
      {"replay", "--to", "127.0.0.1:2575", "x.hl7", "--timeout-ms"},
  };
  for (const auto& args : cases) {
    const auto r = run_cli_args(args);
    CHECK(r.code == 2);
    CHECK(r.err.starts_with("radbridge replay: "));
    CHECK(r.err.find("usage: radbridge replay --to HOST:PORT") != std::string::npos);
    CHECK(r.out.empty());
  }
  const auto help = run_cli_args({"replay", "--help"});
  CHECK(help.code == 0);
  CHECK(help.out.starts_with("usage: radbridge replay"));
}
