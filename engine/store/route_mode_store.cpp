#include "store/route_mode_store.hpp"

#include "store/database_impl.hpp"

namespace radbridge::store {

namespace {

std::string columns() { return "id, route, mode, changed_by, " + utc_text("changed_at") + ", reason"; }

route_mode_change change_of(const pqxx::row& r) {
  // The CHECK constraint allows only the three spellings.
  return {r[0].as<std::int64_t>(), r[1].c_str(),
          work::parse_rollout_mode(r[2].c_str()).value_or(work::rollout_mode::silent), r[3].c_str(), r[4].c_str(),
          r[5].c_str()};
}

}  // namespace

route_mode_change set_route_mode(database& db, std::string_view route, work::rollout_mode mode, std::string_view who,
                                 std::string_view reason) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::row r = tx.exec_params1(
        "INSERT INTO route_mode_changes (route, mode, changed_by, reason) VALUES ($1, $2, $3, $4) RETURNING " +
            columns(),
        std::string(route), std::string(work::to_string(mode)), std::string(who), std::string(reason));
    tx.commit();
    return change_of(r);
  });
}

std::map<std::string, route_mode_change> current_route_modes(database& db) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    std::map<std::string, route_mode_change> out;
    for (const pqxx::row& r :
         tx.exec("SELECT DISTINCT ON (route) " + columns() + " FROM route_mode_changes ORDER BY route, id DESC")) {
      route_mode_change change = change_of(r);
      out.emplace(change.route, std::move(change));
    }
    return out;
  });
}

std::vector<route_mode_change> route_mode_history(database& db, std::string_view route, std::size_t limit) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    std::vector<route_mode_change> out;
    for (const pqxx::row& r : tx.exec_params("SELECT " + columns() +
                                                 " FROM route_mode_changes WHERE route = $1 ORDER BY id DESC LIMIT $2",
                                             std::string(route), static_cast<long>(limit))) {
      out.push_back(change_of(r));
    }
    return out;
  });
}

}  // namespace radbridge::store
