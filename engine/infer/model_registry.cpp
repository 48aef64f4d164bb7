#include "infer/model_registry.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/json_checker.hpp"
#include "core/sha256.hpp"
#include "json/json_document.hpp"

namespace radbridge::infer {

namespace {

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

void read_input(json_checker& c, const json::value& v, model_spec& m) {
  bool have_window = false, have_size = false;
  c.members(v, "\"input\"", {
      {"window", [&](const json::value& w) {
         have_window = true;
         bool center = false, width = false;
         c.members(w, "\"window\"", {
             {"center", [&](const json::value& x) { center = true; c.number(x, m.window_center, -4000, 4000); }},
             {"width", [&](const json::value& x) { width = true; c.number(x, m.window_width, 1, 8000); }},
         });
         if (w.is_object() && (!center || !width)) c.problem(w, "\"window\" needs \"center\" and \"width\"");
       }},
      {"size", [&](const json::value& x) {
         have_size = true;
         if (!x.is_array() || x.size() != 3) return c.problem(x, "\"size\" must be [D, H, W]");
         for (std::size_t i = 0; i < 3; ++i) c.count(x[i], m.size[i], 1, 1024);
       }},
      {"layout", [&](const json::value& x) {
         std::string layout;
         c.string(x, layout);
         if (!layout.empty() && layout != "NCDHW") c.problem(x, fmt::format("only \"NCDHW\" is supported, not \"{}\"", layout));
       }},
      {"channels", [&](const json::value& x) {
         std::size_t channels = 0;
         c.count(x, channels, 1, 1);
       }},
  });
  if (v.is_object() && (!have_window || !have_size)) c.problem(v, "\"input\" needs \"window\" and \"size\"");
}

void read_output(json_checker& c, const json::value& v, model_spec& m) {
  c.members(v, "\"output\"", {
      {"kind", [&](const json::value& x) {
         c.choice(x, m.kind, {{"probability", output_kind::probability}, {"segmentation", output_kind::segmentation}});
       }},
      {"label", [&](const json::value& x) { c.string(x, m.label); }},
      {"display", [&](const json::value& x) { c.string(x, m.display); }},
      {"unit", [&](const json::value& x) { c.string(x, m.unit); }},
      {"ucum", [&](const json::value& x) { c.string(x, m.unit); }},
  });
  if (!v.is_object()) return;
  if (v.find("kind") == nullptr || v.find("label") == nullptr) c.problem(v, "\"output\" needs \"kind\" and \"label\"");
  if (m.kind == output_kind::segmentation && m.unit != "mL") {
    c.problem(v, "a segmentation output reports a volume: its \"unit\" must be \"mL\"");
  }
}

model_spec read_model(json_checker& c, const json::value& v) {
  model_spec m;
  c.members(v, "a model", {
      {"id", [&](const json::value& x) { c.string(x, m.id); }},
      {"version", [&](const json::value& x) { c.string(x, m.version); }},
      {"file", [&](const json::value& x) { c.file(x, m.file); }},
      {"sha256", [&](const json::value& x) {
         c.string(x, m.sha256);
         if (!m.sha256.empty() && !is_sha256_hex(m.sha256)) c.problem(x, "\"sha256\" must be 64 lower-case hex digits");
       }},
      {"accepts", [&](const json::value& x) {
         c.members(x, "\"accepts\"", {
             {"modality", [&](const json::value& y) { c.string(y, m.modality); }},
             {"body_parts", [&](const json::value& y) { c.strings(y, m.body_parts); }},
         });
         if (x.is_object() && x.find("modality") == nullptr) c.problem(x, "\"accepts\" needs \"modality\"");
       }},
      {"input", [&](const json::value& x) { read_input(c, x, m); }},
      {"output", [&](const json::value& x) { read_output(c, x, m); }},
      {"threshold", [&](const json::value& x) { c.number(x, m.threshold, 0, 1); }},
  });
  for (std::string& part : m.body_parts) {
    std::transform(part.begin(), part.end(), part.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  }
  if (v.is_object()) {
    for (const char* key : {"id", "version", "file", "sha256", "accepts", "input", "output", "threshold"}) {
      if (v.find(key) == nullptr) c.problem(v, fmt::format("a model needs \"{}\"", key));
    }
  }
  return m;
}

}  // namespace

const model_spec* model_registry::find(std::string_view id) const noexcept {
  for (const model_spec& m : models) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

model_registry parse_registry(std::string_view text, std::string_view name, const std::string& base_dir) {
  const json::document_result doc = json::parse_document(text);
  if (!doc) throw registry_error(json::format_error(name, doc.error()));
  json_checker c(name, base_dir);
  model_registry registry;
  const json::value* models = nullptr;
  c.members(doc.value(), "the registry", {
      {"models", [&](const json::value& x) {
         models = &x;
         if (!x.is_array() || x.size() == 0) return c.problem(x, "\"models\" must be a non-empty array");
         std::set<std::string> ids;
         for (const json::value& e : x.elements()) {
           model_spec m = read_model(c, e);
           if (!m.id.empty() && !ids.insert(m.id).second) c.problem(e, fmt::format("model id \"{}\" is used twice", m.id));
           registry.models.push_back(std::move(m));
         }
       }},
  });
  if (doc.value().is_object() && models == nullptr) c.problem(doc.value(), "the registry needs \"models\"");
  if (!c.ok()) throw registry_error(c.report());
  return registry;
}

model_registry load_registry(const std::string& path) {
  std::string problem;
  const std::optional<std::string> text = read_text_file(path, problem);
  if (!text) throw registry_error(problem);
  const std::string base = std::filesystem::absolute(path).parent_path().string();
  return parse_registry(*text, path, base);
}

std::optional<model_file> read_model_file(const model_spec& spec) {
  std::ifstream in(spec.file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  model_file f{std::move(bytes).str(), {}};
  f.sha256 = sha256_hex(f.bytes);
  return f;
}

}  // namespace radbridge::infer
