#include "hostile/hostile_case.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "mllp/framer.hpp"

namespace radbridge::test::hostile {

namespace {

namespace fs = std::filesystem;

constexpr char vt = '\x0b';

std::string header(std::string_view control_id, std::string_view type) {
  return "MSH|^~\\&|HOSTILE|EVILCORP|RADBRIDGE|AI|20260101120000||" + std::string(type) + "|" +
         std::string(control_id) + "|P|2.5.1\r";
}

std::string order(std::string_view control_id) {
  return header(control_id, "ORM^O01") + "PID|1||MRN1^^^GENHOSP^MR||TESTPATIENT^ALPHA\rORC|NW|" +
         std::string(control_id) + "\r";
}

// splitmix64: a fixed stream for a seed, the same on every platform.
struct splitmix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

// One function per generated case; each .expect that names it says what it makes.
const std::map<std::string_view, std::function<std::string(std::size_t)>>& generators() {
  static const std::map<std::string_view, std::function<std::string(std::size_t)>> table = {
      // 1 MiB of pseudo-random bytes (splitmix64, seed 15), 0x0B made 0x0A: no frame ever starts.
      {"garbage_1mib",
       [](std::size_t) {
         splitmix64 rng{15};
         std::string out(std::size_t{1} << 20, '\0');
         for (char& c : out) {
           c = static_cast<char>(rng.next() & 0xff);
           if (c == vt) c = '\x0a';
         }
         return out;
       }},
      // An SIU^S12 whose NTE-3 fills the payload to max + 1 bytes.
      {"over_limit",
       [](std::size_t max) {
         std::string p = header("OL-1", "SIU^S12") + "NTE|1||";
         p.append(max + 1 - p.size(), 'x');
         return mllp::wrap(p);
       }},
      // A start block and 8 MiB of 'A', never ended.
      {"over_limit_unterminated", [](std::size_t) { return vt + std::string(std::size_t{8} << 20, 'A'); }},
      // A payload of exactly max bytes of 'A'.
      {"at_limit_garbage", [](std::size_t max) { return mllp::wrap(std::string(max, 'A')); }},
      // An SIU^S12 of exactly max bytes, its last segment without a CR.
      {"at_limit_message",
       [](std::size_t max) {
         std::string p = header("AT-1", "SIU^S12") + "NTE|1||";
         p.append(max - p.size(), 'x');
         return mllp::wrap(p);
       }},
      // MSH, PID, ORC and 9,998 NTE: 10,001 segments.
      {"too_many_segments",
       [](std::size_t) {
         std::string p = order("TS-1");
         for (int i = 1; i <= 9998; ++i) p += "NTE|" + std::to_string(i) + "\r";
         return mllp::wrap(p);
       }},
      // An order whose NTE-3 is 900,000 'A' and then \Q\ (an unknown escape).
      {"huge_field_bad_escape",
       [](std::size_t) { return mllp::wrap(order("HF-1") + "NTE|1||" + std::string(900'000, 'A') + "\\Q\\\r"); }},
      // An SIU^S12 with a 1,000,000-byte OBX-5.
      {"huge_field_unsupported_type",
       [](std::size_t) {
         return mllp::wrap(header("HF-2", "SIU^S12") + "OBX|1|TX|T||" + std::string(1'000'000, 'x') + "\r");
       }},
      // An SIU^S12 whose OBX-5 is 200,000 '^'.
      {"many_components",
       [](std::size_t) {
         return mllp::wrap(header("MC-1", "SIU^S12") + "OBX|1|ST|C||" + std::string(200'000, '^') + "\r");
       }},
      // An SIU^S12 whose OBX-5 is 200,000 '&'.
      {"many_subcomponents",
       [](std::size_t) {
         return mllp::wrap(header("MS-1", "SIU^S12") + "OBX|1|ST|C||" + std::string(200'000, '&') + "\r");
       }},
      // An SIU^S12 and 500,000 CRs.
      {"blank_line_flood",
       [](std::size_t) { return mllp::wrap(header("BL-1", "SIU^S12") + std::string(500'000, '\r')); }},
      // 300,000 CRLFs.
      {"crlf_flood",
       [](std::size_t) {
         std::string p;
         for (int i = 0; i < 300'000; ++i) p += "\r\n";
         return mllp::wrap(p);
       }},
      // An order with NTE-3 = an escape character, 60,000 'A' and the segment's CR.
      {"long_unterminated_escape",
       [](std::size_t) { return mllp::wrap(order("EL-1") + "NTE|1||\\" + std::string(60'000, 'A') + "\r"); }},
      // An SIU^S12 with a 65,536-byte MSH-10.
      {"long_control_id", [](std::size_t) { return mllp::wrap(header(std::string(65'536, 'C'), "SIU^S12")); }},
  };
  return table;
}

// \xNN in a value is the byte NN; everything else is literal.
std::string decode_value(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 3 < v.size() && v[i + 1] == 'x' && std::isxdigit(static_cast<unsigned char>(v[i + 2])) &&
        std::isxdigit(static_cast<unsigned char>(v[i + 3]))) {
      unsigned value = 0;
      std::from_chars(v.data() + i + 2, v.data() + i + 4, value, 16);
      out += static_cast<char>(value);
      i += 3;
    } else {
      out += v[i];
    }
  }
  return out;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in) throw std::runtime_error(p.string() + ": cannot read");
  return std::move(s).str();
}

struct parsed_expect {
  expectation expect;
  std::string description;
  std::string generator;
};

parsed_expect parse_expect(const fs::path& file) {
  parsed_expect out;
  std::istringstream lines(read_bytes(file));
  std::set<std::string> seen;
  std::size_t line_number = 0;
  auto fail = [&](const std::string& reason) {
    throw std::runtime_error(file.string() + ":" + std::to_string(line_number) + ": " + reason);
  };
  auto number = [&](const std::string& key, const std::string& text) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size()) fail(key + " is not a number: " + text);
    return n;
  };
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    if (line.starts_with('#')) {
      const std::size_t text = std::min(line.find_first_not_of("# "), line.size());
      out.description += (out.description.empty() ? "" : " ") + line.substr(text);
      continue;
    }
    std::istringstream tokens(line);
    for (std::string token; tokens >> token;) {
      const std::size_t eq = token.find('=');
      if (eq == std::string::npos) fail("expected key=value, got " + token);
      const std::string key = token.substr(0, eq);
      const std::string value = decode_value(std::string_view(token).substr(eq + 1));
      if (!seen.insert(key).second) fail("key " + key + " given twice");
      expectation& e = out.expect;
      if (key == "ack") {
        if (value != "AE" && value != "AR" && value != "CE" && value != "CR") fail("ack must be AE, AR, CE or CR");
        e.kind = reply_kind::nak;
        e.ack = value;
      } else if (key == "err3") {
        e.err3 = value;
      } else if (key == "locator") {
        e.locator = value;
      } else if (key == "msa2") {
        e.msa2 = value;
      } else if (key == "count") {
        e.count = static_cast<std::size_t>(number(key, value));
      } else if (key == "reply") {
        if (value != "none") fail("reply must be none");
        e.kind = reply_kind::none;
      } else if (key == "close") {
        if (value != "frame_too_large" && value != "timeout") fail("close must be frame_too_large or timeout");
        e.kind = reply_kind::close;
        e.close = value;
      } else if (key == "discarded") {
        e.discarded = number(key, value);
      } else if (key == "generate") {
        out.generator = value;
      } else {
        fail("unknown key " + key);
      }
    }
  }
  const int outcomes = static_cast<int>(seen.contains("ack")) + static_cast<int>(seen.contains("reply")) +
                       static_cast<int>(seen.contains("close"));
  if (outcomes != 1) fail("exactly one of ack=, reply= and close= is needed");
  if (seen.contains("ack") && (!seen.contains("err3") || !seen.contains("locator"))) {
    fail("ack= needs err3= and locator=");
  }
  if (!seen.contains("ack") && (seen.contains("err3") || seen.contains("locator") || seen.contains("msa2") ||
                                seen.contains("count"))) {
    fail("err3=, locator=, msa2= and count= go with ack=");
  }
  if (seen.contains("close") && seen.contains("discarded")) fail("discarded= does not go with close=");
  return out;
}

}  // namespace

std::optional<std::string> generate(std::string_view name, std::size_t max_frame_bytes) {
  const auto& table = generators();
  const auto it = table.find(name);
  if (it == table.end()) return std::nullopt;
  return it->second(max_frame_bytes);
}

std::vector<hostile_case> load_corpus(const fs::path& folder, std::size_t max_frame_bytes) {
  std::set<std::string> expects;
  std::set<std::string> inputs;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const fs::path& p = entry.path();
    const std::string ext = p.extension().string();
    if (ext == ".expect") {
      expects.insert(p.stem().string());
    } else if (ext == ".frame" || ext == ".stream") {
      inputs.insert(p.filename().string());
    } else {
      throw std::runtime_error(p.string() + ": not a case file (.expect, .frame or .stream)");
    }
  }
  for (const std::string& input : inputs) {
    if (!expects.contains(fs::path(input).stem().string())) {
      throw std::runtime_error((folder / input).string() + ": no .expect for this input");
    }
  }
  std::vector<hostile_case> cases;
  for (const std::string& name : expects) {
    const fs::path expect_file = folder / (name + ".expect");
    parsed_expect parsed = parse_expect(expect_file);
    const bool has_frame = inputs.contains(name + ".frame");
    const bool has_stream = inputs.contains(name + ".stream");
    const int sources = static_cast<int>(has_frame) + static_cast<int>(has_stream) +
                        static_cast<int>(!parsed.generator.empty());
    if (sources != 1) {
      throw std::runtime_error(expect_file.string() + ": needs exactly one input: " + name + ".frame, " + name +
                               ".stream or generate=");
    }
    hostile_case c;
    c.name = name;
    c.description = std::move(parsed.description);
    c.expect = std::move(parsed.expect);
    if (has_frame) {
      c.bytes = mllp::wrap(read_bytes(folder / (name + ".frame")));
    } else if (has_stream) {
      c.bytes = read_bytes(folder / (name + ".stream"));
    } else {
      auto bytes = generate(parsed.generator, max_frame_bytes);
      if (!bytes) throw std::runtime_error(expect_file.string() + ": unknown generator " + parsed.generator);
      c.bytes = std::move(*bytes);
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace radbridge::test::hostile
