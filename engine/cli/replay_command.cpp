#include "cli/replay_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "core/host_port.hpp"
#include "hl7/batch.hpp"
#include "hl7/message.hpp"
#include "hl7/peek.hpp"
#include "hl7/split.hpp"
#include "net/mllp_client.hpp"
#include "net/tls.hpp"

namespace radbridge::cli {

namespace {

namespace fs = std::filesystem;
namespace asio = net::asio;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view replay_usage =
    "usage: radbridge replay --to HOST:PORT [options] PATH...\n"
    "  PATH                files or folders (recursive, sorted); one message, several\n"
    "                      messages, or a batch (FHS/BHS) per file\n"
    "  --to HOST:PORT      where to send (MLLP)\n"
    "  --tls               use TLS 1.2/1.3 (implied by --ca, --cert, --key)\n"
    "  --ca FILE           CA bundle to verify the server (default: system CAs)\n"
    "  --cert FILE --key FILE\n"
    "                      client certificate and key, for servers that require one\n"
    "  --server-name NAME  name the server certificate must carry (default: HOST)\n"
    "  --connections N     parallel connections (default 1)\n"
    "  --rate R            at most R messages per second in total\n"
    "  --repeat K          send everything K times, same bytes and MSH-10 (default 1)\n"
    "  --unique            with --repeat: repeat k>1 sends MSH-10 as ID-k\n"
    "  --timeout-ms MS     wait at most MS for each ACK and each connect (default 10000)\n"
    "  --give-up-s S       stop reconnecting a connection after S s without success (default 60)\n"
    "  --ack-log FILE      one line per message: CONTROL_ID CODE LATENCY_MS\n"
    "exit: 0 all messages got AA or CA, 1 otherwise or bad input, 2 bad usage\n";

// ---------------------------------------------------------------- options

struct options {
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;
  net::tls_options tls_options;
  std::size_t connections = 1;
  double rate = 0;  // 0: unlimited
  std::size_t repeat = 1;
  bool unique = false;
  milliseconds timeout{10'000};
  double give_up_s = 60;
  std::string ack_log;
  std::vector<std::string_view> paths;
};

template <class T>
bool parse_number(std::string_view text, T& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

// A server to connect to: HOST:PORT with a real port (not 0).
bool parse_endpoint(std::string_view text, options& opt) {
  const auto address = parse_host_port(text);
  if (!address || address->port == 0) return false;
  opt.host = address->host;
  opt.port = address->port;
  return true;
}

// Parses the arguments; returns a message for a usage error.
std::optional<std::string> parse_options(std::span<const std::string_view> args, options& opt, bool& help) {
  bool have_to = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&](std::string_view& v) {
      if (i + 1 == args.size()) return false;
      v = args[++i];
      return true;
    };
    std::string_view v;
    if (a == "--help" || a == "-h") {
      help = true;
      return std::nullopt;
    } else if (a == "--tls") {
      opt.tls = true;
    } else if (a == "--unique") {
      opt.unique = true;
    } else if (a == "--to" || a == "--ca" || a == "--cert" || a == "--key" || a == "--server-name" ||
               a == "--connections" || a == "--rate" || a == "--repeat" || a == "--timeout-ms" || a == "--give-up-s" ||
               a == "--ack-log") {
      if (!value(v)) return fmt::format("{} needs a value", a);
      if (a == "--to") {
        if (!parse_endpoint(v, opt)) return fmt::format("--to wants HOST:PORT, not '{}'", v);
        have_to = true;
      } else if (a == "--ca") {
        opt.tls = true;
        opt.tls_options.ca_file = std::string(v);
      } else if (a == "--cert") {
        opt.tls = true;
        opt.tls_options.cert_file = std::string(v);
      } else if (a == "--key") {
        opt.tls = true;
        opt.tls_options.key_file = std::string(v);
      } else if (a == "--server-name") {
        opt.tls_options.server_name = std::string(v);
      } else if (a == "--connections") {
        if (!parse_number(v, opt.connections) || opt.connections == 0 || opt.connections > 1024) {
          return fmt::format("--connections wants a number from 1 to 1024, not '{}'", v);
        }
      } else if (a == "--rate") {
        if (!parse_number(v, opt.rate) || !(opt.rate > 0) || !std::isfinite(opt.rate)) {
          return fmt::format("--rate wants a positive number of messages per second, not '{}'", v);
        }
      } else if (a == "--repeat") {
        if (!parse_number(v, opt.repeat) || opt.repeat == 0 || opt.repeat > 1'000'000) {
          return fmt::format("--repeat wants a positive number, not '{}'", v);
        }
      } else if (a == "--timeout-ms") {
        long long ms = 0;
        if (!parse_number(v, ms) || ms <= 0) return fmt::format("--timeout-ms wants a positive number, not '{}'", v);
        opt.timeout = milliseconds(ms);
      } else if (a == "--give-up-s") {
        if (!parse_number(v, opt.give_up_s) || !(opt.give_up_s >= 0) || !std::isfinite(opt.give_up_s)) {
          return fmt::format("--give-up-s wants a number of seconds, not '{}'", v);
        }
      } else if (a == "--ack-log") {
        opt.ack_log = std::string(v);
      }
    } else if (a.size() > 1 && a.starts_with('-')) {
      return fmt::format("unknown option '{}'", a);
    } else {
      opt.paths.push_back(a);
    }
  }
  if (!have_to) return std::string("--to HOST:PORT is required");
  if (opt.paths.empty()) return std::string("no PATH to send");
  if (opt.tls_options.cert_file.empty() != opt.tls_options.key_file.empty()) {
    return std::string("--cert and --key go together");
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- input

// Returns an error line when a path cannot be read.
std::optional<std::string> collect_files(std::string_view path, std::vector<fs::path>& files) {
  const fs::path p{std::string(path)};
  std::error_code ec;
  const fs::file_status status = fs::status(p, ec);
  if (ec || !fs::exists(status)) {
    return fmt::format("{}: cannot read: {}", path, ec ? ec.message() : std::strerror(ENOENT));
  }
  if (!fs::is_directory(status)) {
    files.push_back(p);
    return std::nullopt;
  }
  std::vector<fs::path> found;
  fs::recursive_directory_iterator it(p, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with('.')) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) found.push_back(it->path());
  }
  if (ec) return fmt::format("{}: cannot read: {}", path, ec.message());
  std::sort(found.begin(), found.end());
  files.insert(files.end(), found.begin(), found.end());
  return std::nullopt;
}

std::string_view first_line(std::string_view bytes) {
  const std::size_t start = bytes.find_first_not_of("\r\n \t");
  if (start == std::string_view::npos) return {};
  bytes.remove_prefix(start);
  return bytes.substr(0, bytes.find_first_of("\r\n"));
}

// A message as it is sent: its segments, each ended by CR (message::encode:
// LF/CRLF already normalised, blank lines gone), and where MSH-10 is in them.
struct prepared {
  std::string bytes;
  std::size_t id_offset = 0;
  std::size_t id_size = 0;

  std::string_view control_id() const { return std::string_view(bytes).substr(id_offset, id_size); }
};

prepared prepare(const hl7::message& m) {
  prepared p{m.encode(), 0, 0};
  const std::string_view id = m.control_id();
  // encode() starts with the MSH segment exactly as it is in the buffer.
  p.id_offset = static_cast<std::size_t>(id.data() - m.segment(0).raw().data());
  p.id_size = id.size();
  return p;
}

// Loads one file's messages; returns an error line when it is unreadable or not HL7.
std::optional<std::string> load_file(const fs::path& file, std::vector<prepared>& messages) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fmt::format("{}: cannot read: {}", file.string(), std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return fmt::format("{}: cannot read: {}", file.string(), std::strerror(errno));
  std::string bytes = std::move(content).str();

  // Batches and files of several messages (each starting at an MSH line) are
  // split by parse_batch; anything else goes to message::parse, whose error
  // says best why it is not HL7 (missing_msh, xml_encoded, empty_input ...).
  const std::string_view head = first_line(bytes);
  if (hl7::looks_like_batch(bytes) || head.starts_with("MSH")) {
    auto batch = hl7::parse_batch(bytes);
    if (!batch) return fmt::format("{}: {}", file.string(), batch.error().to_string());
    if (batch->messages.empty()) return fmt::format("{}: batch holds no messages", file.string());
    for (const auto& m : batch->messages) messages.push_back(prepare(m));
    return std::nullopt;
  }
  auto single = hl7::message::parse(std::move(bytes));
  if (!single) return fmt::format("{}: {}", file.string(), single.error().to_string());
  messages.push_back(prepare(*single));
  return std::nullopt;
}

// ---------------------------------------------------------------- ACKs

enum class outcome : std::uint8_t { aa, ae, ar, ca, ce, cr, none, ack_mismatch };
constexpr std::size_t outcome_count = 8;
constexpr std::array<std::string_view, outcome_count> outcome_names = {"AA", "AE", "AR",   "CA",
                                                                       "CE", "CR", "none", "ack_mismatch"};

std::string_view name_of(outcome o) { return outcome_names[static_cast<std::size_t>(o)]; }

struct msa_fields {
  std::string_view code;        // MSA-1, raw
  std::string_view control_id;  // MSA-2, raw
};

// MSA-1/MSA-2 of an ACK: the delimiters from its MSH (or the defaults), the
// MSA line found by hand. Reading only these two fields (not parsing the
// whole ACK) also answers for ACKs a strict parser would refuse.
std::optional<msa_fields> scan_msa(std::string_view ack, char field_separator) {
  for (std::size_t pos = 0; pos < ack.size();) {
    std::size_t end = ack.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = ack.size();
    const std::string_view line = ack.substr(pos, end - pos);
    if (line.size() > 3 && line.starts_with("MSA") && line[3] == field_separator) {
      return msa_fields{hl7::nth_piece(line, field_separator, 2).value_or(""),
                        hl7::nth_piece(line, field_separator, 3).value_or("")};
    }
    pos = end + 1;
  }
  return std::nullopt;
}

outcome classify_ack(std::string_view ack, std::string_view sent_control_id) {
  const hl7::delimiters delimiters = hl7::peek_msh(ack).delimiters;
  const std::optional<msa_fields> msa = scan_msa(ack, delimiters.field);
  if (!msa) return outcome::none;
  const std::string_view code = *hl7::nth_piece(msa->code, delimiters.component, 1);
  outcome o = outcome::none;
  for (std::size_t i = 0; i < 6; ++i) {
    if (code == outcome_names[i]) o = static_cast<outcome>(i);
  }
  if (o == outcome::none) return o;
  if (msa->control_id != sent_control_id) return outcome::ack_mismatch;
  return o;
}

// ---------------------------------------------------------------- the run

struct record {
  bool done = false;
  outcome result = outcome::none;
  double latency_ms = -1;  // < 0: no ACK
};

// One item of the send list: message `index % M`, repeat `index / M`.
struct replay_state {
  const options& opt;
  const std::vector<prepared>& messages;
  std::size_t total = 0;
  std::size_t next = 0;  // next unsent item
  std::size_t done = 0;
  std::vector<record> records;
  std::array<std::size_t, outcome_count> counts{};
  std::vector<double> latencies;
  std::size_t resent = 0;
  std::size_t reconnects = 0;
  std::size_t active_workers = 0;
  clock_type::time_point started;
  clock_type::time_point finished;
  clock_type::time_point next_slot;  // pacing
  std::ofstream* ack_log = nullptr;
  std::ostream& err;
  bool progress = false;
  std::size_t progress_width = 0;
  asio::steady_timer* ticker = nullptr;

  replay_state(const options& o, const std::vector<prepared>& m, std::ostream& e)
      : opt(o), messages(m), total(m.size() * o.repeat), records(total), err(e) {}

  // The bytes of item `index`, and its MSH-10.
  std::string_view bytes_of(std::size_t index, std::string& storage, std::string& control_id) const {
    const prepared& m = messages[index % messages.size()];
    const std::size_t rep = index / messages.size();
    if (!opt.unique || rep == 0) {
      control_id = std::string(m.control_id());
      return m.bytes;
    }
    control_id = fmt::format("{}-{}", m.control_id(), rep + 1);
    const std::string_view all = m.bytes;
    storage.assign(all.substr(0, m.id_offset));
    storage.append(control_id);
    storage.append(all.substr(m.id_offset + m.id_size));
    return storage;
  }

  void clear_progress() {
    if (progress && progress_width > 0) {
      err << '\r' << std::string(progress_width, ' ') << '\r' << std::flush;
      progress_width = 0;
    }
  }

  void draw_progress() {
    if (!progress) return;
    const double elapsed = std::chrono::duration<double>(clock_type::now() - started).count();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    constexpr std::size_t bar = 30;
    const std::size_t filled = total == 0 ? bar : done * bar / total;
    const std::string line = fmt::format("[{}{}] {}/{} messages  {:.0f} msgs/s", std::string(filled, '#'),
                                         std::string(bar - filled, '.'), done, total, rate);
    err << '\r' << line;
    if (line.size() < progress_width) err << std::string(progress_width - line.size(), ' ');
    err << std::flush;
    progress_width = std::max(progress_width, line.size());
  }

  // A line on err, not mixed into the progress bar.
  void note(const std::string& text) {
    clear_progress();
    err << "radbridge replay: " << text << '\n';
    if (progress) draw_progress();
  }

  void complete(std::size_t index, const std::string& control_id, outcome o, double latency_ms) {
    records[index] = {true, o, latency_ms};
    ++counts[static_cast<std::size_t>(o)];
    if (latency_ms >= 0) latencies.push_back(latency_ms);
    ++done;
    finished = clock_type::now();
    if (ack_log != nullptr) {
      *ack_log << control_id << ' ' << name_of(o) << ' ';
      if (latency_ms >= 0) {
        *ack_log << fmt::format("{:.3f}", latency_ms);
      } else {
        *ack_log << '-';
      }
      *ack_log << '\n';
    }
  }

  asio::awaitable<void> pace(asio::steady_timer& timer) {
    if (opt.rate <= 0) co_return;
    const auto now = clock_type::now();
    const auto slot = std::max(now, next_slot);
    next_slot = slot + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(1.0 / opt.rate));
    if (slot > now) {
      timer.expires_at(slot);
      boost::system::error_code ignored;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }
};

asio::awaitable<void> worker(replay_state& st, std::size_t number, asio::ssl::context* tls) {
  auto executor = co_await asio::this_coro::executor;
  net::mllp_client client(executor);
  asio::steady_timer timer(executor);
  const auto give_up = std::chrono::duration<double>(st.opt.give_up_s);
  milliseconds backoff{50};
  bool ever_connected = false;
  std::string storage, control_id;

  while (st.next < st.total) {
    const std::size_t index = st.next++;
    const std::string_view bytes = st.bytes_of(index, storage, control_id);
    std::optional<clock_type::time_point> outage;  // since when this message has been failing
    bool sent_once = false;
    for (;;) {
      std::optional<net::mllp_error> failure;
      try {
        if (!client.is_open()) {
          co_await client.connect(st.opt.host, st.opt.port, tls, st.opt.timeout);
          if (ever_connected) ++st.reconnects;
          ever_connected = true;
        }
        co_await st.pace(timer);
        if (sent_once) ++st.resent;
        sent_once = true;
        const auto t0 = clock_type::now();
        const std::string ack = co_await client.exchange(bytes, st.opt.timeout);
        const double latency = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
        st.complete(index, control_id, classify_ack(ack, control_id), latency);
        if (outage) {
          st.note(fmt::format("connection {}: back after {:.1f} s", number,
                              std::chrono::duration<double>(clock_type::now() - *outage).count()));
        }
        backoff = milliseconds{50};
        break;
      } catch (const net::mllp_error& e) {
        failure = e;
      }
      if (!failure->connection_lost()) {
        // A timeout or an unreadable answer: the peer is there and did not
        // acknowledge; resending would not change its mind.
        st.note(fmt::format("connection {}: message {}: {}", number, control_id, failure->what()));
        st.complete(index, control_id, outcome::none, -1);
        break;
      }
      const auto now = clock_type::now();
      if (!outage) {
        outage = now;
        st.note(fmt::format("connection {}: {}; reconnecting", number, failure->what()));
      }
      if (now - *outage >= give_up) {
        st.note(fmt::format("connection {}: giving up after {:.1f} s: {}", number, st.opt.give_up_s, failure->what()));
        st.complete(index, control_id, outcome::none, -1);
        co_return;
      }
      const auto remaining = std::chrono::duration_cast<milliseconds>(give_up - (now - *outage));
      timer.expires_after(std::min(backoff, remaining + milliseconds{1}));
      boost::system::error_code ignored;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      backoff = std::min(backoff * 2, milliseconds{1000});
    }
  }
  co_await client.shutdown();
}

asio::awaitable<void> ticker(replay_state& st) {
  asio::steady_timer& timer = *st.ticker;
  while (st.active_workers > 0) {
    timer.expires_after(milliseconds{100});
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    st.draw_progress();
  }
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

int run_replay(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  options opt;
  bool help = false;
  if (auto problem = parse_options(args, opt, help)) {
    err << "radbridge replay: " << *problem << '\n' << replay_usage;
    return exit_usage;
  }
  if (help) {
    out << replay_usage;
    return exit_ok;
  }

  std::vector<fs::path> files;
  for (std::string_view path : opt.paths) {
    if (auto problem = collect_files(path, files)) {
      err << "radbridge replay: " << *problem << '\n';
      return exit_failure;
    }
  }
  std::vector<prepared> messages;
  for (const fs::path& file : files) {
    if (auto problem = load_file(file, messages)) {
      err << "radbridge replay: " << *problem << '\n';
      return exit_failure;
    }
  }
  if (messages.empty()) {
    err << "radbridge replay: no messages found in the given paths\n";
    return exit_failure;
  }

  std::optional<asio::ssl::context> tls;
  if (opt.tls) {
    if (opt.tls_options.server_name.empty()) opt.tls_options.server_name = opt.host;
    try {
      tls.emplace(net::make_client_context(opt.tls_options));
    } catch (const std::exception& e) {
      err << "radbridge replay: " << e.what() << '\n';
      return exit_failure;
    }
  }
  std::ofstream ack_log;
  if (!opt.ack_log.empty()) {
    ack_log.open(opt.ack_log, std::ios::binary | std::ios::trunc);
    if (!ack_log) {
      err << "radbridge replay: " << opt.ack_log << ": cannot write: " << std::strerror(errno) << '\n';
      return exit_failure;
    }
  }

  replay_state st(opt, messages, err);
  st.ack_log = ack_log.is_open() ? &ack_log : nullptr;
  st.progress = &err == &std::cerr && ::isatty(STDERR_FILENO) == 1;
  st.latencies.reserve(st.total);

  asio::io_context io(1);
  asio::steady_timer ticker_timer(io);
  st.ticker = &ticker_timer;
  st.started = st.finished = st.next_slot = clock_type::now();
  std::exception_ptr crashed;
  const std::size_t workers = std::min(opt.connections, st.total);
  st.active_workers = workers;
  for (std::size_t k = 0; k < workers; ++k) {
    asio::co_spawn(io, worker(st, k + 1, tls ? &*tls : nullptr), [&](std::exception_ptr e) {
      if (e && !crashed) crashed = e;
      if (--st.active_workers == 0) ticker_timer.cancel();
    });
  }
  if (st.progress) asio::co_spawn(io, ticker(st), asio::detached);
  io.run();
  if (crashed) {
    st.clear_progress();
    try {
      std::rethrow_exception(crashed);
    } catch (const std::exception& e) {
      err << "radbridge replay: " << e.what() << '\n';
    }
    return exit_failure;
  }
  if (st.progress) {
    st.draw_progress();
    err << '\n';
  }

  // Items no connection got to (every connection gave up) count as "none".
  std::size_t unsent = 0;
  std::string storage, control_id;
  for (std::size_t i = 0; i < st.total; ++i) {
    if (st.records[i].done) continue;
    (void)st.bytes_of(i, storage, control_id);
    st.complete(i, control_id, outcome::none, -1);
    ++unsent;
  }
  if (unsent > 0) err << "radbridge replay: " << unsent << " messages were not sent\n";
  if (ack_log.is_open()) {
    ack_log.close();
    if (!ack_log) err << "radbridge replay: " << opt.ack_log << ": write failed\n";
  }

  std::sort(st.latencies.begin(), st.latencies.end());
  const double elapsed = std::chrono::duration<double>(st.finished - st.started).count();
  out << "messages: " << st.total << '\n';
  for (std::size_t i = 0; i < outcome_count; ++i) out << outcome_names[i] << ": " << st.counts[i] << '\n';
  out << "resent: " << st.resent << '\n';
  out << "reconnects: " << st.reconnects << '\n';
  out << fmt::format("elapsed_s: {:.3f}\n", elapsed);
  out << fmt::format("msgs_per_s: {:.1f}\n", elapsed > 0 ? static_cast<double>(st.total) / elapsed : 0.0);
  out << fmt::format("latency_ms: p50={:.3f} p95={:.3f} p99={:.3f}\n", percentile(st.latencies, 0.50),
                     percentile(st.latencies, 0.95), percentile(st.latencies, 0.99));
  out << std::flush;

  const std::size_t accepted =
      st.counts[static_cast<std::size_t>(outcome::aa)] + st.counts[static_cast<std::size_t>(outcome::ca)];
  return accepted == st.total ? exit_ok : exit_failure;
}

}  // namespace radbridge::cli
