#include "store/inbound_pipeline.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "store/statements.hpp"
#include "store/store_error.hpp"

namespace radbridge::store {

struct inbound_pipeline::connection {
  PGconn* pg = nullptr;
  ~connection() { PQfinish(pg); }
};

namespace {

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

std::string connection_message(PGconn* pg) {
  std::string text = pg != nullptr ? PQerrorMessage(pg) : "out of memory";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

inbound_pipeline::inbound_pipeline(std::string conninfo) : conninfo_(std::move(conninfo)) {}
inbound_pipeline::~inbound_pipeline() = default;

int inbound_pipeline::socket() const noexcept { return conn_ ? PQsocket(conn_->pg) : -1; }

void inbound_pipeline::connect() {
  auto c = std::make_unique<connection>();
  c->pg = PQconnectdb(conninfo_.c_str());
  if (c->pg == nullptr || PQstatus(c->pg) != CONNECTION_OK) {
    throw store_error(failure::transient, fmt::format("database connection failed: {}", connection_message(c->pg)));
  }
  if (PQsetnonblocking(c->pg, 1) != 0 || PQenterPipelineMode(c->pg) != 1) {
    throw store_error(failure::transient, fmt::format("database pipeline mode: {}", connection_message(c->pg)));
  }
  conn_ = std::move(c);
  prepared_.clear();
}

void inbound_pipeline::lost(const std::string& what) {
  const bool doubt = !sent_.empty();
  const std::string reason = conn_ ? connection_message(conn_->pg) : std::string();
  conn_.reset();
  sent_.clear();
  throw store_error(doubt ? failure::in_doubt : failure::transient,
                    fmt::format("database connection lost ({}): {}", what, reason));
}

void inbound_pipeline::send(std::span<const inbound_message> group) {
  if (!conn_) connect();
  PGconn* pg = conn_->pg;
  sent_group g;
  const std::string name = inbound_insert_name(group.size(), insert_conflicts::fail);
  const int columns = static_cast<int>(inbound_insert_columns);
  const int parameters = static_cast<int>(group.size()) * columns;
  if (prepared_.insert(name).second) {
    const std::string sql = inbound_insert_sql(group.size(), insert_conflicts::fail);
    if (PQsendPrepare(pg, name.c_str(), sql.c_str(), parameters, nullptr) != 1) lost("prepare");
    g.prepared_name = name;
  }
  values_.clear();
  lengths_.clear();
  for (const inbound_message& m : group) {
    for (const std::string* column : inbound_insert_values(m)) {
      values_.push_back(column->data());
      lengths_.push_back(static_cast<int>(column->size()));
    }
    g.control_ids.push_back(m.control_id);
  }
  binary_formats_.resize(std::max(binary_formats_.size(), values_.size()), 1);
  if (PQsendQueryPrepared(pg, name.c_str(), parameters, values_.data(), lengths_.data(), binary_formats_.data(), 0) !=
      1) {
    lost("send");
  }
  // The Sync ends the group's transaction and flushes it to the server.
  if (PQpipelineSync(pg) != 1) lost("sync");
  sent_.push_back(std::move(g));
}

bool inbound_pipeline::flush() {
  if (!conn_) return true;
  const int left = PQflush(conn_->pg);
  if (left < 0) lost("send");
  return left == 0;
}

std::optional<pipeline_outcome> inbound_pipeline::finished() {
  if (!conn_ || sent_.empty()) return std::nullopt;
  // First what libpq already holds (a read often brings several groups'
  // results), then one read from the socket.
  bool after_null = false;
  if (auto out = take_held(after_null)) return out;
  if (PQconsumeInput(conn_->pg) != 1) lost("receive");
  if (auto out = take_held(after_null)) return out;
  if (PQstatus(conn_->pg) != CONNECTION_OK) lost("receive");
  return std::nullopt;
}

std::optional<pipeline_outcome> inbound_pipeline::take_held(bool& after_null) {
  PGconn* pg = conn_->pg;
  // Results of the oldest group, in order: the PREPARE's (when it carried
  // one), the INSERT's, each followed by a null, then the Sync's.
  while (PQisBusy(pg) == 0) {
    result_ptr r(PQgetResult(pg));
    if (!r) {  // the end of one statement's results
      if (after_null) break;
      after_null = true;
      continue;
    }
    after_null = false;
    sent_group& g = sent_.front();
    switch (PQresultStatus(r.get())) {
      case PGRES_COMMAND_OK:
        g.prepare_ok = true;
        break;
      case PGRES_TUPLES_OK:
        for (int i = 0; i < PQntuples(r.get()); ++i) {
          const auto row = static_cast<std::size_t>(i);
          const std::string_view control(PQgetvalue(r.get(), i, 1), static_cast<std::size_t>(PQgetlength(r.get(), i, 1)));
          if (row >= g.control_ids.size() || control != g.control_ids[row]) g.order_ok = false;
          g.ids.push_back(std::strtoll(PQgetvalue(r.get(), i, 0), nullptr, 10));
        }
        break;
      case PGRES_PIPELINE_ABORTED:
        break;  // skipped after an earlier error in this group
      case PGRES_PIPELINE_SYNC: {
        pipeline_outcome out;
        out.stored = g.sqlstate.empty();
        if (out.stored && g.order_ok && g.ids.size() == g.control_ids.size()) out.ids = std::move(g.ids);
        out.sqlstate = std::move(g.sqlstate);
        if (!g.prepared_name.empty() && !g.prepare_ok) prepared_.erase(g.prepared_name);
        sent_.pop_front();
        return out;
      }
      default: {
        // FATAL and PANIC end the session: the server closes the connection.
        const char* severity = PQresultErrorField(r.get(), PG_DIAG_SEVERITY_NONLOCALIZED);
        const std::string_view level = severity != nullptr ? severity : "";
        if (PQstatus(pg) != CONNECTION_OK || level == "FATAL" || level == "PANIC") lost("result");
        const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
        if (g.sqlstate.empty()) g.sqlstate = state != nullptr ? state : "XX000";
        break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace radbridge::store
