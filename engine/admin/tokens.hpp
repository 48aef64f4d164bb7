// Who may use the admin API: bearer tokens from `admin.tokens_file`, stored
// as SHA-256 hashes only, each with a name (written to the admin audit) and
// a role. Roles are a ladder: viewer (counts, states, identifiers of rows,
// validation reports), reviewer (and agree or disagree with a finding: a
// radiologist), operator (and requeue, discard, pause and resume, rollout
// modes), phi (and message bodies and patient identifiers).
//
//   {"tokens": [{"name": "night-operator", "role": "operator",
//                "sha256": "<64 lower-case hex digits of SHA-256(token)>"}]}
//
// `load_tokens` reports every problem as `file:line:col: reason` (unknown
// keys, a bad role or hash, a name or hash used twice). `new_token` makes a
// random token (32 bytes from the OS, hex) for `radbridge admin-token`.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace radbridge::admin {

enum class role { viewer, reviewer, operator_, phi };

std::string_view to_string(role r) noexcept;
bool allows(role held, role needed) noexcept;

struct token_entry {
  std::string name;
  role grants = role::viewer;
  std::string sha256;  // lower-case hex
};

class token_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<token_entry> load_tokens(const std::string& path);
std::vector<token_entry> parse_tokens(std::string_view text, std::string_view name);

// The entry whose hash is SHA-256(token), compared in constant time.
std::optional<token_entry> find_token(const std::vector<token_entry>& tokens, std::string_view token);

std::string new_token();

}  // namespace radbridge::admin
