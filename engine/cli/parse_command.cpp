#include "cli/parse_command.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "hl7/batch.hpp"
#include "hl7/json_tree.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"
#include "hl7/split.hpp"
#include "json/json_writer.hpp"

namespace radbridge::cli {

namespace {

constexpr std::string_view parse_usage =
    "usage: radbridge parse [--json | --path EXPR] FILE|- [FILE...]\n"
    "  (no option)   one summary line per message\n"
    "  --json        the message as a JSON tree (an array for batch files)\n"
    "  --path EXPR   one value per message, e.g. PID-3[2].1, OBX[3]-5.1, MSH-9.2\n";

struct options {
  bool json = false;
  std::optional<hl7::path> path;
  std::vector<std::string_view> files;
};

std::optional<std::string> read_all(std::string_view name, std::istream& in, std::string& problem) {
  if (name == "-") {
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::ifstream file{std::string(name), std::ios::binary};
  if (!file) {
    problem = std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream content;
  content << file.rdbuf();
  return std::move(content).str();
}

std::string_view first_component(std::string_view raw, char sep) { return *hl7::nth_piece(raw, sep, 1); }

std::string summary(const hl7::message& m) {
  const hl7::segment_view msh = m.segment(0);
  const char comp = m.delimiters().component;
  const char* charset = m.charset() == hl7::charset::latin1 ? "8859/1"
                        : m.charset() == hl7::charset::utf8 ? "UTF-8"
                                                            : "ascii";
  return fmt::format("{}^{} v{} id={} from {}@{} segments={} charset={}", m.message_type(), m.trigger_event(),
                     msh.field(12), m.control_id(), first_component(msh.field(3), comp),
                     first_component(msh.field(4), comp), m.segment_count(), charset);
}

// Prints one message the way the options ask; returns an error to report.
std::optional<hl7::error> print_message(const hl7::message& m, const options& opt, std::ostream& out,
                                        std::string_view label) {
  if (opt.path) {
    const auto raw = m.raw(*opt.path);
    if (raw && hl7::is_null(*raw)) {
      out << "\"\"\n";
      return std::nullopt;
    }
    auto value = m.value(*opt.path);
    if (!value) return value.error();
    out << *value << '\n';
    return std::nullopt;
  }
  out << label << ": " << summary(m) << '\n';
  return std::nullopt;
}

std::optional<hl7::error> print_json(const std::vector<const hl7::message*>& messages, bool as_array,
                                     std::ostream& out) {
  json::writer w(true);
  if (as_array) w.begin_array();
  for (const hl7::message* m : messages) {
    if (auto e = hl7::write_json(*m, w)) return e;
  }
  if (as_array) w.end_array();
  out << w.str() << '\n';
  return std::nullopt;
}

// Parses and prints one file; returns false when it was not valid HL7.
bool process_file(std::string_view name, const options& opt, std::istream& in, std::ostream& out,
                  std::ostream& err) {
  std::string problem;
  auto bytes = read_all(name, in, problem);
  if (!bytes) {
    err << "radbridge: " << name << ": cannot read: " << problem << '\n';
    return false;
  }
  auto report = [&](const hl7::error& e) {
    err << "radbridge: " << name << ": " << e.to_string() << '\n';
    return false;
  };
  std::vector<const hl7::message*> messages;
  std::optional<hl7::batch> batch;
  std::optional<hl7::message> single;
  if (hl7::looks_like_batch(*bytes)) {
    auto parsed = hl7::parse_batch(*bytes);
    if (!parsed) return report(parsed.error());
    batch = std::move(*parsed);
    for (const auto& m : batch->messages) messages.push_back(&m);
  } else {
    auto parsed = hl7::message::parse(std::move(*bytes));
    if (!parsed) return report(parsed.error());
    single = std::move(*parsed);
    messages.push_back(&*single);
  }

  if (opt.json) {
    if (auto e = print_json(messages, batch.has_value(), out)) return report(*e);
    return true;
  }
  if (batch && !opt.path) out << name << ": batch of " << messages.size() << " messages\n";
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const std::string label = batch ? fmt::format("{}[{}]", name, i + 1) : std::string(name);
    if (auto e = print_message(*messages[i], opt, out, label)) return report(*e);
  }
  return true;
}

}  // namespace

int run_parse(std::span<const std::string_view> args, std::istream& in, std::ostream& out, std::ostream& err) {
  options opt;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      out << parse_usage;
      return exit_ok;
    } else if (a == "--json") {
      opt.json = true;
    } else if (a == "--path") {
      if (i + 1 == args.size()) {
        err << "radbridge parse: --path needs an expression\n" << parse_usage;
        return exit_usage;
      }
      const std::string_view expr = args[++i];
      auto p = hl7::parse_path(expr);
      if (!p) {
        err << "radbridge parse: bad path expression '" << expr << "' at character " << p.error().offset + 1
            << " (grammar: SEG[n]-F[r].C.S, e.g. PID-3[2].1)\n";
        return exit_usage;
      }
      opt.path = *p;
    } else if (a.size() > 1 && a.starts_with('-')) {
      err << "radbridge parse: unknown option '" << a << "'\n" << parse_usage;
      return exit_usage;
    } else {
      opt.files.push_back(a);
    }
  }
  if (opt.files.empty() || (opt.json && opt.path)) {
    err << parse_usage;
    return exit_usage;
  }
  bool all_ok = true;
  for (std::string_view file : opt.files) {
    all_ok = process_file(file, opt, in, out, err) && all_ok;
  }
  return all_ok ? exit_ok : exit_failure;
}

}  // namespace radbridge::cli
