// `radbridge admin-token NAME ROLE`: a new random API token for the admin
// server. Prints the token (shown once: only its hash is kept) and the entry
// to add to admin.tokens_file. ROLE is viewer, operator or phi.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_admin_token(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
