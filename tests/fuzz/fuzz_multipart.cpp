// fuzz_multipart: one libFuzzer target over the multipart/* reader
// (parsers/multipart/multipart.hpp).
//
// Input format: the first line (up to the first LF; a CR before it is
// dropped) is the Content-Type value, e.g.
//   multipart/related; type="application/dicom"; boundary=XyZ-42
// and every byte after that LF is the body, binary. An input without LF is a
// Content-Type value with an empty body. So a seed is a readable file: the
// header value, then the body as a server would send it (with CRLFs).
//
// Everything else is derived from a hash (FNV-1a) of the whole input, so
// that every mutation also tries other splits and limits:
//  * where the body is cut into 2 or 3 pieces for the chunked reader;
//  * in one input of four, tight limits (max_parts 0..3, max_header_bytes
//    0..63, max_bytes 0..body size + 1) instead of the defaults.
//
// Checked for every input:
//  * no crash, leak or undefined behaviour (ASan + UBSan);
//  * a bad Content-Type gives exactly parse_content_type's or boundary_of's
//    error, with an offset inside the value;
//  * the chunked reader (2-3 pieces, and one byte at a time for bodies up to
//    512 bytes) gives the same parts, or the same error at the same offset,
//    as the one-shot parse. The one exception is by design: a body over
//    max_bytes is too_large at once for parse, while a chunked reader may
//    first find an error in the pieces before the limit;
//  * every part body lies within the body (no longer than it, all of them
//    together no longer than it, and found in it), header names are tokens,
//    names and values hold no CR, LF or NUL, parts respect max_parts, error
//    offsets lie within the body;
//  * a parsed message written back (boundary, headers, bodies) parses to the
//    same parts.
// An invariant violation prints what failed and aborts, so libFuzzer keeps
// the input as a crash artifact.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fnv1a.hpp"
#include "fuzz_check.hpp"
#include "multipart/multipart.hpp"

namespace {

namespace mp = radbridge::multipart;

using outcome = mp::result<std::vector<mp::part>>;

std::string describe(const outcome& o) {
  if (!o) return "error " + o.error().to_string();
  std::string s = std::to_string(o->size()) + " parts:";
  for (const mp::part& p : *o) s += " [" + std::to_string(p.headers.size()) + " headers, " +
                                    std::to_string(p.body.size()) + " bytes]";
  return s;
}

bool same_parts(const std::vector<mp::part>& a, const std::vector<mp::part>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].body != b[i].body || a[i].headers.size() != b[i].headers.size()) return false;
    for (std::size_t h = 0; h < a[i].headers.size(); ++h) {
      if (a[i].headers[h].name != b[i].headers[h].name || a[i].headers[h].value != b[i].headers[h].value)
        return false;
    }
  }
  return true;
}

// The body fed to a reader in pieces, cut at `cuts` (ascending, within the body).
outcome read_in_pieces(const std::string& boundary, const mp::limits& limits, std::string_view body,
                       const std::vector<std::size_t>& cuts) {
  mp::reader r(boundary, limits);
  std::vector<mp::part> parts;
  std::size_t from = 0;
  auto feed = [&](std::size_t to) -> std::optional<mp::error> {
    const auto e = r.feed(body.substr(from, to - from));
    from = to;
    while (auto p = r.next()) parts.push_back(std::move(*p));
    return e;
  };
  for (const std::size_t cut : cuts) {
    if (auto e = feed(cut)) {
      FUZZ_CHECK(r.feed("x") == e);  // a failed reader stays failed
      FUZZ_CHECK(r.finish() == e);
      FUZZ_CHECK(!r.next());
      return *e;
    }
  }
  if (auto e = feed(body.size())) return *e;
  if (auto e = r.finish()) {
    FUZZ_CHECK(r.finish() == e);
    return *e;
  }
  while (auto p = r.next()) parts.push_back(std::move(*p));
  FUZZ_CHECK(r.done());
  FUZZ_CHECK(r.bytes_fed() == body.size());
  FUZZ_CHECK(r.parts_started() == parts.size());
  return parts;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool no_line_breaks(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos; }

void check_parts(const std::vector<mp::part>& parts, std::string_view body, const mp::limits& limits) {
  FUZZ_CHECK(parts.size() <= limits.max_parts);
  std::size_t total = 0;
  for (const mp::part& p : parts) {
    FUZZ_CHECK(p.body.size() <= body.size());
    total += p.body.size();
    FUZZ_CHECK(total <= body.size());
    FUZZ_CHECK(body.find(p.body) != std::string_view::npos);
    for (const mp::header& h : p.headers) {
      FUZZ_CHECK_MSG(is_token(h.name), h.name);
      FUZZ_CHECK_MSG(no_line_breaks(h.value), h.value);
      FUZZ_CHECK(h.value.empty() || (h.value.front() != ' ' && h.value.front() != '\t' && h.value.back() != ' ' &&
                                     h.value.back() != '\t'));
    }
    (void)p.content_type();
  }
}

// The parts written back as a body that the reader must read the same way.
std::string write_back(const std::string& boundary, const std::vector<mp::part>& parts) {
  std::string out;
  for (const mp::part& p : parts) {
    out += (out.empty() ? "--" : "\r\n--") + boundary + "\r\n";
    for (const mp::header& h : p.headers) out += h.name + ": " + h.value + "\r\n";
    out += "\r\n";
    out += p.body;
  }
  out += (out.empty() ? "--" : "\r\n--") + boundary + "--";
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const radbridge::fuzz::subject scope(input);
  const std::size_t lf = input.find('\n');
  std::string_view type_value = input.substr(0, lf);
  if (!type_value.empty() && type_value.back() == '\r') type_value.remove_suffix(1);
  const std::string_view body = lf == std::string_view::npos ? std::string_view{} : input.substr(lf + 1);

  const std::uint64_t h = radbridge::fuzz::fnv1a(input);
  mp::limits limits;
  if ((h & 3) == 0) {
    limits.max_parts = (h >> 2) & 3;
    limits.max_header_bytes = (h >> 4) & 63;
    limits.max_bytes = (h >> 10) % (body.size() + 2);
  }

  const auto whole = mp::parse(type_value, body, limits);
  if (!whole) (void)whole.error().to_string();

  // Content-Type errors come first, and are exactly those of its parser.
  const auto type = mp::parse_content_type(type_value);
  if (!type) {
    FUZZ_CHECK(!whole && whole.error() == type.error());
    FUZZ_CHECK(type.error().offset <= type_value.size());
    return 0;
  }
  (void)type->media_type();
  const auto boundary = mp::boundary_of(*type);
  if (!boundary) {
    FUZZ_CHECK(!whole && whole.error() == boundary.error());
    return 0;
  }
  if (whole) {
    FUZZ_CHECK(whole->boundary == *boundary);
    check_parts(whole->parts, body, limits);
  } else {
    const mp::error e = whole.error();
    FUZZ_CHECK(!mp::to_string(e.code).empty());
    if (e.code == mp::errc::too_large) {
      FUZZ_CHECK(body.size() > limits.max_bytes && e.offset == limits.max_bytes);
    } else {
      FUZZ_CHECK_MSG(e.offset <= body.size(), e.to_string());
    }
  }
  const outcome reference = whole ? outcome(whole->parts) : outcome(whole.error());

  // The same body in 2 or 3 pieces, cut where the hash says.
  std::vector<std::size_t> cuts = {static_cast<std::size_t>((h >> 20) % (body.size() + 1))};
  if (((h >> 19) & 1) != 0) cuts.push_back(static_cast<std::size_t>((h >> 40) % (body.size() + 1)));
  std::sort(cuts.begin(), cuts.end());
  std::vector<std::vector<std::size_t>> splits = {cuts};
  if (body.size() <= 512) {
    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < body.size(); ++i) every_byte.push_back(i);
    splits.push_back(std::move(every_byte));
  }
  for (const auto& split : splits) {
    const outcome chunked = read_in_pieces(*boundary, limits, body, split);
    if (body.size() > limits.max_bytes) {
      // parse saw too_large at once; pieces before the limit may fail first.
      FUZZ_CHECK_MSG(!chunked, describe(chunked));
      FUZZ_CHECK(chunked.error().code == mp::errc::too_large || chunked.error().offset <= limits.max_bytes);
      continue;
    }
    FUZZ_CHECK_MSG(chunked.has_value() == reference.has_value(), describe(chunked) + " vs " + describe(reference));
    if (reference) {
      FUZZ_CHECK_MSG(same_parts(*chunked, *reference), describe(chunked) + " vs " + describe(reference));
    } else {
      FUZZ_CHECK_MSG(chunked.error() == reference.error(),
                     chunked.error().to_string() + " vs " + reference.error().to_string());
    }
  }

  // Written back, the parts read the same.
  if (whole) {
    const std::string again_body = write_back(*boundary, whole->parts);
    const auto again = mp::parse(type_value, again_body);
    FUZZ_CHECK_MSG(again.has_value(), again ? std::string() : again.error().to_string());
    FUZZ_CHECK(same_parts(again->parts, whole->parts));
  }
  return 0;
}
