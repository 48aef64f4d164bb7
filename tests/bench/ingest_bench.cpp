// ingest_bench: durable MLLP ingest throughput and ACK latency of
// `radbridge serve`, against pgbench inserting the same rows one commit per
// row, measured in the same run on the same PostgreSQL.
//
//   ingest_bench [N]
//     N messages (default 50000) from hl7_corpus (seed fixed, ~1.5 KB each,
//     a unique MSH-10 per message).
//
// One run:
// 1. a private PostgreSQL (tests/support/postgres_server: fsync,
//    synchronous_commit and full_page_writes on), migrated with
//    `radbridge migrate`; the corpus written to a temporary folder (files of
//    at most 5,000 messages, one message per line: segments end with CR, LF
//    separates messages; replay reads a file of several messages, each
//    starting at an MSH line, and parse_batch limits a file to 16 MiB);
//    `radbridge serve` with one interface on 127.0.0.1, port 0 (the chosen
//    port is read from its `listening` log line), all message types,
//    max_connections 64 (and 64 per peer: every connection is from loopback),
//    in its default configuration; and a second one, idle but for its own
//    runs, the same with busy_poll_us 0 (busy polling off).
// 2. three paired rounds at one connection: `radbridge replay --connections
//    1` over the first min(N, 20000) messages right before pgbench with one
//    client (-T 5) -- a single RIS feed over one connection is the most
//    common deployment -- and right after it the same replay into the
//    engine with busy_poll_us 0 (what busy polling buys: its own ratio to
//    pgbench, and the ratio of the two rates); then five paired rounds at
//    16: `--connections 16` over the N messages right before pgbench (-T 5,
//    16 clients, -j 2); then `--connections 4 --rate 1000` over min(N,
//    20000) messages (steady-state latency, where the engine never spins:
//    several senders), and its peer: pgbench with 4 clients at the same
//    rate (-R 1000 -T 20), its p50/p99 from its per-transaction log (-l) less
//    the schedule lag; a TRUNCATE after every run. Each replay must exit 0
//    with every message accepted (CA: the corpus asks for enhanced mode with
//    MSH-15 AL; AA would count too), and inbound_messages must then hold
//    exactly the messages sent. pgbench's script (-n -M prepared) inserts ONE
//    row per transaction into pgbench_rows (inbound_messages' columns,
//    defaults and indexes, without the wake-up trigger: its NOTIFY would
//    serialise pgbench's commits) with the same columns, a payload and an
//    ACK of the average sizes the engine stored, as a prepared statement
//    with a plain INSERT (what radbridge's own fast path sends).
// 3. a table, and last `ratio_vs_pgbench_1_connection=N` (the default
//    configuration), `ratio_vs_pgbench_1_connection_no_busy_poll=N` and
//    `ratio_vs_pgbench_16_connections=N`: the medians over the rounds of
//    (radbridge msgs/s / pgbench tps). Pairing the runs and taking the median
//    keeps a slow moment of the shared machine from deciding the figure
//    either way.
// Each run also prints where the CPU went, per message (or transaction): the
// client (replay or pgbench, from wait4; replay's includes reading and
// parsing its input before the clock starts), the engine (/proc/PID/stat, all
// threads) and PostgreSQL (the postmaster with its reaped children plus its
// live children), the WAL written (pg_current_wal_lsn) and how many rows each
// commit carried (rows per distinct xmin). CPU time per message depends far
// less on what else the machine runs than msgs/s and latency do, so it is the
// figure to compare across noisy runs; the header prints the CPU count, the
// load average and the disk's fdatasync latency (again at the end) for the
// same reason.
// Exit 1, with the reason (and the tail of the relevant log), when anything
// fails; 0 otherwise, whether or not the targets are met (they are reported).
// The engine gets SIGTERM at the end (or on any error), the fixture stops
// PostgreSQL, the temporary folder is removed.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "hl7_corpus.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

#ifndef RADBRIDGE_BINARY
#error "RADBRIDGE_BINARY must name the radbridge executable (set by tests/bench/CMakeLists.txt)"
#endif

namespace {

namespace fs = std::filesystem;
namespace bench = radbridge::bench;
using radbridge::test::child_process;
using radbridge::test::run_to_end;
using radbridge::test::temp_folder;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t default_messages = 50'000;
constexpr std::size_t messages_per_file = 5'000;  // ~7.5 MB, under parse_batch's 16 MiB
constexpr std::size_t short_messages = 20'000;  // the 1-connection and the paced runs
constexpr int paced_rate = 1'000;
constexpr int paced_seconds = 20;  // the paced pgbench run: as long as the paced replay
constexpr int single_rounds = 3;   // paired replay / pgbench runs at 1
constexpr int compare_rounds = 5;  // paired replay / pgbench runs at 16
constexpr int compare_seconds = 5; // each pgbench run of a round
constexpr auto replay_limit = 900s;  // a run that takes longer has gone wrong

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return std::move(s).str();
}

std::string tail(const std::string& text, std::size_t max_bytes = 3000) {
  if (text.size() <= max_bytes) return text;
  const std::size_t cut = text.find('\n', text.size() - max_bytes);
  return "...\n" + text.substr(cut == std::string::npos ? text.size() - max_bytes : cut + 1);
}

std::string tail_of(const fs::path& file) { return tail(read_file(file)); }

std::string fmt_ms(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", ms);
  return text;
}

// The value at fraction p (0..1) of sorted, non-empty values.
double percentile(const std::vector<double>& sorted, double p) {
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

// The disk's commit floor: `count` times write 8 KB at the start of a file in
// `folder` and fdatasync it (what a WAL flush costs); returns the p50 and
// p99 in ms, or "unavailable" when the file cannot be written.
std::string fdatasync_probe(const fs::path& folder, int count = 200) {
  const fs::path file = folder / "fdatasync-probe";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return "unavailable";
  std::string block(8192, 'w');
  std::vector<double> ms;
  for (int i = 0; i < count; ++i) {
    const auto t0 = clock_type::now();
    if (::pwrite(fd, block.data(), block.size(), 0) != static_cast<ssize_t>(block.size())) break;
    if (::fdatasync(fd) != 0) break;
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
  }
  ::close(fd);
  std::error_code ignored;
  fs::remove(file, ignored);
  if (ms.empty()) return "unavailable";
  std::sort(ms.begin(), ms.end());
  char text[96];
  std::snprintf(text, sizeof text, "p50 %.2f ms p99 %.2f ms (%zu x 8 KB)", percentile(ms, 0.50), percentile(ms, 0.99),
                ms.size());
  return text;
}

// CPU seconds from /proc/PID/stat: utime + stime, and with `children` also the
// reaped children's cutime + cstime. 0 when the process is gone.
struct proc_times {
  pid_t ppid = 0;
  double self_s = 0;
  double children_s = 0;
};

std::optional<proc_times> read_proc_times(pid_t pid) {
  const std::string stat = read_file(fs::path("/proc") / std::to_string(pid) / "stat");
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat.substr(close + 2));
  std::string state;
  long long ppid = 0, pgrp = 0, session = 0, tty = 0, tpgid = 0;
  unsigned long long flags = 0, minflt = 0, cminflt = 0, majflt = 0, cmajflt = 0, utime = 0, stime = 0;
  long long cutime = 0, cstime = 0;
  in >> state >> ppid >> pgrp >> session >> tty >> tpgid >> flags >> minflt >> cminflt >> majflt >> cmajflt >> utime >>
      stime >> cutime >> cstime;
  if (!in) return std::nullopt;
  static const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return proc_times{static_cast<pid_t>(ppid), static_cast<double>(utime + stime) / tick,
                    static_cast<double>(cutime + cstime) / tick};
}

// All CPU the cluster has used: the postmaster, its live children (backends,
// walwriter, checkpointer ...) and the children it has reaped.
double cluster_cpu_s(pid_t postmaster) {
  const auto root = read_proc_times(postmaster);
  if (!root) return 0;
  double total = root->self_s + root->children_s;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto t = read_proc_times(static_cast<pid_t>(std::stol(name)));
    if (t && t->ppid == postmaster) total += t->self_s;
  }
  return total;
}

// "key: value" lines of replay's summary.
std::optional<std::string> summary_value(const std::string& summary, std::string_view key) {
  std::istringstream in(summary);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > key.size() + 1 && line.compare(0, key.size(), key) == 0 && line[key.size()] == ':') {
      const std::size_t start = line.find_first_not_of(' ', key.size() + 1);
      return start == std::string::npos ? std::string() : line.substr(start);
    }
  }
  return std::nullopt;
}

double number_after(const std::string& text, std::string_view label, const std::string& context) {
  const std::size_t at = text.find(label);
  if (at == std::string::npos) fail("no '" + std::string(label) + "' in " + context);
  const char* start = text.c_str() + at + label.size();
  char* end = nullptr;
  const double value = std::strtod(start, &end);
  if (end == start) fail("no number after '" + std::string(label) + "' in " + context);
  return value;
}

// Where one run's CPU and WAL went.
struct cost {
  double client_cpu_s = 0;
  double engine_cpu_s = 0;
  double postgres_cpu_s = 0;
  double wal_bytes = 0;
  std::size_t commits = 0;  // transactions that stored the run's rows (distinct xmin)

  std::string per_unit(std::size_t units, const char* unit, const char* client, bool engine) const {
    const double n = static_cast<double>(std::max<std::size_t>(units, 1));
    char line[320];
    int used = std::snprintf(line, sizeof line, "cpu per %s: %s %.0f us", unit, client, client_cpu_s / n * 1e6);
    if (engine) used += std::snprintf(line + used, sizeof line - static_cast<std::size_t>(used), ", engine %.0f us",
                                      engine_cpu_s / n * 1e6);
    std::snprintf(line + used, sizeof line - static_cast<std::size_t>(used),
                  ", postgres %.0f us (total %.0f us); WAL %.2f KB per %s; %zu commits (%.1f rows each)",
                  postgres_cpu_s / n * 1e6, (client_cpu_s + engine_cpu_s + postgres_cpu_s) / n * 1e6,
                  wal_bytes / n / 1e3, unit, commits,
                  commits > 0 ? static_cast<double>(units) / static_cast<double>(commits) : 0.0);
    return line;
  }
};

struct replay_result {
  std::string label;
  std::size_t connections = 0;
  std::size_t messages = 0;
  double msgs_per_s = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double elapsed_s = 0;
  cost spent;
};

struct pgbench_result {
  int clients = 0;
  double tps = 0;
  double latency_ms = 0;
  std::size_t transactions = 0;
  double p50_ms = 0;  // from the per-transaction log, kept by a paced run only
  double p99_ms = 0;
  cost spent;
};

// Percentiles of a paced pgbench run's per-transaction log lines
// ("client txn time_us script epoch epoch_us schedule_lag_us"): each
// transaction's time less its schedule lag, i.e. from the moment it was
// sent, as replay measures a message from the moment it was sent.
void read_pgbench_log(const fs::path& folder, const std::string& prefix, pgbench_result& r) {
  std::vector<double> ms;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (!entry.path().filename().string().starts_with(prefix + ".")) continue;
    std::istringstream lines(read_file(entry.path()));
    for (std::string line; std::getline(lines, line);) {
      std::istringstream f(line);
      long long client = 0, txn = 0, time_us = 0, script = 0, epoch = 0, epoch_us = 0, lag_us = 0;
      if (!(f >> client >> txn >> time_us >> script >> epoch >> epoch_us >> lag_us)) {
        fail("unexpected line in pgbench's log " + entry.path().string() + ": '" + line + "'");
      }
      ms.push_back(static_cast<double>(time_us - lag_us) / 1e3);
    }
  }
  if (ms.empty()) fail("pgbench wrote no per-transaction log " + (folder / prefix).string() + ".*");
  std::sort(ms.begin(), ms.end());
  r.p50_ms = percentile(ms, 0.50);
  r.p99_ms = percentile(ms, 0.99);
}

struct round_result {
  replay_result replay;
  pgbench_result pgbench;
  replay_result unpolled;  // at 1 connection: the same replay into the engine with busy_poll_us 0
};

// One `radbridge serve`, its log and the port it listens on.
struct engine {
  explicit engine(std::string n) : name(std::move(n)) {}
  std::string name;
  fs::path log;
  std::optional<child_process> process;
  unsigned port = 0;
};

class bench_run {
 public:
  explicit bench_run(std::size_t n) : n_(n) {}

  int run() {
    setup();
    // Each run on an empty table, each replay right next to its pgbench run
    // (paired rounds), so that a slow patch of the shared machine weighs on
    // both sides of a ratio. The first replay also measures the rows' sizes,
    // which pgbench's rows then copy.
    for (int round = 1; round <= single_rounds; ++round) {
      std::printf("round %d of %d at 1 connection / client:\n", round, single_rounds);
      single_.push_back({replay("replay", 1, short_dir_, short_count(), 0, main_), {}, {}});
      if (round == 1) measure_stored_sizes();
      truncate();
      single_.back().pgbench = pgbench(1, 1, compare_seconds);
      truncate();
      single_.back().unpolled = replay("replay, busy_poll_us 0", 1, short_dir_, short_count(), 0, unpolled_);
      truncate();
    }
    for (int round = 1; round <= compare_rounds; ++round) {
      std::printf("round %d of %d at 16 connections / clients:\n", round, compare_rounds);
      rounds_.push_back({replay("replay", 16, all_dir_, n_, 0, main_), {}, {}});
      truncate();
      rounds_.back().pgbench = pgbench(16, 2, compare_seconds);
      truncate();
    }
    paced_ = replay("replay paced", 4, short_dir_, short_count(), paced_rate, main_);
    truncate();
    paced_pgbench_ = pgbench(4, 1, paced_seconds, paced_rate);
    truncate();
    stop_engine(main_);
    stop_engine(unpolled_);
    std::printf("disk at the end: write + fdatasync %s\n", fdatasync_probe(dir_.path()).c_str());
    report();
    return 0;
  }

 private:
  std::size_t short_count() const { return std::min(n_, short_messages); }

  void setup() {
    if (!fs::exists(binary_)) fail(binary_ + " not found; build the radbridge target");
    std::istringstream loadavg(read_file("/proc/loadavg"));
    std::string load1, load5, load15;
    loadavg >> load1 >> load5 >> load15;
    std::printf("ingest_bench: %zu messages; %u CPUs, load average %s %s %s; starting PostgreSQL\n", n_,
                std::thread::hardware_concurrency(), load1.c_str(), load5.c_str(), load15.c_str());
    std::fflush(stdout);
    pg_.emplace();
    const std::string settings =
        pg_->psql("SELECT current_setting('fsync') || ' ' || current_setting('synchronous_commit') || ' ' || "
                  "current_setting('full_page_writes') || ' ' || current_setting('wal_sync_method') || ' ' || "
                  "current_setting('server_version')");
    std::istringstream s(settings);
    std::string fsync, sync_commit, fpw, sync_method, version;
    s >> fsync >> sync_commit >> fpw >> sync_method >> version;
    std::printf("postgres %s on 127.0.0.1:%u: fsync=%s synchronous_commit=%s full_page_writes=%s wal_sync_method=%s\n",
                version.c_str(), pg_->port(), fsync.c_str(), sync_commit.c_str(), fpw.c_str(), sync_method.c_str());
    std::printf("disk (the cluster's file system): write + fdatasync %s\n", fdatasync_probe(dir_.path()).c_str());

    const fs::path migrate_log = dir_.path() / "migrate.log";
    if (const int code = run_to_end({binary_, "migrate", "--db", pg_->conninfo()}, migrate_log, migrate_log, 120s).exit_code;
        code != 0) {
      fail("radbridge migrate exited " + std::to_string(code) + ":\n" + tail_of(migrate_log));
    }
    // pgbench's table: inbound_messages' columns, defaults and indexes,
    // without its wake-up trigger, whose NOTIFY would serialise pgbench's
    // one-row commits (PostgreSQL orders notifying commits under one lock);
    // the engine's groups each notify once.
    pg_->psql("CREATE TABLE pgbench_rows (LIKE inbound_messages INCLUDING ALL)");

    write_corpus();
    start_engine(main_, -1);
    start_engine(unpolled_, 0);
  }

  void write_corpus() {
    bench::corpus_stats stats;
    const auto t0 = clock_type::now();
    std::vector<std::string> corpus = bench::make_hl7_corpus(n_, bench::default_corpus_seed, &stats);
    if (corpus.size() != n_) fail("the corpus generator made " + std::to_string(corpus.size()) + " messages");
    for (const std::string& m : corpus) {
      if (m.find('\n') != std::string::npos) fail("a corpus message contains LF; one message per line is impossible");
    }
    average_bytes_ = stats.bytes / n_;
    all_dir_ = dir_.path() / "all";
    short_dir_ = dir_.path() / "short";
    write_files(all_dir_, corpus, n_);
    write_files(short_dir_, corpus, short_count());
    const double seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    std::printf("corpus: %zu messages (ORM^O01 %zu, ADT %zu, ORU^R01 %zu, UTF-8 %zu), %.1f MB, average %zu bytes "
                "(generated and written in %.1f s)\n",
                n_, stats.orm_o01, stats.adt, stats.oru_r01, stats.utf8, static_cast<double>(stats.bytes) / 1e6,
                average_bytes_, seconds);
  }

  static void write_files(const fs::path& folder, const std::vector<std::string>& corpus, std::size_t count) {
    fs::create_directories(folder);
    for (std::size_t first = 0; first < count; first += messages_per_file) {
      char name[32];
      std::snprintf(name, sizeof name, "part-%05zu.hl7", first / messages_per_file);
      std::ofstream out(folder / name, std::ios::binary);
      for (std::size_t i = first; i < std::min(count, first + messages_per_file); ++i) out << corpus[i] << '\n';
      if (!out.flush()) fail("cannot write " + (folder / name).string());
    }
  }

  // `busy_poll_us` < 0: the engine's default.
  void start_engine(engine& e, int busy_poll_us) {
    const fs::path config = dir_.path() / (e.name + ".json");
    {
      std::ofstream out(config);
      out << "{\n";
      if (busy_poll_us >= 0) out << "  \"busy_poll_us\": " << busy_poll_us << ",\n";
      out << R"(  "admin": {"listen": "127.0.0.1:0"},
  "interfaces": [
    {
      "name": "bench",
      "listen": "127.0.0.1:0",
      "message_types": ["*"],
      "max_connections": 64,
      "max_connections_per_peer": 64
    }
  ]
}
)";
      if (!out.flush()) fail("cannot write " + config.string());
    }
    e.log = dir_.path() / (e.name + ".log");
    radbridge::test::spawn_options options;
    options.out = radbridge::test::stdio_target::append_to(e.log);
    options.err = radbridge::test::stdio_target::append_to(e.log);
    options.stop_grace = 30s;
    e.process.emplace(std::vector<std::string>{binary_, "serve", "--config", config.string(), "--db", pg_->conninfo()},
                      std::move(options));
    // The port it picked: `listening ... port=N` in its log.
    const auto deadline = clock_type::now() + 60s;
    while (e.port == 0) {
      std::istringstream log(read_file(e.log));
      for (std::string line; std::getline(log, line);) {
        if (line.find(" listening ") == std::string::npos) continue;
        const std::size_t at = line.find(" port=");
        if (at != std::string::npos) e.port = static_cast<unsigned>(std::strtoul(line.c_str() + at + 6, nullptr, 10));
      }
      if (e.port != 0) break;
      if (!e.process->running()) fail("radbridge serve exited at start:\n" + tail_of(e.log));
      if (clock_type::now() > deadline) fail("radbridge serve did not log `listening` within 60 s:\n" + tail_of(e.log));
      std::this_thread::sleep_for(20ms);
    }
    std::printf("engine: radbridge serve on 127.0.0.1:%u (max_commit_group 256, max_connections 64, busy_poll_us %s)\n",
                e.port, busy_poll_us < 0 ? "default" : std::to_string(busy_poll_us).c_str());
    std::fflush(stdout);
  }

  void stop_engine(engine& e) {
    if (!e.process) return;
    e.process->signal(SIGTERM);
    const int code = e.process->wait_for(30s).value_or(-1);
    if (code < 0) fail("radbridge serve did not stop within 30 s of SIGTERM:\n" + tail_of(e.log));
    e.process.reset();
    if (code != 0) fail("radbridge serve exited " + std::to_string(code) + " after SIGTERM:\n" + tail_of(e.log));
  }

  void truncate() { pg_->psql("TRUNCATE inbound_messages CASCADE; TRUNCATE pgbench_rows; CHECKPOINT;"); }

  // The engine's rows are in inbound_messages, pgbench's in pgbench_rows.
  std::size_t stored_rows(std::string_view table) const {
    return std::stoul(pg_->psql("SELECT count(*) FROM " + std::string(table)));
  }
  std::size_t stored_commits(std::string_view table) const {
    return std::stoul(pg_->psql("SELECT count(DISTINCT xmin::text) FROM " + std::string(table)));
  }

  // Counters at the start of a run; end() turns them into the run's cost.
  struct probe {
    double engine_cpu_s = 0;
    double postgres_cpu_s = 0;
    std::string wal_lsn;
  };
  static double engine_cpu_s(const engine& e) {
    if (!e.process || e.process->pid() <= 0) return 0;
    const auto t = read_proc_times(e.process->pid());
    return t ? t->self_s : 0;
  }
  // `e`: the engine whose CPU counts (for pgbench's runs, the idle main one).
  probe begin(const engine& e) const {
    return {engine_cpu_s(e), cluster_cpu_s(pg_->pid()), pg_->psql("SELECT pg_current_wal_lsn()")};
  }
  cost end(const probe& p, double client_cpu_s, std::string_view table, const engine& e) const {
    cost c;
    c.client_cpu_s = client_cpu_s;
    c.engine_cpu_s = engine_cpu_s(e) - p.engine_cpu_s;
    c.postgres_cpu_s = cluster_cpu_s(pg_->pid()) - p.postgres_cpu_s;
    c.wal_bytes = std::stod(pg_->psql("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '" + p.wal_lsn + "')"));
    c.commits = stored_commits(table);
    return c;
  }

  // The sizes the engine stored, so pgbench's rows have the same shape.
  void measure_stored_sizes() {
    const std::string sizes = pg_->psql(
        "SELECT round(avg(length(payload))), round(avg(length(ack))), round(avg(pg_column_size(inbound_messages.*))) "
        "FROM inbound_messages");
    std::istringstream s(sizes);
    char sep = 0;
    std::size_t payload = 0, ack = 0, row = 0;
    s >> payload >> sep >> ack >> sep >> row;
    if (payload == 0 || ack == 0) fail("cannot read the stored sizes: '" + sizes + "'");
    stored_payload_bytes_ = payload;
    stored_ack_bytes_ = ack;
    stored_row_bytes_ = row;
  }

  replay_result replay(const std::string& label, std::size_t connections, const fs::path& folder, std::size_t count,
                       int rate, const engine& e) {
    std::printf("run: %s, %zu connection(s), %zu messages%s ...\n", label.c_str(), connections, count,
                rate > 0 ? (", --rate " + std::to_string(rate)).c_str() : "");
    std::fflush(stdout);
    const std::string tag = "replay-" + std::to_string(++replays_);
    const fs::path out = dir_.path() / (tag + ".out");
    const fs::path err = dir_.path() / (tag + ".err");
    std::vector<std::string> argv = {binary_,       "replay", "--to", "127.0.0.1:" + std::to_string(e.port),
                                     "--connections", std::to_string(connections)};
    if (rate > 0) {
      argv.emplace_back("--rate");
      argv.push_back(std::to_string(rate));
    }
    argv.push_back(folder.string());
    const probe before = begin(e);
    const auto [code, client_cpu_s] = run_to_end(argv, out, err, replay_limit);
    const std::string summary = read_file(out);
    if (code != 0) {
      fail("radbridge replay (" + label + ", " + std::to_string(connections) + " connections) exited " +
           std::to_string(code) + "\nsummary:\n" + summary + "stderr:\n" + tail_of(err) + "\nengine log:\n" +
           tail_of(e.log));
    }
    const std::string context = "the replay summary:\n" + summary;
    auto value = [&](std::string_view key) {
      const auto v = summary_value(summary, key);
      if (!v) fail("no '" + std::string(key) + "' line in " + context);
      return *v;
    };
    replay_result r;
    r.label = label;
    r.connections = connections;
    r.messages = std::stoul(value("messages"));
    // The corpus asks for enhanced acknowledgement (MSH-15 AL): the accept ACK is CA.
    const std::size_t aa = std::stoul(value("AA")) + std::stoul(value("CA"));
    r.msgs_per_s = std::stod(value("msgs_per_s"));
    r.elapsed_s = std::stod(value("elapsed_s"));
    const std::string latency = value("latency_ms");
    r.p50_ms = number_after(latency, "p50=", context);
    r.p95_ms = number_after(latency, "p95=", context);
    r.p99_ms = number_after(latency, "p99=", context);
    if (r.messages != count || aa != count) {
      fail("replay sent " + std::to_string(r.messages) + " messages and got " + std::to_string(aa) +
           " AA/CA; expected " +
           std::to_string(count) + "\n" + summary);
    }
    const std::size_t rows = stored_rows("inbound_messages");
    if (rows != count) {
      fail("inbound_messages holds " + std::to_string(rows) + " rows after replaying " + std::to_string(count) +
           " messages (" + label + ", " + std::to_string(connections) + " connections)");
    }
    r.spent = end(before, client_cpu_s, "inbound_messages", e);
    std::printf("  %.0f msgs/s in %.2f s, ACK latency p50 %.3f ms p95 %.3f ms p99 %.3f ms; %zu rows stored\n  %s\n",
                r.msgs_per_s, r.elapsed_s, r.p50_ms, r.p95_ms, r.p99_ms, rows,
                r.spent.per_unit(count, "msg", "replay", true).c_str());
    std::fflush(stdout);
    return r;
  }

  static std::string pgbench_binary() {
    for (const char* candidate : {"/usr/bin/pgbench", "/usr/lib/postgresql/15/bin/pgbench"}) {
      if (::access(candidate, X_OK) == 0) return candidate;
    }
    fail("pgbench not found (/usr/bin/pgbench, /usr/lib/postgresql/15/bin/pgbench): apt-get install postgresql-client");
  }

  // One row per transaction for `seconds`; with rate > 0, at most `rate`
  // transactions per second in all (-R), with a per-transaction log (-l).
  pgbench_result pgbench(int clients, int threads, int seconds, int rate = 0) {
    const fs::path script = dir_.path() / "insert_one_row.sql";
    if (!fs::exists(script)) {
      std::ofstream out(script);
      // A plain INSERT, run as a prepared statement (-M prepared), as
      // radbridge's fast path is (a 64-bit random key: a collision in a run
      // is beyond unlikely).
      out << "\\set id random(1, 9000000000000000000)\n"
          << "INSERT INTO pgbench_rows (interface, sending_application, sending_facility, control_id, "
             "message_type, trigger_event, payload, payload_sha256, ack_code, ack) VALUES ('pgbench', 'APP', 'FAC', "
             ":client_id || '-' || :id, 'ORM', 'O01', convert_to(repeat('x', "
          << stored_payload_bytes_ << "), 'UTF8'), sha256(convert_to(:id::text, 'UTF8')), 'AA', convert_to(repeat('a', "
          << stored_ack_bytes_ << "), 'UTF8'));\n";
      if (!out.flush()) fail("cannot write " + script.string());
    }
    std::printf("run: pgbench, %d client(s), one row per transaction, %d s%s ...\n", clients, seconds,
                rate > 0 ? (", -R " + std::to_string(rate)).c_str() : "");
    std::fflush(stdout);
    const std::string tag = "pgbench-" + std::to_string(++pgbench_runs_);
    const fs::path out = dir_.path() / (tag + ".out");
    const fs::path err = dir_.path() / (tag + ".err");
    const std::string txn_log = tag + "-txn";  // pgbench adds .PID
    std::vector<std::string> argv = {pgbench_binary(), "-h", "127.0.0.1", "-p", std::to_string(pg_->port()),
                                     "-U", "radbridge", "-n", "-M", "prepared", "-c", std::to_string(clients), "-j",
                                     std::to_string(threads), "-T", std::to_string(seconds), "-f", script.string(),
                                     "radbridge"};
    if (rate > 0) {
      const std::string log_prefix = "--log-prefix=" + (dir_.path() / txn_log).string();
      argv.insert(argv.end() - 1, {"-R", std::to_string(rate), "-l", log_prefix});
    }
    const probe before = begin(main_);
    const auto [code, client_cpu_s] = run_to_end(argv, out, err, std::chrono::seconds(seconds + 120));
    const std::string text = read_file(out);
    if (code != 0) {
      fail("pgbench (" + std::to_string(clients) + " clients) exited " + std::to_string(code) + ":\n" + tail(text) +
           tail_of(err));
    }
    pgbench_result r;
    r.clients = clients;
    const std::string context = "pgbench's output:\n" + text;
    std::istringstream lines(text);
    bool have_tps = false;
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("tps = ") && line.find("without initial connection time") != std::string::npos) {
        r.tps = number_after(line, "tps = ", context);
        have_tps = true;
      } else if (line.starts_with("latency average = ")) {
        r.latency_ms = number_after(line, "latency average = ", context);
      } else if (line.starts_with("number of transactions actually processed: ")) {
        r.transactions =
            static_cast<std::size_t>(number_after(line, "number of transactions actually processed: ", context));
      }
    }
    if (!have_tps) fail("no 'tps = ... (without initial connection time)' line in " + context);
    const std::size_t rows = stored_rows("pgbench_rows");
    r.spent = end(before, client_cpu_s, "pgbench_rows", main_);
    std::printf("  %.0f tps, latency average %.3f ms, %zu transactions, %zu rows stored\n", r.tps, r.latency_ms,
                r.transactions, rows);
    if (rate > 0) {
      read_pgbench_log(dir_.path(), txn_log, r);
      std::printf("  latency from the moment sent (log, schedule lag left out): p50 %.3f ms p99 %.3f ms\n", r.p50_ms,
                  r.p99_ms);
    }
    std::printf("  %s\n", r.spent.per_unit(r.transactions, "txn", "pgbench", false).c_str());
    std::fflush(stdout);
    return r;
  }

  // Prints "LABEL: a b c; median m" and returns the median.
  static double print_median(const std::string& label, std::vector<double> values) {
    std::printf("%s:", label.c_str());
    for (double v : values) std::printf(" %.2f", v);
    std::sort(values.begin(), values.end());
    const double median = values.at(values.size() / 2);
    std::printf("; median %.2f\n", median);
    return median;
  }

  // a / b for each round, 0 where b is 0.
  using measure = double (*)(const round_result&);
  static std::vector<double> per_round(const std::vector<round_result>& rounds, measure a, measure b) {
    std::vector<double> out;
    for (const round_result& r : rounds) out.push_back(b(r) > 0 ? a(r) / b(r) : 0);
    return out;
  }

  void report() const {
    std::printf("\nrows: radbridge payload %zu B, ACK %zu B, row %zu B on average (pgbench rows: the same sizes)\n",
                stored_payload_bytes_, stored_ack_bytes_, stored_row_bytes_);
    std::printf("%-26s %11s %9s %10s %9s %9s %9s\n", "run", "connections", "messages", "msgs/s", "p50_ms", "p95_ms",
                "p99_ms");
    auto print = [](const replay_result& r, const std::string& label) {
      std::printf("%-26s %11zu %9zu %10.0f %9.3f %9.3f %9.3f\n", label.c_str(), r.connections, r.messages,
                  r.msgs_per_s, r.p50_ms, r.p95_ms, r.p99_ms);
    };
    for (std::size_t i = 0; i < single_.size(); ++i) print(single_[i].replay, "replay, round " + std::to_string(i + 1));
    for (std::size_t i = 0; i < single_.size(); ++i) {
      print(single_[i].unpolled, "  busy_poll_us 0, round " + std::to_string(i + 1));
    }
    for (std::size_t i = 0; i < rounds_.size(); ++i) print(rounds_[i].replay, "replay, round " + std::to_string(i + 1));
    print(paced_, "replay paced (--rate " + std::to_string(paced_rate) + ")");
    std::printf("%-26s %11s %9s %10s %9s %9s\n", "pgbench one row/commit", "clients", "txns", "tps", "avg_ms",
                "p99_ms");
    auto print_pgbench = [](const pgbench_result& r, const std::string& label) {
      std::printf("%-26s %11d %9zu %10.0f %9.3f %9s\n", label.c_str(), r.clients, r.transactions, r.tps, r.latency_ms,
                  r.p99_ms > 0 ? fmt_ms(r.p99_ms).c_str() : "-");
    };
    for (std::size_t i = 0; i < single_.size(); ++i) {
      print_pgbench(single_[i].pgbench, "pgbench, round " + std::to_string(i + 1));
    }
    for (std::size_t i = 0; i < rounds_.size(); ++i) {
      print_pgbench(rounds_[i].pgbench, "pgbench, round " + std::to_string(i + 1));
    }
    print_pgbench(paced_pgbench_, "pgbench paced (-R " + std::to_string(paced_rate) + ")");
    const measure replayed = [](const round_result& r) { return r.replay.msgs_per_s; };
    const measure unpolled = [](const round_result& r) { return r.unpolled.msgs_per_s; };
    const measure pgbench_tps = [](const round_result& r) { return r.pgbench.tps; };
    const double one = print_median("ratios per round (radbridge 1 connection / pgbench 1 client)",
                                    per_round(single_, replayed, pgbench_tps));
    const double one_unpolled =
        print_median("ratios per round (radbridge 1 connection with busy_poll_us 0 / pgbench 1 client)",
                     per_round(single_, unpolled, pgbench_tps));
    print_median("busy polling at 1 connection (msgs/s with the default / with busy_poll_us 0) per round",
                 per_round(single_, replayed, unpolled));
    const double sixteen = print_median("ratios per round (radbridge 16 connections / pgbench 16 clients)",
                                        per_round(rounds_, replayed, pgbench_tps));
    std::printf("target ratio >= 0.7 at 1 connection: %.2f, %s (with busy_poll_us 0: %.2f)\n", one,
                one >= 0.7 ? "met" : "MISSED", one_unpolled);
    std::printf("target ratio >= 2 at 16 connections: %.2f, %s\n", sixteen, sixteen >= 2 ? "met" : "MISSED");
    std::printf("target p99 ACK latency < 5 ms at a steady %d msgs/s: %.3f ms at %.0f msgs/s, %s "
                "(pgbench, one row per commit at the same rate: p99 %.3f ms)\n",
                paced_rate, paced_.p99_ms, paced_.msgs_per_s, paced_.p99_ms < 5 ? "met" : "MISSED",
                paced_pgbench_.p99_ms);
    std::printf("ratio_vs_pgbench_1_connection=%.2f\n", one);
    std::printf("ratio_vs_pgbench_1_connection_no_busy_poll=%.2f\n", one_unpolled);
    std::printf("ratio_vs_pgbench_16_connections=%.2f\n", sixteen);
    std::fflush(stdout);
  }

  const std::size_t n_;
  const std::string binary_ = RADBRIDGE_BINARY;
  // Declaration order is destruction order reversed: the engine stops first,
  // then PostgreSQL, then the folder goes.
  temp_folder dir_{"radbridge-ingest-bench"};
  std::optional<radbridge::test::postgres_server> pg_;
  engine main_{"engine"};         // the default configuration
  engine unpolled_{"engine-no-busy-poll"};  // with busy_poll_us 0, for the 1-connection comparison
  fs::path all_dir_, short_dir_;
  std::size_t average_bytes_ = 0;
  std::size_t stored_payload_bytes_ = 0, stored_ack_bytes_ = 0, stored_row_bytes_ = 0;
  int replays_ = 0;
  int pgbench_runs_ = 0;
  std::vector<round_result> single_;  // the paired runs at 1
  std::vector<round_result> rounds_;  // the paired runs at 16
  replay_result paced_;
  pgbench_result paced_pgbench_;  // the same steady rate, one row per commit
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = default_messages;
  if (argc > 2 || (argc == 2 && (std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help"))) {
    std::fprintf(stderr, "usage: ingest_bench [N]   (N messages, default %zu)\n", default_messages);
    return 2;
  }
  if (argc == 2) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || v == 0 || v > 10'000'000) {
      std::fprintf(stderr, "ingest_bench: N must be a number from 1 to 10000000, not '%s'\n", argv[1]);
      return 2;
    }
    n = static_cast<std::size_t>(v);
  }
  // A SIGPIPE must not end us before the destructors stop the engine.
  ::signal(SIGPIPE, SIG_IGN);
  try {
    bench_run run(n);
    return run.run();
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "ingest_bench: error: %s\n", e.what());
    return 1;
  }
}
