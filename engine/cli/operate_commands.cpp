#include "cli/operate_commands.hpp"

#include <charconv>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "store/admin_store.hpp"
#include "store/audit_store.hpp"
#include "store/feedback_store.hpp"
#include "store/outbound_store.hpp"
#include "store/store_error.hpp"

namespace radbridge::cli {

namespace {

constexpr std::string_view requeue_usage =
    "usage: radbridge requeue [--db CONNINFO | --db-file FILE] [--destination NAME] [--id N]...\n"
    "  puts dead letters back on their lanes (all, one destination's, or the given ids)\n";
constexpr std::string_view audit_usage =
    "usage: radbridge audit [--db CONNINFO | --db-file FILE] STUDY_KEY\n"
    "  what happened to a study (accession number or Study Instance UID): jobs, inferences, outbound messages\n";

constexpr std::string_view dead_letters_usage =
    "usage: radbridge dead-letters [--db CONNINFO | --db-file FILE] [--destination NAME] [--limit N]\n"
    "  lists dead letters, oldest first (at most N, default 100)\n";

struct queue_options {
  database_options db;
  std::optional<std::string> destination;
  std::string conninfo;  // resolved from db, or RADBRIDGE_DB
};

// An option of one command: "" when it took `name value`, else the problem.
using extra_option = std::function<std::string(std::string_view name, std::string_view value)>;

// The options requeue and dead-letters share (--db, --db-file,
// --destination; any other `--name value` goes to `extra`) and the database
// they name. Returns the exit code to end with (help, bad usage, an unusable
// --db-file), or nullopt to go on with `o` filled in.
std::optional<int> read_queue_options(std::string_view command, std::string_view usage,
                                      std::span<const std::string_view> args, const extra_option& extra,
                                      queue_options& o, std::ostream& out, std::ostream& err) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      out << usage;
      return exit_ok;
    }
    if (i + 1 >= args.size()) {
      err << "radbridge " << command << ": " << a << " needs a value\n" << usage;
      return exit_usage;
    }
    const std::string_view v = args[++i];
    if (a == "--db") {
      o.db.conninfo = v;
    } else if (a == "--db-file") {
      o.db.file = v;
    } else if (a == "--destination") {
      o.destination = std::string(v);
    } else if (const std::string problem = extra(a, v); !problem.empty()) {
      err << "radbridge " << command << ": " << problem << '\n' << usage;
      return exit_usage;
    }
  }
  int code = exit_ok;
  const std::optional<std::string> found = database_conninfo_or_say(command, o.db, {}, err, code);
  if (!found) return code;
  if (found->empty()) {
    err << "radbridge " << command << ": no database: give --db or --db-file, or set RADBRIDGE_DB\n";
    return exit_usage;
  }
  o.conninfo = *found;
  return std::nullopt;
}

void write_audit_text(std::ostream& out, const std::vector<store::job_record>& jobs) {
  for (const store::job_record& j : jobs) {
    out << fmt::format("job {} route {} ({}): {}{}, started by message {} at {}{}\n", j.id, j.route, work::to_string(j.mode),
                       work::to_string(j.status),
                       j.acuity.empty() ? "" : ", acuity " + j.acuity, j.control_id, j.created_at,
                       j.finished_at.empty() ? "" : ", finished " + j.finished_at);
    if (!j.error.empty()) out << fmt::format("  error after {} attempt(s): {}\n", j.attempts, j.error);
    if (!j.cancelled_by.empty()) {
      out << fmt::format("  {} by message {}\n", j.withdrawn ? "results withdrawn" : "cancelled", j.cancelled_by);
    }
    for (const store::inference_record& i : j.inferences) {
      out << fmt::format("  inference {} {} (sha256 {}) on series {} of study {}\n    timings {}\n    findings {}\n",
                         i.model, i.model_version, i.model_sha256.substr(0, 16), i.series_uid, i.study_uid,
                         i.timings_json, i.findings_json);
    }
    for (const store::outbound_status& o : j.outbound) {
      const std::string revision =
          o.revision == work::revision::original ? "" : std::string(work::to_string(o.revision)) + " ";
      out << fmt::format("  outbound {} {}{} to {}: {} after {} attempt(s){}\n", work::to_string(o.output), revision,
                         o.identity, o.destination, work::to_string(o.status), o.attempts, o.last_error.empty() ? "" : " (last error: " + o.last_error + ")");
    }
  }
}

// What the radiologists said, oldest first; a replaced verdict says so.
void write_feedback_text(std::ostream& out, const std::vector<store::feedback_entry>& feedback) {
  for (const store::feedback_entry& f : feedback) {
    const std::string said = f.verdict ? std::string(work::to_string(*f.verdict)) : fmt::format("{}", f.value.value_or(0));
    const std::string from = f.source == work::feedback_source::report
                                 ? fmt::format("{} report, message {}", work::to_string(f.report_status.value_or(work::report_status::final)), f.inbound_id)
                                 : fmt::format("{} on job {}{}", f.author, f.job_id,
                                               f.comment.empty() ? "" : ": " + f.comment);
    out << fmt::format("radiologist on route {}: {} {} ({}) at {}{}\n", f.route, f.label, said, from, f.recorded_at,
                       f.superseded_at.empty() ? "" : ", superseded " + f.superseded_at);
  }
}

}  // namespace

int run_requeue(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::vector<std::int64_t> ids;
  queue_options o;
  const extra_option id = [&](std::string_view name, std::string_view value) -> std::string {
    if (name != "--id") return fmt::format("unknown option '{}'", name);
    try {
      ids.push_back(std::stoll(std::string(value)));
      return {};
    } catch (const std::exception&) {
      return fmt::format("--id needs a number, not '{}'", value);
    }
  };
  if (const std::optional<int> done = read_queue_options("requeue", requeue_usage, args, id, o, out, err)) return *done;
  try {
    store::database db(o.conninfo);
    const std::size_t n = store::requeue_dead(db, o.destination, ids);
    out << fmt::format("requeued {} dead letter{}\n", n, n == 1 ? "" : "s");
    return exit_ok;
  } catch (const store::store_error& e) {
    err << "radbridge requeue: " << e.what() << '\n';
    return exit_failure;
  }
}

int run_dead_letters(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::size_t limit = 100;
  queue_options o;
  const extra_option limit_option = [&](std::string_view name, std::string_view value) -> std::string {
    if (name != "--limit") return fmt::format("unknown option '{}'", name);
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
    if (ec == std::errc() && end == value.data() + value.size() && limit > 0 && limit <= 100000) return {};
    return fmt::format("--limit needs a number from 1 to 100000, not '{}'", value);
  };
  if (const std::optional<int> done =
          read_queue_options("dead-letters", dead_letters_usage, args, limit_option, o, out, err)) {
    return *done;
  }
  try {
    store::database db(o.conninfo);
    const std::vector<store::dead_letter> letters = store::dead_letters(db, o.destination, limit);
    for (const store::dead_letter& d : letters) {
      out << fmt::format("{} {} {} {} attempts {} queued {}: {}\n", d.id, d.destination, d.output, d.identity,
                         d.attempts, d.created_at, d.last_error);
    }
    out << fmt::format("{} dead letter{}\n", letters.size(), letters.size() == 1 ? "" : "s");
    return exit_ok;
  } catch (const store::store_error& e) {
    err << "radbridge dead-letters: " << e.what() << '\n';
    return exit_failure;
  }
}

int run_audit(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  database_options db_options;
  std::optional<std::string_view> key;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      out << audit_usage;
      return exit_ok;
    }
    if (a == "--db" && i + 1 < args.size()) {
      db_options.conninfo = args[++i];
    } else if (a == "--db-file" && i + 1 < args.size()) {
      db_options.file = args[++i];
    } else if (a.starts_with("--") || key) {
      err << "radbridge audit: unexpected '" << a << "'\n" << audit_usage;
      return exit_usage;
    } else {
      key = a;
    }
  }
  int code = exit_ok;
  const std::optional<std::string> found = database_conninfo_or_say("audit", db_options, {}, err, code);
  if (!found) return code;
  const std::string& conninfo = *found;
  if (!key || conninfo.empty()) {
    err << (key ? "radbridge audit: no database: give --db or --db-file, or set RADBRIDGE_DB\n" : "") << audit_usage;
    return exit_usage;
  }
  try {
    store::database db(conninfo);
    const std::vector<store::job_record> jobs = store::audit_study(db, *key);
    if (jobs.empty()) {
      err << "radbridge audit: no job for study key '" << *key << "'\n";
      return exit_failure;
    }
    write_audit_text(out, jobs);
    write_feedback_text(out, store::study_feedback(db, *key));
    return exit_ok;
  } catch (const store::store_error& e) {
    err << "radbridge audit: " << e.what() << '\n';
    return exit_failure;
  }
}

}  // namespace radbridge::cli
