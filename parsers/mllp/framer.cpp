#include "mllp/framer.hpp"

#include <cstring>
#include <utility>

namespace radbridge::mllp {

namespace {

// memchr is typically vectorised, which matters because payloads are long
// and delimiters rare; std::find over char is not guaranteed to be.
const char* find_byte(const char* first, const char* last, char byte) noexcept {
    if (first == last) {
        return last;
    }
    const void* hit = std::memchr(first, static_cast<unsigned char>(byte),
                                  static_cast<std::size_t>(last - first));
    return hit != nullptr ? static_cast<const char*>(hit) : last;
}

std::size_t byte_count(const char* first, const char* last) noexcept {
    return static_cast<std::size_t>(last - first);
}

}  // namespace

std::string_view to_string(framer_errc errc) noexcept {
    switch (errc) {
    case framer_errc::missing_end_cr:
        return "missing_end_cr";
    case framer_errc::frame_too_large:
        return "frame_too_large";
    }
    // Reachable only through a cast from an out-of-range integer.
    return "unknown";
}

void framer::feed(std::span<const char> bytes) {
    const char* first = bytes.data();
    const char* const last = first + bytes.size();
    while (first != last) {
        switch (state_) {
        case state::outside_frame:
            first = skip_to_start(first, last);
            break;
        case state::in_payload:
            first = consume_payload(first, last);
            break;
        case state::end_seen:
            first = consume_end_cr(first);
            break;
        case state::optional_cr:
            state_ = state::outside_frame;
            if (*first == carriage_return) {
                ++first;
            }
            break;
        }
    }
}

std::optional<framer_event> framer::next() {
    if (events_.empty()) {
        return std::nullopt;
    }
    std::optional<framer_event> event{std::move(events_.front())};
    events_.pop_front();
    return event;
}

std::size_t framer::abandon_partial() noexcept {
    if (!in_frame()) {
        return 0;
    }
    const std::size_t before = discarded_;
    drop_frame(state_ == state::end_seen ? 2 : 1);
    state_ = state::outside_frame;
    return discarded_ - before;
}

bool framer::in_frame() const noexcept {
    return state_ == state::in_payload || state_ == state::end_seen;
}

const char* framer::skip_to_start(const char* first, const char* last) noexcept {
    const char* start = find_byte(first, last, start_block);
    discarded_ += byte_count(first, start);
    if (start == last) {
        return last;
    }
    state_ = state::in_payload;
    return start + 1;
}

const char* framer::consume_payload(const char* first, const char* last) {
    // Only look as far as one byte past the remaining room: that is enough to
    // tell "fits" from "too large", and it keeps a huge chunk belonging to an
    // oversized frame from being scanned (or buffered) needlessly.
    const std::size_t room = options_.max_frame_bytes - buffer_.size();
    const std::size_t available = byte_count(first, last);
    const char* const window_end = first + (available <= room ? available : room + 1);

    const char* delimiter = find_byte(first, window_end, end_block);
    delimiter = find_byte(first, delimiter, start_block);

    const std::size_t run = byte_count(first, delimiter);
    if (run > room) {
        drop_frame(1);
        events_.emplace_back(framer_errc::frame_too_large);
        state_ = state::outside_frame;
        // The rest of the oversized frame is left for skip_to_start, which
        // discards and counts it up to the next start block.
        return first;
    }
    // One append per run of payload bytes, so the buffer grows at most once
    // per chunk for a frame that spans many chunks.
    buffer_.append(first, run);
    if (delimiter == window_end) {
        return delimiter;
    }

    if (*delimiter == start_block) {
        drop_frame(1);  // truncated frame; the new start block opens a fresh one
        return delimiter + 1;
    }
    if (options_.lenient_end) {
        deliver_frame();
        state_ = state::optional_cr;
    } else {
        state_ = state::end_seen;
    }
    return delimiter + 1;
}

const char* framer::consume_end_cr(const char* first) {
    if (*first == carriage_return) {
        deliver_frame();
        state_ = state::outside_frame;
        return first + 1;
    }
    drop_frame(2);
    events_.emplace_back(framer_errc::missing_end_cr);
    state_ = state::outside_frame;
    // Not consumed: resynchronisation starts at this byte, so if it is a start
    // block (a sender that omits CRs) the next frame is not lost as well.
    return first;
}

void framer::deliver_frame() {
    events_.emplace_back(std::move(buffer_));
    buffer_.clear();  // a moved-from string is valid but not guaranteed empty
    ++frames_;
}

void framer::drop_frame(std::size_t framing_bytes) noexcept {
    discarded_ += framing_bytes + buffer_.size();
    buffer_.clear();
}

std::string wrap(std::string_view payload) {
    std::string frame;
    frame.reserve(payload.size() + 3);
    frame += start_block;
    frame += payload;
    frame += end_block;
    frame += carriage_return;
    return frame;
}

}  // namespace radbridge::mllp
