// The FHIR test server (tests/support/fhir/fhir_server.mjs) on a port chosen
// beforehand, so a scenario can stop it and bring it back where the engine's
// destination points. Each start is a fresh server (its memory is its
// state): a scenario that restarts it reads every instance's state.
//
// Guarantees: as test::deliver::fhir_server (a peer that cannot start fails
// the test with its output); stop() is idempotent and start() after stop()
// listens on the same port again. Not provided: TLS.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "json/json_document.hpp"
#include "net/http_client.hpp"
#include "support/delivery_peers.hpp"
#include "support/process.hpp"

namespace radbridge::reliability {

class fhir_peer {
 public:
  explicit fhir_peer(std::uint16_t port) : port_(port) { start(); }

  void start() {
    if (child_) return;
    const std::filesystem::path dir = test::source_dir() / "tests/support/fhir";
    child_.emplace(
        test::deliver::start_peer({test::node_binary().string(), (dir / "fhir_server.mjs").string()},
                                  folder_.path(), "FHIR test server", port_)
            .first);
  }
  void stop() {
    if (child_) child_->stop(std::chrono::seconds(2));
    child_.reset();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/fhir"; }

  // GET /control/state of the running instance.
  json::value state() const {
    net::http_client client(net::parse_http_url("http://127.0.0.1:" + std::to_string(port_)), {});
    net::http_request request;
    request.method = "GET";
    request.target = "/control/state";
    const net::http_response response = client.send(request, 64 << 20);
    if (response.head.status != 200)
      throw std::runtime_error("FHIR /control/state: HTTP " + std::to_string(response.head.status));
    auto doc = json::parse_document(response.body);
    if (!doc) throw std::runtime_error("FHIR /control/state: not JSON");
    return doc.value();
  }

 private:
  std::uint16_t port_;
  test::temp_folder folder_{"radbridge-reliability-fhir"};
  std::optional<test::child_process> child_;
};

}  // namespace radbridge::reliability
