// The SQL migrations of sql/NNNN_name.sql, embedded in the binary in order.
//
// Forward only: a migration, once released, is never edited; a change is a
// new file with the next number. engine/store applies the ones the
// database's schema_version table does not list yet.
#pragma once

#include <span>
#include <string_view>

namespace radbridge::sql {

struct migration {
  int version;            // NNNN
  std::string_view name;  // "0001_inbound_messages"
  std::string_view sql;
};

std::span<const migration> migrations() noexcept;

}  // namespace radbridge::sql
