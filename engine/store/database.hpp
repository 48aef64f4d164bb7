// A connection to radbridge's PostgreSQL database; libpqxx stays in here.
//
// One `database` is one connection, used by one thread at a time. Every
// call either succeeds or throws store_error (store_error.hpp); a transient
// failure leaves the object usable: the next call reconnects. `migrate`
// applies the embedded migrations (sql/) that schema_version does not list,
// each in its own transaction, under an advisory lock so that several
// engines starting together apply each migration once.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace radbridge::store {

class database {
 public:
  explicit database(std::string conninfo);
  ~database();
  database(database&&) noexcept;
  database& operator=(database&&) noexcept;

  // Connects now (a later call would otherwise connect lazily).
  void connect();

  // Applies pending migrations; returns the names of those applied.
  std::vector<std::string> migrate();
  // The highest migration version applied, 0 for an empty database.
  int schema_version();

  struct impl;
  impl& handle();  // for the other files of engine/store only

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace radbridge::store
