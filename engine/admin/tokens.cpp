#include "admin/tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <set>

#include <fmt/format.h>

#include "core/json_checker.hpp"
#include "core/sha256.hpp"
#include "json/json_document.hpp"

namespace radbridge::admin {

std::string_view to_string(role r) noexcept {
  switch (r) {
    case role::viewer: return "viewer";
    case role::reviewer: return "reviewer";
    case role::operator_: return "operator";
    case role::phi: return "phi";
  }
  return "viewer";
}

bool allows(role held, role needed) noexcept { return static_cast<int>(held) >= static_cast<int>(needed); }

std::vector<token_entry> parse_tokens(std::string_view text, std::string_view name) {
  const json::document_result doc = json::parse_document(text);
  if (!doc) throw token_error(json::format_error(name, doc.error()));
  json_checker c(name, ".");
  std::vector<token_entry> tokens;
  std::set<std::string> names, hashes;
  c.members(doc.value(), "the tokens file", {{"tokens", [&](const json::value& list) {
    if (!list.is_array()) return c.problem(list, fmt::format("expected an array, not {}", list.kind_name()));
    for (const json::value& e : list.elements()) {
      token_entry t;
      c.members(e, "a token", {
          {"name", [&](const json::value& x) {
             c.string(x, t.name);
             if (!t.name.empty() && !names.insert(t.name).second) c.problem(x, fmt::format("the name \"{}\" is used twice", t.name));
           }},
          {"role", [&](const json::value& x) {
             c.choice(x, t.grants, {{"viewer", role::viewer}, {"reviewer", role::reviewer}, {"operator", role::operator_}, {"phi", role::phi}});
           }},
          {"sha256", [&](const json::value& x) {
             c.string(x, t.sha256);
             const bool hex = t.sha256.size() == 64 && t.sha256.find_first_not_of("0123456789abcdef") == std::string::npos;
             if (!hex) return c.problem(x, "expected the token's SHA-256 as 64 lower-case hex digits");
             if (!hashes.insert(t.sha256).second) c.problem(x, "this hash is listed twice");
           }},
      });
      for (std::string_view key : {"name", "role", "sha256"}) {
        if (e.is_object() && e.find(key) == nullptr) c.problem(e, fmt::format("a token needs \"{}\"", key));
      }
      tokens.push_back(std::move(t));
    }
  }}});
  if (doc.value().is_object() && doc.value().find("tokens") == nullptr) {
    c.problem(doc.value(), "the tokens file needs \"tokens\"");
  }
  if (!c.ok()) throw token_error(c.report());
  return tokens;
}

std::vector<token_entry> load_tokens(const std::string& path) {
  std::string problem;
  const std::optional<std::string> text = read_text_file(path, problem);
  if (!text) throw token_error(problem);
  return parse_tokens(*text, path);
}

std::optional<token_entry> find_token(const std::vector<token_entry>& tokens, std::string_view token) {
  const std::string hash = sha256_hex(token);
  std::optional<token_entry> found;
  for (const token_entry& t : tokens) {
    // Every entry is compared, in constant time, so timing tells nothing.
    if (CRYPTO_memcmp(t.sha256.data(), hash.data(), hash.size()) == 0 && t.sha256.size() == hash.size()) found = t;
  }
  return found;
}

std::string new_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("the OS gave no random bytes");
  return to_hex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace radbridge::admin
