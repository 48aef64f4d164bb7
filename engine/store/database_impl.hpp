// Private to engine/store: the libpqxx side of `database`, and the error
// translation every store function runs its work through.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "store/database.hpp"
#include "store/store_error.hpp"

namespace radbridge::store {

struct database::impl {
  std::string conninfo;
  std::unique_ptr<pqxx::connection> conn;
  bool prepared = false;
  std::set<std::string> prepared_inserts;  // inbound_insert_* statements registered on conn

  pqxx::connection& get();  // connects (and prepares statements) when needed
  void drop() noexcept;     // forget a broken connection
};

// Runs `work` and translates any libpqxx or libpq failure into store_error;
// a failure that may have broken the connection drops it.
template <class F>
auto guarded(database::impl& db, F&& work) -> decltype(work(db.get()));

[[noreturn]] void rethrow_translated(database::impl& db);

// Stores a report's verdicts in the routing transaction (feedback_store.cpp).
struct report_feedback;
void record_report(pqxx::work& tx, std::int64_t inbound_id, const report_feedback& report);

// A nullable column's value.
template <class T>
std::optional<T> optional_of(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

// SQL giving a timestamptz column as ISO 8601 text in UTC with
// milliseconds ("2026-12-06T08:00:00.000Z"); NULL stays NULL.
inline std::string utc_text(std::string_view column) {
  return "to_char(" + std::string(column) + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

template <class F>
auto guarded(database::impl& db, F&& work) -> decltype(work(db.get())) {
  try {
    return work(db.get());
  } catch (...) {
    rethrow_translated(db);
  }
}

}  // namespace radbridge::store
