#include "deliver/mllp_sender.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "deliver/text.hpp"
#include "hl7/message.hpp"
#include "hl7/peek.hpp"
#include "hl7/split.hpp"
#include "net/asio.hpp"
#include "net/mllp_client.hpp"
#include "net/tls.hpp"

namespace radbridge::deliver {

namespace {

namespace asio = net::asio;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

attempt_outcome outcome_of(attempt_result r, std::string detail, std::string response = {}) {
  return {r, std::move(detail), std::move(response)};
}

// What the time left before `deadline` allows one operation: at least 1 ms,
// rounded up, so an operation always gets a chance and a deadline is never 0.
milliseconds remaining(clock_type::time_point deadline) {
  const auto left = std::chrono::ceil<milliseconds>(deadline - clock_type::now());
  return std::max(left, milliseconds{1});
}

std::string_view without_prefix(std::string_view what) {
  constexpr std::string_view prefix = "MLLP: ";
  return what.starts_with(prefix) ? what.substr(prefix.size()) : what;
}

// The ACK's verdict. `peer` is "host:port".
attempt_outcome classify_ack(std::string ack, std::string_view identity, std::string_view peer, bool& out_of_step) {
  out_of_step = false;
  auto parsed = hl7::message::parse(std::string_view(ack));
  if (!parsed) {
    return outcome_of(attempt_result::retry,
                      fmt::format("MLLP {}: the answer is not an HL7 message: {}", peer, parsed.error().to_string()),
                      std::move(ack));
  }
  const auto msa = parsed->find("MSA");
  if (!msa) {
    return outcome_of(attempt_result::retry, fmt::format("MLLP {}: the answer has no MSA segment", peer),
                      std::move(ack));
  }
  const std::string_view code = hl7::nth_piece(msa->field(1), parsed->delimiters().component, 1).value_or("");
  const std::string_view acked = msa->field(2);
  if (acked != identity) {
    out_of_step = true;
    return outcome_of(attempt_result::retry,
                      fmt::format("MLLP {}: ACK for another message: MSA-2 is '{}', sent '{}'", peer,
                                  printable(acked), printable(identity)),
                      std::move(ack));
  }
  struct verdict {
    std::string_view code;
    attempt_result result;
    std::string_view meaning;
  };
  static constexpr verdict verdicts[] = {
      {"AA", attempt_result::sent, ""},
      {"CA", attempt_result::sent, ""},
      {"AE", attempt_result::rejected, " (application error)"},
      {"CE", attempt_result::rejected, " (commit error)"},
      {"AR", attempt_result::retry, " (application reject)"},
      {"CR", attempt_result::retry, " (commit reject)"},
  };
  for (const verdict& v : verdicts) {
    if (code == v.code) return outcome_of(v.result, fmt::format("MLLP {}: ACK {}{}", peer, v.code, v.meaning), std::move(ack));
  }
  return outcome_of(attempt_result::retry,
                    fmt::format("MLLP {}: ACK code '{}' is not one of AA, AE, AR, CA, CE, CR", peer, printable(code)),
                    std::move(ack));
}

}  // namespace

// Members in dependency order: the client runs on io and uses tls, so it is
// destroyed first.
struct mllp_sender::state {
  mllp_sender_options options;
  std::string peer;  // "host:port", for details
  asio::io_context io{1};
  std::optional<asio::ssl::context> tls;
  net::mllp_client client{io.get_executor()};

  explicit state(mllp_sender_options o) : options(std::move(o)) {}

  asio::awaitable<void> attempt(const outbound_item& item, attempt_outcome& out) {
    const auto deadline = clock_type::now() + options.timeout;
    bool reused = client.is_open();
    asio::ssl::context* context = tls ? &*tls : nullptr;
    for (;;) {
      std::optional<net::mllp_error> failure;
      std::string ack;
      try {
        if (!client.is_open()) {
          // A fresh attempt connects with the whole timeout (so a connect
          // timeout names it); a reconnect gets what is left.
          co_await client.connect(options.host, options.port, context,
                                  reused ? remaining(deadline) : options.timeout);
        }
        ack = co_await client.exchange(item.payload, remaining(deadline));
      } catch (const net::mllp_error& e) {
        failure = e;
      }
      if (!failure) {
        bool out_of_step = false;
        out = classify_ack(std::move(ack), item.identity, peer, out_of_step);
        if (out_of_step) client.close();
        co_return;
      }
      const net::mllp_errc code = failure->code();
      const bool stale = reused && (code == net::mllp_errc::closed_by_peer || code == net::mllp_errc::io_error);
      if (stale && clock_type::now() < deadline) {
        reused = false;  // the kept connection was dead: one fresh connection, same message
        continue;
      }
      if (code == net::mllp_errc::connect_failed || code == net::mllp_errc::tls_handshake_failed) {
        out = outcome_of(attempt_result::retry, failure->what());
      } else if (code == net::mllp_errc::timeout) {
        out = outcome_of(attempt_result::retry,
                         fmt::format("MLLP {}: no ACK within {} ms", peer, options.timeout.count()));
      } else {
        out = outcome_of(attempt_result::retry, fmt::format("MLLP {}: {}", peer, without_prefix(failure->what())));
      }
      co_return;
    }
  }
};

mllp_sender::mllp_sender(mllp_sender_options options) {
  if (options.host.empty()) throw std::invalid_argument("MLLP sender: no host");
  if (options.port == 0) throw std::invalid_argument("MLLP sender: port 0");
  if (options.timeout.count() <= 0) throw std::invalid_argument("MLLP sender: the timeout must be positive");
  state_ = std::make_unique<state>(std::move(options));
  const std::string& host = state_->options.host;
  state_->peer = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, state_->options.port)
                                                     : fmt::format("{}:{}", host, state_->options.port);
  if (!state_->options.tls && (!state_->options.cert_file.empty() || !state_->options.key_file.empty()))
    throw std::invalid_argument("MLLP sender: a client certificate needs TLS");
  if (state_->options.tls) {
    net::tls_options tls;
    tls.ca_file = state_->options.ca_file;
    tls.cert_file = state_->options.cert_file;
    tls.key_file = state_->options.key_file;
    tls.server_name = host;
    state_->tls.emplace(net::make_client_context(tls));
  }
}

mllp_sender::~mllp_sender() = default;

attempt_outcome mllp_sender::send(const outbound_item& item) {
  state& st = *state_;
  const hl7::msh_peek head = hl7::peek_msh(item.payload);
  if (!head.found) {
    return outcome_of(attempt_result::rejected, fmt::format("MLLP {}: the payload has no MSH segment", st.peer));
  }
  if (head.control_id() != item.identity) {
    return outcome_of(attempt_result::rejected,
                      fmt::format("MLLP {}: the payload's MSH-10 '{}' is not the item's identity '{}'", st.peer,
                                  printable(head.control_id()), printable(item.identity)));
  }

  attempt_outcome out;
  std::exception_ptr crashed;
  st.io.restart();
  asio::co_spawn(st.io, st.attempt(item, out), [&crashed](std::exception_ptr e) { crashed = std::move(e); });
  try {
    st.io.run();
  } catch (...) {
    crashed = std::current_exception();
  }
  if (crashed) {
    // Not the network's doing (e.g. out of memory): the connection's state
    // is unknown, so it goes, and the lane tries again later.
    st.client.close();
    std::string why = "unknown error";
    try {
      std::rethrow_exception(crashed);
    } catch (const std::exception& e) {
      why = e.what();
    } catch (...) {
    }
    return outcome_of(attempt_result::retry, fmt::format("MLLP {}: {}", st.peer, why));
  }
  return out;
}

}  // namespace radbridge::deliver
