#include "store/database.hpp"

#include <fmt/format.h>

#include "migrations.hpp"
#include "store/database_impl.hpp"
#include "store/statements.hpp"

namespace radbridge::store {

std::string_view to_string(failure f) noexcept {
  switch (f) {
    case failure::transient: return "transient";
    case failure::permanent: return "permanent";
    case failure::in_doubt: return "in_doubt";
  }
  return "permanent";
}

pqxx::connection& database::impl::get() {
  if (!conn || !conn->is_open()) {
    conn.reset();
    conn = std::make_unique<pqxx::connection>(conninfo);
    prepared = false;
    prepared_inserts.clear();
  }
  if (!prepared) {
    prepare_statements(*conn);
    prepared = true;
  }
  return *conn;
}

void database::impl::drop() noexcept {
  conn.reset();
  prepared = false;
  prepared_inserts.clear();
}

namespace {

// SQLSTATE classes that say "nothing happened, try again later".
bool transient_state(const std::string& state) {
  const std::string cls = state.substr(0, 2);
  return cls == "08" || cls == "40" || cls == "53" || cls == "57" || cls == "58" || state == "55P03";
}

}  // namespace

void rethrow_translated(database::impl& db) {
  try {
    throw;
  } catch (const store_error&) {
    throw;
  } catch (const pqxx::in_doubt_error& e) {
    db.drop();
    throw store_error(failure::in_doubt, fmt::format("database commit in doubt: {}", e.what()));
  } catch (const pqxx::broken_connection& e) {
    db.drop();
    throw store_error(failure::transient, fmt::format("database connection lost: {}", e.what()));
  } catch (const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    if (transient_state(state)) {
      if (state.starts_with("08") || state.starts_with("57")) db.drop();
      throw store_error(failure::transient, fmt::format("database error {} (retry): {}", state, e.what()));
    }
    throw store_error(failure::permanent, fmt::format("database error {}: {}", state, e.what()));
  } catch (const pqxx::failure& e) {
    // libpq-level failures outside a statement: treat the connection as gone.
    db.drop();
    throw store_error(failure::transient, fmt::format("database failure: {}", e.what()));
  }
}

database::database(std::string conninfo) : impl_(std::make_unique<impl>()) { impl_->conninfo = std::move(conninfo); }
database::~database() = default;
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;

database::impl& database::handle() { return *impl_; }

void database::connect() {
  guarded(*impl_, [](pqxx::connection&) { return 0; });
}

int database::schema_version() {
  return guarded(*impl_, [](pqxx::connection& c) {
    pqxx::work tx(c);
    const auto exists = tx.exec1("SELECT to_regclass('schema_version') IS NOT NULL")[0].as<bool>();
    if (!exists) return 0;
    return tx.exec1("SELECT coalesce(max(version), 0) FROM schema_version")[0].as<int>();
  });
}

std::vector<std::string> database::migrate() {
  return guarded(*impl_, [](pqxx::connection& c) {
    std::vector<std::string> applied;
    // A session-level advisory lock serialises concurrent migrators; the
    // number is arbitrary but fixed ("radb").
    pqxx::nontransaction lock(c);
    lock.exec("SELECT pg_advisory_lock(1919181410)");
    lock.commit();
    try {
      {
        pqxx::work tx(c);
        tx.exec(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version integer PRIMARY KEY,"
            " name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())");
        tx.commit();
      }
      for (const sql::migration& m : sql::migrations()) {
        pqxx::work tx(c);
        if (!tx.exec_params("SELECT 1 FROM schema_version WHERE version = $1", m.version).empty()) continue;
        tx.exec(std::string(m.sql));
        tx.exec_params("INSERT INTO schema_version (version, name) VALUES ($1, $2)", m.version, std::string(m.name));
        tx.commit();
        applied.emplace_back(m.name);
      }
    } catch (...) {
      try {
        pqxx::nontransaction unlock(c);
        unlock.exec("SELECT pg_advisory_unlock(1919181410)");
      } catch (...) {
      }
      throw;
    }
    pqxx::nontransaction unlock(c);
    unlock.exec("SELECT pg_advisory_unlock(1919181410)");
    return applied;
  });
}

}  // namespace radbridge::store
