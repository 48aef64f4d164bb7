#include "cli/status_command.hpp"

#include <optional>
#include <ostream>
#include <string>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "core/host_port.hpp"
#include "json/json_document.hpp"
#include "net/http_client.hpp"
#include "net/http_error.hpp"

namespace radbridge::cli {

namespace {

constexpr std::string_view status_usage = "usage: radbridge status [--admin HOST:PORT]   (default 127.0.0.1:8410)\n";

std::string text_of(const json::value* v) { return v != nullptr && v->is_string() ? v->as_string() : ""; }
std::string number_of(const json::value* v) {
  return v != nullptr && v->is_number() ? fmt::format("{}", v->as_number()) : "?";
}

}  // namespace

int run_status(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::string address = "127.0.0.1:8410";
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      out << status_usage;
      return exit_ok;
    }
    if (args[i] == "--admin" && i + 1 < args.size() && parse_host_port(args[i + 1])) {
      address = std::string(args[++i]);
    } else {
      err << status_usage;
      return exit_usage;
    }
  }
  net::http_response answer;
  try {
    net::http_client_options options;
    options.connect_timeout = std::chrono::seconds(5);
    options.request_timeout = std::chrono::seconds(15);
    const net::http_client client(net::parse_http_url("http://" + address), options);
    net::http_request request;
    request.target = "/readyz";
    answer = client.send(request, 1 << 20);
  } catch (const net::http_error& e) {
    err << "radbridge status: no answer from the admin server at " << address << ": " << e.what() << '\n';
    return exit_failure;
  }
  const json::document_result doc = json::parse_document(answer.body);
  if (!doc || !doc.value().is_object() || (answer.head.status != 200 && answer.head.status != 503)) {
    err << "radbridge status: " << address << " answered " << answer.head.status << ", not a readiness report\n";
    return exit_failure;
  }
  const json::value& r = doc.value();
  const bool ready = text_of(r.find("status")) == "ready";
  out << "engine at " << address << ": " << (ready ? "ready" : "NOT READY") << '\n';
  const json::value* checks = r.find("checks");
  if (const json::value* db = checks != nullptr ? checks->find("database") : nullptr; db != nullptr) {
    const bool ok = db->find("ok") != nullptr && db->find("ok")->as_bool();
    out << "  database: " << (ok ? "ok" : "FAILING");
    if (db->find("schema_version") != nullptr) out << ", schema " << number_of(db->find("schema_version"));
    if (!ok) out << " (" << text_of(db->find("error")) << ")";
    out << '\n';
  }
  if (const json::value* models = checks != nullptr ? checks->find("models") : nullptr; models != nullptr) {
    for (const json::value& m : models->find("models")->elements()) {
      const bool verified = m.find("verified") != nullptr && m.find("verified")->as_bool();
      out << "  model " << text_of(m.find("id")) << ' ' << text_of(m.find("version")) << ": "
          << (verified ? "verified" : "NOT VERIFIED (" + text_of(m.find("error")) + ")") << '\n';
    }
  }
  if (const json::value* destinations = r.find("destinations"); destinations != nullptr) {
    for (const json::value& d : destinations->elements()) {
      out << "  destination " << text_of(d.find("name"));
      if (d.find("pending") != nullptr) {
        out << ": " << number_of(d.find("pending")) << " pending (oldest " << number_of(d.find("oldest_pending_seconds"))
            << " s), " << number_of(d.find("dead_letters")) << " dead letters";
      }
      out << '\n';
    }
  }
  return ready ? exit_ok : exit_failure;
}

}  // namespace radbridge::cli
