// fuzz_hl7: one libFuzzer target over the MLLP framer and the HL7 v2 codec.
//
// The whole input is a byte stream received on one connection. Its first four
// bytes choose how the stream is cut into feed() calls (byte k % 4 is the
// size of chunk k; 0 means "everything that is left") and the framer options
// (byte 1 bit 0: lenient_end; byte 2 bit 0: a small max_frame_bytes of
// 1 + byte 3). Those bytes are also part of the stream: bytes outside a frame
// are simply discarded, so a seed is "4 bytes of garbage, then MLLP frames".
//
// Checked for every input:
//  * the framer against a byte-at-a-time reference model of framer.hpp's
//    contract (same events in the same order, same counters), and chunked
//    feeding against feeding everything at once;
//  * every frame payload, and the raw input itself, through message::parse.
//    On success: segment/field accessors reassemble each segment, values
//    unescape to UTF-8 (or fail only with invalid_text, see message.hpp),
//    escape() round-trips, encode() re-parses to the same encode(),
//    write_json produces valid JSON, and the ACK built from peek_msh parses.
//    On failure: the error formats, and the NAK built from peek_msh +
//    ack_error::from(error) parses;
//  * hl7::parse_batch on the raw input.
// An invariant violation prints what failed and aborts, so libFuzzer keeps
// the input as a crash artifact.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "hl7/ack.hpp"
#include "hl7/batch.hpp"
#include "hl7/charset.hpp"
#include "hl7/error.hpp"
#include "hl7/escape.hpp"
#include "hl7/json_tree.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"
#include "hl7/peek.hpp"
#include "hl7/split.hpp"
#include "json/json_writer.hpp"
#include "json_check.hpp"
#include "mllp/framer.hpp"

namespace {

namespace hl7 = radbridge::hl7;
namespace mllp = radbridge::mllp;
namespace json = radbridge::json;

using radbridge::fuzz::subject;

// ---------------------------------------------------------------- framer

struct framing {
  std::vector<mllp::framer_event> events;
  std::size_t discarded = 0;
  std::uint64_t frames = 0;
  std::size_t buffered = 0;
  bool in_frame = false;
};

// framer.hpp's contract, one byte at a time, written independently of
// framer.cpp.
class reference_framer {
 public:
  explicit reference_framer(const mllp::framer_options& o) : options_(o) {}

  void feed(std::string_view bytes) {
    for (char b : bytes) byte(b);
  }

  framing result() const {
    framing r;
    r.events = events_;
    r.discarded = discarded_;
    r.frames = frames_;
    r.buffered = buffer_.size();
    r.in_frame = state_ == state::payload || state_ == state::end_seen;
    return r;
  }

 private:
  enum class state { outside, payload, end_seen, optional_cr };

  void deliver() {
    events_.emplace_back(buffer_);
    buffer_.clear();
    ++frames_;
  }

  void byte(char b) {
    for (;;) {
      switch (state_) {
        case state::outside:
          if (b == mllp::start_block) {
            state_ = state::payload;
          } else {
            ++discarded_;
          }
          return;
        case state::payload:
          if (b == mllp::start_block) {  // sender started over: drop silently
            discarded_ += 1 + buffer_.size();
            buffer_.clear();
            return;
          }
          if (b == mllp::end_block) {
            if (options_.lenient_end) {
              deliver();
              state_ = state::optional_cr;
            } else {
              state_ = state::end_seen;
            }
            return;
          }
          if (buffer_.size() == options_.max_frame_bytes) {
            discarded_ += 1 + buffer_.size();
            buffer_.clear();
            events_.emplace_back(mllp::framer_errc::frame_too_large);
            state_ = state::outside;
            continue;  // the excess byte is outside any frame now
          }
          buffer_.push_back(b);
          return;
        case state::end_seen:
          if (b == mllp::carriage_return) {
            deliver();
            state_ = state::outside;
            return;
          }
          discarded_ += 2 + buffer_.size();
          buffer_.clear();
          events_.emplace_back(mllp::framer_errc::missing_end_cr);
          state_ = state::outside;
          continue;  // resynchronise on this very byte
        case state::optional_cr:
          state_ = state::outside;
          if (b == mllp::carriage_return) return;
          continue;
      }
    }
  }

  mllp::framer_options options_;
  state state_ = state::outside;
  std::string buffer_;
  std::vector<mllp::framer_event> events_;
  std::size_t discarded_ = 0;
  std::uint64_t frames_ = 0;
};

void drain(mllp::framer& f, std::vector<mllp::framer_event>& out) {
  while (auto e = f.next()) out.push_back(std::move(*e));
}

framing run_framer(std::string_view stream, const mllp::framer_options& options,
                   std::span<const unsigned char> chunk_sizes) {
  mllp::framer f(options);
  framing r;
  std::size_t pos = 0;
  for (std::size_t k = 0; pos < stream.size(); ++k) {
    std::size_t n = chunk_sizes.empty() ? 0 : chunk_sizes[k % chunk_sizes.size()];
    if (n == 0) {
      f.feed(std::span<const char>(stream.data() + pos, 0));  // an empty read
      n = stream.size() - pos;
    }
    n = std::min(n, stream.size() - pos);
    f.feed(std::span<const char>(stream.data() + pos, n));
    pos += n;
    drain(f, r.events);
  }
  r.discarded = f.discarded_bytes();
  r.frames = f.frames();
  r.buffered = f.buffered_bytes();
  r.in_frame = f.in_frame();

  // abandon_partial: the frame in progress becomes discarded bytes.
  const std::size_t dropped = f.abandon_partial();
  FUZZ_CHECK(!f.in_frame());
  FUZZ_CHECK(f.buffered_bytes() == 0);
  FUZZ_CHECK(f.discarded_bytes() == r.discarded + dropped);
  FUZZ_CHECK(r.in_frame ? dropped >= r.buffered + 1 : dropped == 0);
  FUZZ_CHECK(!f.next().has_value());
  return r;
}

void check_same(const framing& a, const framing& b) {
  FUZZ_CHECK(a.events.size() == b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) FUZZ_CHECK(a.events[i] == b.events[i]);
  FUZZ_CHECK(a.discarded == b.discarded);
  FUZZ_CHECK(a.frames == b.frames);
  FUZZ_CHECK(a.buffered == b.buffered);
  FUZZ_CHECK(a.in_frame == b.in_frame);
}

// ---------------------------------------------------------------- HL7

bool valid_segment_name(std::string_view n) {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return n.size() == 3 && upper(n[0]) && (upper(n[1]) || digit(n[1])) && (upper(n[2]) || digit(n[2]));
}

bool is_header_name(std::string_view n) { return n == "MSH" || n == "FHS" || n == "BHS"; }

// message.hpp: a parsed message is safe to unescape anywhere, except for a
// hex escape naming bytes that are invalid in its charset; charset.hpp:
// every value the codec hands out is UTF-8.
void check_unescape_result(const hl7::result<std::string>& r) {
  if (!r) {
    FUZZ_CHECK_MSG(r.error().code == hl7::errc::invalid_text, r.error().to_string());
    return;
  }
  FUZZ_CHECK_MSG(hl7::find_invalid_text(*r, hl7::charset::utf8) == std::string::npos, *r);
}

std::string collapse_cr_runs(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\r' && !out.empty() && out.back() == '\r') continue;
    out.push_back(c);
  }
  return out;
}

void check_segments(const hl7::message& m) {
  const std::string_view bytes = m.bytes();
  const hl7::delimiters& d = m.delimiters();
  FUZZ_CHECK(m.segment_count() >= 1);
  FUZZ_CHECK(!bytes.empty() && bytes.back() == '\r');
  std::vector<std::pair<std::string_view, int>> seen;  // occurrences per name
  for (std::size_t s = 0; s < m.segment_count(); ++s) {
    const hl7::segment_view seg = m.segment(s);
    const std::string_view raw = seg.raw();
    const std::string_view name = seg.name();
    FUZZ_CHECK(seg.offset() + raw.size() < bytes.size());
    FUZZ_CHECK(bytes.substr(seg.offset(), raw.size()) == raw);
    FUZZ_CHECK(bytes[seg.offset() + raw.size()] == '\r');
    FUZZ_CHECK(raw.find('\r') == std::string_view::npos);
    FUZZ_CHECK(raw.substr(0, 3) == name);
    FUZZ_CHECK(valid_segment_name(name));
    FUZZ_CHECK(seg.is_header() == is_header_name(name));
    if (s == 0) FUZZ_CHECK(name == "MSH");

    const std::size_t separators = static_cast<std::size_t>(std::count(raw.begin(), raw.end(), d.field));
    FUZZ_CHECK(seg.field_count() == separators + (seg.is_header() ? 1 : 0));
    FUZZ_CHECK(!seg.find_field(0));
    FUZZ_CHECK(!seg.find_field(seg.field_count() + 1));
    FUZZ_CHECK(seg.field(seg.field_count() + 7).empty());

    // The fields put back together are the segment.
    std::string rebuilt(name);
    for (std::size_t f = 1; f <= seg.field_count(); ++f) {
      const auto field = seg.find_field(f);
      FUZZ_CHECK(field.has_value());
      FUZZ_CHECK(field->data() >= raw.data() && field->data() + field->size() <= raw.data() + raw.size());
      FUZZ_CHECK(seg.field(f) == *field);
      if (seg.is_header() && f == 1) {
        FUZZ_CHECK(field->size() == 1 && (*field)[0] == d.field);
        rebuilt.append(*field);
        continue;
      }
      if (seg.is_header() && f == 2) {
        rebuilt.append(*field);
        continue;
      }
      rebuilt.push_back(d.field);
      rebuilt.append(*field);

      // Every leaf, and larger slices, unescape.
      check_unescape_result(m.unescape(*field));
      hl7::for_each_piece(*field, d.repetition, [&](std::string_view rep) {
        hl7::for_each_piece(rep, d.component, [&](std::string_view comp) {
          hl7::for_each_piece(comp, d.subcomponent, [&](std::string_view leaf) {
            const auto text = m.unescape(leaf);
            check_unescape_result(text);
            // escape() of UTF-8 text reads back as itself (escape.hpp).
            if (text && m.charset() != hl7::charset::latin1) {
              std::string back;
              const auto e = hl7::unescape_into(back, hl7::escape(*text, d), d, m.charset());
              FUZZ_CHECK_MSG(!e && back == *text, hl7::escape(*text, d));
            }
          });
        });
      });
    }
    FUZZ_CHECK_MSG(rebuilt == raw, rebuilt);

    // find(name, n) finds this very segment.
    auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& p) { return p.first == name; });
    if (it == seen.end()) it = seen.insert(seen.end(), {name, 0});
    const int occurrence = ++it->second;
    const auto found = m.find(name, occurrence);
    FUZZ_CHECK(found.has_value() && found->offset() == seg.offset());
  }
  FUZZ_CHECK(!m.find("MSH", 0));
}

void check_values(const hl7::message& m) {
  const hl7::delimiters& d = m.delimiters();
  static const std::initializer_list<std::string_view> paths = {
      "MSH-1",   "MSH-2",       "MSH-9",      "MSH-9.1",     "MSH-9.2",   "MSH-10",   "MSH-12",
      "MSH-18",  "PID-3",       "PID-3[2].1", "PID-5.1.1",   "OBX[2]-5",  "OBX-5.1",  "OBX[2]-5[3].2.2",
      "NTE[3]-3", "ZPI-1[2].1", "BHS-9",      "MSH[2]-1",    "MSH-99999", "PV1-3.4.1"};
  for (std::string_view text : paths) {
    const auto p = hl7::parse_path(text);
    FUZZ_CHECK(p.has_value());
    FUZZ_CHECK(p->to_string() == text);
    const auto v = m.value(*p);
    check_unescape_result(v);
    const auto by_text = m.value(text);
    FUZZ_CHECK(by_text.has_value() == v.has_value());
    if (v) FUZZ_CHECK(*by_text == *v);
    const auto raw = m.raw(*p);
    if (!raw) FUZZ_CHECK(v && v->empty());
  }
  const auto msh1 = m.value("MSH-1");
  FUZZ_CHECK(msh1 && *msh1 == std::string(1, d.field));
  const auto msh2 = m.value("MSH-2");
  FUZZ_CHECK(msh2 && (msh2->size() == 4 || msh2->size() == 5));
  FUZZ_CHECK(msh2 && (*msh2)[0] == d.component && (*msh2)[1] == d.repetition && (*msh2)[2] == d.escape &&
             (*msh2)[3] == d.subcomponent);
  FUZZ_CHECK(!m.message_type().empty());
  FUZZ_CHECK(!m.control_id().empty());
  (void)m.trigger_event();
  FUZZ_CHECK(!m.value("pid-3"));

  const std::size_t n = m.bytes().size();
  for (std::size_t offset : {std::size_t{0}, std::size_t{3}, n / 3, n / 2, n - 1, n, n + 10}) {
    (void)m.locate(offset).to_string();
  }
}

void check_encode(const hl7::message& m) {
  const std::string encoded = m.encode();
  FUZZ_CHECK_MSG(encoded == collapse_cr_runs(m.bytes()), encoded);
  const auto again = hl7::message::parse(encoded);
  FUZZ_CHECK_MSG(again.has_value(), again.error().to_string());
  FUZZ_CHECK(again->segment_count() == m.segment_count());
  FUZZ_CHECK(again->encode() == encoded);
  FUZZ_CHECK(again->delimiters() == m.delimiters());
  FUZZ_CHECK(again->charset() == m.charset());
}

void check_json(const hl7::message& m, bool pretty) {
  json::writer w(pretty);
  const auto failure = hl7::write_json(m, w);
  if (failure) FUZZ_CHECK_MSG(failure->code == hl7::errc::invalid_text, failure->to_string());
  const std::string text = w.str();
  FUZZ_CHECK_MSG(radbridge::fuzz::valid_message_json(text, m.segment_count()), text);
}

// The ACK for `original` must be a message radbridge itself accepts.
// MSA-2 echoes MSH-10 byte for byte; only a control id that would break the
// ACK (a bad escape, bytes invalid in its charset, NUL) may be written otherwise.
bool plain_ascii(std::string_view raw, const hl7::delimiters& d) {
  return std::all_of(raw.begin(), raw.end(), [&](char c) {
    return static_cast<unsigned char>(c) < 0x80 && c != d.escape && c != d.field && c != '\r' && c != '\n' &&
           c != '\0';
  });
}

void check_ack(std::string_view original, const hl7::ack_request& request, bool original_parsed) {
  const hl7::msh_peek peek = hl7::peek_msh(original);
  if (peek.found) {
    // MSH-1 as written is the field separator, unless it clashes with the
    // defaults peek falls back to for an unusable MSH-2.
    FUZZ_CHECK(!peek.encoding.empty());
    FUZZ_CHECK(peek.encoding[0] == peek.delimiters.field || peek.delimiters == hl7::delimiters{});
  }
  (void)hl7::should_send(peek, request.kind, request.code);
  const auto ack = hl7::build_ack(peek, request);
  if (!ack) {
    FUZZ_CHECK(peek.message_type() == "ACK");
    return;
  }
  FUZZ_CHECK(!ack->empty() && ack->back() == '\r');
  const auto parsed = hl7::message::parse(*ack);
  FUZZ_CHECK_MSG(parsed.has_value(), "ACK rejected: " + parsed.error().to_string() + "; ACK: " + *ack);
  FUZZ_CHECK(parsed->delimiters() == peek.delimiters);
  FUZZ_CHECK(parsed->message_type() == "ACK");
  const auto msa = parsed->find("MSA");
  FUZZ_CHECK(msa.has_value());
  if (original_parsed || plain_ascii(peek.control_id(), peek.delimiters)) {
    FUZZ_CHECK_MSG(msa->field(2) == peek.control_id(), *ack);
  }
  const auto msa1 = parsed->value("MSA-1");
  FUZZ_CHECK(msa1 && *msa1 == hl7::ack_code_text(hl7::mode_of(peek), request.kind, request.code));
  const auto msh10 = parsed->value("MSH-10");
  FUZZ_CHECK_MSG(msh10 && *msh10 == request.control_id, *ack);
  check_segments(*parsed);
  check_encode(*parsed);
}

void check_parsed(const hl7::message& m) {
  check_segments(m);
  check_values(m);
  check_encode(m);
  check_json(m, (m.bytes().size() & 1) != 0);
}

void check_message(std::string_view bytes) {
  const subject scope(bytes, "subject");
  const auto m = hl7::message::parse(bytes);
  if (m) {
    check_parsed(*m);
    // The ACK for an accepted message.
    hl7::ack_request request;
    request.code = hl7::ack_code::accept;
    request.kind = hl7::ack_kind::application;
    request.control_id = "RB|1^2~3\\4&5";  // delimiters in the text get escaped
    request.timestamp = "20261123125600+0000";
    check_ack(m->bytes(), request, true);
    return;
  }
  const hl7::error& e = m.error();
  (void)e.where.to_string();
  (void)e.to_string();
  (void)hl7::to_string(e.code);
  const int code = hl7::hl7_error_code(e.code);
  FUZZ_CHECK(!hl7::error_code_text(code).empty());
  if (e.code != hl7::errc::frame_too_large) FUZZ_CHECK(e.offset <= bytes.size() + 1);

  // The NAK for a rejected message.
  hl7::ack_request request;
  request.code = e.code == hl7::errc::missing_msh ? hl7::ack_code::reject : hl7::ack_code::error;
  request.kind = hl7::ack_kind::accept;
  request.errors.push_back(hl7::ack_error::from(e));
  request.control_id = "RB0001";
  request.timestamp = "20261123125600+0000";
  check_ack(bytes, request, false);
}

void check_batch(std::string_view bytes) {
  const subject scope(bytes, "subject");
  (void)hl7::looks_like_batch(bytes);
  const auto b = hl7::parse_batch(bytes);
  if (!b) {
    (void)b.error().to_string();
    return;
  }
  for (const hl7::message& m : b->messages) {
    check_segments(m);
    check_encode(m);
  }
  if (b->envelope) {
    const hl7::message& env = *b->envelope;
    FUZZ_CHECK(env.segment_count() >= 1);
    for (std::string_view path : {"FHS-9", "BHS-9", "BTS-1", "FTS-1", "BHS-11.1"}) {
      (void)env.value(path);
    }
    (void)env.encode();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const subject scope(input, "subject");

  // Framing, chunked as the first bytes say, against the reference model and
  // against one single feed().
  mllp::framer_options options;
  if (size >= 4) {
    options.lenient_end = (data[1] & 1) != 0;
    if ((data[2] & 1) != 0) options.max_frame_bytes = std::size_t{1} + data[3];
  }
  const std::span<const unsigned char> chunk_sizes(data, std::min<std::size_t>(size, 4));
  const framing chunked = run_framer(input, options, chunk_sizes);
  reference_framer reference(options);
  reference.feed(input);
  check_same(chunked, reference.result());
  check_same(chunked, run_framer(input, options, {}));

  for (const mllp::framer_event& e : chunked.events) {
    if (e.is_frame()) {
      check_message(e.payload());
    } else {
      FUZZ_CHECK(!mllp::to_string(e.error()).empty());
    }
  }

  // The input as a bare message (file drop) and as a batch file.
  check_message(input);
  check_batch(input);
  return 0;
}
