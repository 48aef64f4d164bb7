// The admin API, JSON under /api/v1, for operators and the console.
//
// Every request needs `Authorization: Bearer TOKEN` with a token of
// admin.tokens_file (tokens.hpp), checked from the header alone, before the
// body is read or anything of the request is parsed: none or an unknown one
// is 401, a role below the endpoint's 403.
//
//   GET  /api/v1/messages            viewer: newest first; filters control_id,
//        interface, type (ADT or ADT^A01), ack, status, since, until (ISO
//        8601), before_id (paging), limit (1-200, default 50)
//   GET  /api/v1/messages/{id}       viewer: the message's header fields,
//        status, ACK code and jobs; phi adds the HL7 text, its parsed tree and
//        the ACK sent, and writes an admin_audit row (read_message)
//   GET  /api/v1/dead-letters        viewer: oldest first; destination, limit
//   POST /api/v1/dead-letters/{id}/requeue   operator: back on its lane
//   POST /api/v1/dead-letters/{id}/discard   operator: body {"reason": TEXT},
//        never sent; both write an admin_audit row
//
// Errors are {"error": TEXT} with 400 (a bad parameter, named), 404, 405,
// 503 (the database did not answer). Responses never carry a token.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "admin/database_thread.hpp"
#include "admin/http_server.hpp"
#include "admin/tokens.hpp"

namespace radbridge::admin {

class api {
 public:
  api(database_thread& db, std::vector<token_entry> tokens, std::chrono::milliseconds timeout);

  // For http_server's header check: a refusal for /api/ paths, else nothing.
  std::optional<response> check(const request_header& header) const;
  // A request to /api/ that passed `check`.
  net::asio::awaitable<response> answer(const request& req, const std::string& client);

 private:
  net::asio::awaitable<response> list_messages(const request& req);
  net::asio::awaitable<response> one_message(const request& req, std::int64_t id, const token_entry& who,
                                             const std::string& client);
  net::asio::awaitable<response> list_dead_letters(const request& req);
  net::asio::awaitable<response> act_on_dead_letter(const request& req, std::int64_t id, bool requeue,
                                                    const token_entry& who, const std::string& client);
  std::optional<token_entry> bearer(const request_header& header) const;

  database_thread& db_;
  const std::vector<token_entry> tokens_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace radbridge::admin
