// The fast path of store_inbound with the next group already on the wire:
// one libpq connection in pipeline mode (libpq 14 or later).
//
// `send` writes a group's plain multi-row INSERT (the statement
// store_inbound tries first: prepared, binary parameters) and a Sync, and
// returns without waiting for the server: each group is its own
// transaction, and the server runs the groups in the order they were sent,
// so it can start the next one the moment the previous commit is durable
// instead of waiting for the client to read that result and send more.
// `finished` reads what has arrived without blocking and returns the oldest
// group once its Sync came back, that is once its transaction is over:
//   stored    committed (synchronous_commit on); `ids` holds each row's id
//             in the order sent (checked through the control ids), or is
//             empty when the rows came back in another order;
//   rejected  an SQL error: nothing of the group was stored (a key already
//             there, a bad row...); the caller takes the group to
//             store_inbound, which sorts such groups out.
// A lost connection throws store_error: `in_doubt` when groups were in
// flight (their commits may have happened), `transient` when none was;
// the in-flight groups are forgotten and the next `send` reconnects.
// The connection is non-blocking: `send` never waits for the socket; when
// `flush` says output is left, wait until the socket is writable and call
// it again (`finished` flushes too). `connect` is the one call that blocks.
// libpq stays inside engine/store, as libpqxx does. One thread at a time
// (an object may move to another thread between calls).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "store/inbound_store.hpp"

namespace radbridge::store {

struct pipeline_outcome {
  bool stored = false;
  std::vector<std::int64_t> ids;  // stored: one per row, in order (empty if unordered)
  std::string sqlstate;           // rejected: why
};

class inbound_pipeline {
 public:
  explicit inbound_pipeline(std::string conninfo);
  ~inbound_pipeline();
  inbound_pipeline(const inbound_pipeline&) = delete;
  inbound_pipeline& operator=(const inbound_pipeline&) = delete;

  // Connects now (send connects when it has to); throws store_error (transient).
  void connect();
  // Throws store_error (transient) when it cannot connect or write.
  void send(std::span<const inbound_message> group);
  // Writes what the socket takes; false while output is left.
  bool flush();
  std::size_t in_flight() const noexcept { return sent_.size(); }
  int socket() const noexcept;  // to poll for readability; -1 when not connected
  std::optional<pipeline_outcome> finished();

 private:
  struct sent_group {
    std::vector<std::string> control_ids;
    std::string prepared_name;  // non-empty: this group also prepared the statement
    bool prepare_ok = false;
    std::vector<std::int64_t> ids;
    bool order_ok = true;
    std::string sqlstate;
  };
  struct connection;

  [[noreturn]] void lost(const std::string& what);
  // The oldest group's outcome from the results libpq already holds (no
  // read); `after_null`: the last result taken was a statement's end.
  std::optional<pipeline_outcome> take_held(bool& after_null);

  std::string conninfo_;
  std::unique_ptr<connection> conn_;
  std::set<std::string> prepared_;
  std::deque<sent_group> sent_;
  // send()'s parameter arrays, kept between calls (libpq copies them out).
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> binary_formats_;  // all 1
};

}  // namespace radbridge::store
