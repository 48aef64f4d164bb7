// The admin API's validation reports and drift monitors (api.hpp): the
// engine builds them (api_settings::validation_report); this reads the
// query and answers.
#include <memory>

#include <fmt/format.h>

#include "admin/api.hpp"
#include "admin/api_request.hpp"

namespace radbridge::admin {

namespace asio = net::asio;

asio::awaitable<response> api::validation_report(const request& req, report_request::kind what) {
  std::string problem;
  const bool drift = what == report_request::kind::drift;
  const auto q = query::parse(std::string_view(req.target().data(), req.target().size()),
                              drift ? std::vector<std::string_view>{"route"}
                                    : std::vector<std::string_view>{"route", "model", "since"},
                              problem);
  if (!q) co_return error_response(req, http::status::bad_request, problem);
  const std::optional<std::string> route = q->get("route");
  if (!route || route->empty()) co_return error_response(req, http::status::bad_request, "route is required");
  if (!settings_.validation_report) co_return error_response(req, http::status::not_found, "this engine runs no routes");
  const report_request asked{what, *route, q->get("model").value_or(""), q->get("since").value_or("")};
  auto answer = std::make_shared<report_answer>();
  const std::function<void(store::database&)> build = [answer, asked,
                                                       builder = settings_.validation_report](store::database& db) {
    *answer = builder(db, asked);
  };
  if (auto refused = co_await run(req, build)) co_return std::move(*refused);
  if (answer->what == report_answer::kind::no_route) {
    co_return error_response(req, http::status::not_found, answer->json);
  }
  if (answer->what == report_answer::kind::bad_since) {
    co_return error_response(req, http::status::bad_request, answer->json);
  }
  co_return json_response(req, http::status::ok, std::move(answer->json));
}

}  // namespace radbridge::admin
