// The one exception that leaves engine/store, saying whether to retry.
//
// libpqxx errors are translated at this boundary (DESIGN.md):
//   transient  the operation did not happen and may succeed later (connection
//              lost, server shutting down, serialization failure, deadlock);
//              retry with backoff;
//   permanent  retrying the same thing will fail the same way (constraint,
//              syntax, data errors); dead-letter it;
//   in_doubt   the commit may or may not have happened (connection lost during
//              COMMIT); resolve by the idempotency key, never assume.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace radbridge::store {

enum class failure { transient, permanent, in_doubt };

std::string_view to_string(failure f) noexcept;

class store_error : public std::runtime_error {
 public:
  store_error(failure kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  failure kind() const noexcept { return kind_; }

 private:
  failure kind_;
};

}  // namespace radbridge::store
