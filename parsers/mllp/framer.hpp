// MLLP framer: turns an arbitrary stream of received bytes into complete MLLP
// frame payloads (start block 0x0B, payload, end block 0x1C, carriage return
// 0x0D), so the transport code can hand whatever a read() returned to feed()
// and never think about where one message stops and the next begins.
//
// Guarantees: frames split over any number of feed() calls and many frames in
// one call come out identically and in arrival order; a partial frame is never
// reported as a message; the payload buffer is bounded by max_frame_bytes
// (excess is dropped, not buffered); every byte fed is either part of a
// delivered frame (including its framing bytes), still part of the frame in
// progress, or counted in discarded_bytes(). Expected protocol failures are
// reported as framer_errc values in the event stream, never thrown, and the
// framer always resynchronises on the next start block by itself.
//
// Not provided: any I/O, timers or ACK generation (in_frame() and
// abandon_partial() let the caller implement inter-byte timeouts); HL7
// validation or character-set handling of the payload; thread safety (use one
// framer per connection). MLLP has no escaping, so a payload that itself
// contains 0x0B or 0x1C cannot be carried, and wrap() does not check for it.
// Only allocation failure (std::bad_alloc) can throw out of feed(); after that
// the framer's position in the stream is lost and it should be discarded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace radbridge::mllp {

inline constexpr char start_block = '\x0B';
inline constexpr char end_block = '\x1C';
inline constexpr char carriage_return = '\x0D';

enum class framer_errc {
    // 0x1C was followed by something other than 0x0D (strict mode only). The
    // frame is dropped rather than guessed at, because a lone 0x1C is as likely
    // to be corruption as a sender that forgot the CR.
    missing_end_cr,
    // The payload grew past framer_options::max_frame_bytes; reported when the
    // first excess byte arrives so a runaway sender cannot exhaust memory.
    frame_too_large,
};

// Short, stable identifiers ("missing_end_cr", "frame_too_large") suitable for
// logs and metrics labels; they will not change between releases.
[[nodiscard]] std::string_view to_string(framer_errc errc) noexcept;

struct framer_options {
    // Largest accepted payload, excluding the three framing bytes.
    std::size_t max_frame_bytes = std::size_t{16} * 1024 * 1024;
    // Accept 0x1C without a following 0x0D as the end of a frame. The frame is
    // delivered as soon as the 0x1C arrives (a sender that omits the CR will be
    // waiting for our ACK, not sending more); a 0x0D arriving next is still
    // swallowed as part of that frame, any other byte is treated as being
    // outside a frame.
    bool lenient_end = false;
};

// One result of framing: either a complete payload or an error.
class framer_event {
public:
    explicit framer_event(std::string payload) noexcept : value_(std::move(payload)) {}
    explicit framer_event(framer_errc errc) noexcept : value_(errc) {}

    [[nodiscard]] bool is_frame() const noexcept { return value_.index() == 0; }
    [[nodiscard]] bool is_error() const noexcept { return value_.index() == 1; }

    // Precondition: is_frame(). Violations throw std::bad_variant_access, as
    // they are programming errors rather than protocol failures.
    [[nodiscard]] const std::string& payload() const& { return std::get<std::string>(value_); }
    [[nodiscard]] std::string payload() && { return std::get<std::string>(std::move(value_)); }

    // Precondition: is_error(); same treatment of violations as payload().
    [[nodiscard]] framer_errc error() const { return std::get<framer_errc>(value_); }

    friend bool operator==(const framer_event&, const framer_event&) = default;

private:
    std::variant<std::string, framer_errc> value_;
};

// Incremental MLLP frame decoder for one byte stream (one connection).
//
// A start block seen inside a frame (before its end block) is taken to mean
// the sender gave up on the previous frame and started over, as senders do
// after a write timeout: the partial frame is counted as discarded, silently
// (there is no error event for it), and the new frame is collected.
class framer {
public:
    framer() = default;
    explicit framer(framer_options options) noexcept : options_(options) {}

    // Consumes all of `bytes`; completed frames and errors are queued for
    // next(). Call next() until it is empty after each feed() so the queue
    // stays bounded by one chunk's worth. Note that a string literal converts
    // to a span that includes its terminating NUL.
    void feed(std::span<const char> bytes);

    // Oldest queued event, or nullopt when everything fed so far has been
    // reported.
    [[nodiscard]] std::optional<framer_event> next();

    // Drops the frame in progress (e.g. on an inter-byte timeout or when the
    // connection closes), counting its bytes as discarded; returns how many
    // bytes that was. Queued events and counters are kept.
    std::size_t abandon_partial() noexcept;

    // True while a start block has been seen and its frame is not finished,
    // i.e. the peer owes us more bytes.
    [[nodiscard]] bool in_frame() const noexcept;
    // Payload bytes of the frame in progress (framing bytes not included).
    [[nodiscard]] std::size_t buffered_bytes() const noexcept { return buffer_.size(); }
    // Total bytes thrown away so far: bytes outside frames, abandoned or
    // truncated frames and frames that ended in an error, framing included.
    [[nodiscard]] std::size_t discarded_bytes() const noexcept { return discarded_; }
    // Complete frames delivered to the event queue so far.
    [[nodiscard]] std::uint64_t frames() const noexcept { return frames_; }

    [[nodiscard]] const framer_options& options() const noexcept { return options_; }

private:
    enum class state {
        outside_frame,  // discarding until a start block
        in_payload,     // start block seen, collecting payload
        end_seen,       // strict mode: 0x1C seen, 0x0D required next
        optional_cr,    // lenient mode: frame delivered, a 0x0D may follow
    };

    const char* skip_to_start(const char* first, const char* last) noexcept;
    const char* consume_payload(const char* first, const char* last);
    const char* consume_end_cr(const char* first);
    void deliver_frame();
    void drop_frame(std::size_t framing_bytes) noexcept;

    framer_options options_{};
    state state_ = state::outside_frame;
    std::string buffer_;
    std::deque<framer_event> events_;
    std::size_t discarded_ = 0;
    std::uint64_t frames_ = 0;
};

// Frames `payload` for sending: 0x0B + payload + 0x1C 0x0D.
[[nodiscard]] std::string wrap(std::string_view payload);

}  // namespace radbridge::mllp
