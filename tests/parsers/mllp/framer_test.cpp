#include "mllp/framer.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace mllp = radbridge::mllp;

namespace {

const std::string sb{mllp::start_block};
const std::string eb{mllp::end_block};
const std::string cr{mllp::carriage_return};

const std::string hl7_message =
    "MSH|^~\\&|RIS|RAD|PACS|RAD|20240101120000||ORM^O01|MSG00001|P|2.5\r"
    "PID|1||12345^^^HOSP^MR||DOE^JANE||19700101|F\r"
    "OBR|1|ACC123||71020^CHEST XRAY^CPT\r";

void feed(mllp::framer& f, std::string_view bytes) {
    f.feed(std::span<const char>{bytes.data(), bytes.size()});
}

std::vector<mllp::framer_event> drain(mllp::framer& f) {
    std::vector<mllp::framer_event> events;
    while (auto event = f.next()) {
        events.push_back(std::move(*event));
    }
    return events;
}

std::vector<mllp::framer_event> frame_all(std::string_view bytes, mllp::framer_options options = {}) {
    mllp::framer f{options};
    feed(f, bytes);
    return drain(f);
}

bool is_payload(const mllp::framer_event& event, std::string_view expected) {
    return event.is_frame() && event.payload() == expected;
}

bool is_error(const mllp::framer_event& event, mllp::framer_errc expected) {
    return event.is_error() && event.error() == expected;
}

}  // namespace

TEST_CASE("mllp framer: single frame in one feed") {
    mllp::framer f;
    feed(f, sb + hl7_message + eb + cr);

    auto events = drain(f);
    REQUIRE(events.size() == 1);
    CHECK(is_payload(events[0], hl7_message));
    CHECK(f.frames() == 1);
    CHECK(f.discarded_bytes() == 0);
    CHECK_FALSE(f.in_frame());
    CHECK(f.buffered_bytes() == 0);
    CHECK_FALSE(f.next().has_value());
}

TEST_CASE("mllp framer: frame split at every byte boundary") {
    const std::string wire = sb + hl7_message + eb + cr;

    SUBCASE("one byte at a time") {
        mllp::framer f;
        std::vector<mllp::framer_event> events;
        for (std::size_t i = 0; i < wire.size(); ++i) {
            feed(f, std::string_view{wire}.substr(i, 1));
            auto got = drain(f);
            // Nothing may surface before the final CR has arrived.
            if (i + 1 < wire.size()) {
                REQUIRE(got.empty());
            }
            events.insert(events.end(), got.begin(), got.end());
        }
        REQUIRE(events.size() == 1);
        CHECK(is_payload(events[0], hl7_message));
        CHECK(f.frames() == 1);
        CHECK(f.discarded_bytes() == 0);
        CHECK_FALSE(f.in_frame());
    }

    SUBCASE("two pieces at every split point") {
        for (std::size_t split = 0; split <= wire.size(); ++split) {
            CAPTURE(split);
            mllp::framer f;
            feed(f, std::string_view{wire}.substr(0, split));
            auto first = drain(f);
            CHECK(first.empty() == (split < wire.size()));
            feed(f, std::string_view{wire}.substr(split));
            auto second = drain(f);
            first.insert(first.end(), second.begin(), second.end());
            REQUIRE(first.size() == 1);
            CHECK(is_payload(first[0], hl7_message));
            CHECK(f.discarded_bytes() == 0);
            CHECK_FALSE(f.in_frame());
        }
    }
}

TEST_CASE("mllp framer: three frames in one feed") {
    const auto events = frame_all(sb + "A|1" + eb + cr + sb + "B|22" + eb + cr + sb + "C|333" + eb + cr);
    REQUIRE(events.size() == 3);
    CHECK(is_payload(events[0], "A|1"));
    CHECK(is_payload(events[1], "B|22"));
    CHECK(is_payload(events[2], "C|333"));
}

TEST_CASE("mllp framer: garbage before the start block is discarded and counted") {
    mllp::framer f;
    feed(f, "noise\r\n\x1c\x0d");  // 9 bytes, including a stray end block and CR
    CHECK(f.discarded_bytes() == 9);
    CHECK_FALSE(f.in_frame());
    CHECK_FALSE(f.next().has_value());

    feed(f, "xy" + sb + "PAYLOAD" + eb + cr);
    const auto events = drain(f);
    REQUIRE(events.size() == 1);
    CHECK(is_payload(events[0], "PAYLOAD"));
    CHECK(f.discarded_bytes() == 11);
}

TEST_CASE("mllp framer: garbage between frames is counted") {
    mllp::framer f;
    feed(f, sb + "ONE" + eb + cr + "\r\n\n" + sb + "TWO" + eb + cr + "abcd" + sb + "THREE" + eb + cr + "zz");
    const auto events = drain(f);
    REQUIRE(events.size() == 3);
    CHECK(is_payload(events[0], "ONE"));
    CHECK(is_payload(events[1], "TWO"));
    CHECK(is_payload(events[2], "THREE"));
    CHECK(f.discarded_bytes() == 3 + 4 + 2);
    CHECK(f.frames() == 3);
}

TEST_CASE("mllp framer: end block without CR is missing_end_cr, then resynchronises") {
    SUBCASE("followed by garbage") {
        mllp::framer f;
        feed(f, sb + "BAD" + eb + "X" + sb + "GOOD" + eb + cr);
        const auto events = drain(f);
        REQUIRE(events.size() == 2);
        CHECK(is_error(events[0], mllp::framer_errc::missing_end_cr));
        CHECK(is_payload(events[1], "GOOD"));
        // 0x0B + "BAD" + 0x1C, then the 'X' outside any frame.
        CHECK(f.discarded_bytes() == 6);
        CHECK(f.frames() == 1);
    }

    SUBCASE("followed directly by the next start block") {
        mllp::framer f;
        feed(f, sb + "BAD" + eb + sb + "GOOD" + eb + cr);
        const auto events = drain(f);
        REQUIRE(events.size() == 2);
        CHECK(is_error(events[0], mllp::framer_errc::missing_end_cr));
        CHECK(is_payload(events[1], "GOOD"));
        CHECK(f.discarded_bytes() == 5);
    }

    SUBCASE("end block and next byte in separate feeds") {
        mllp::framer f;
        feed(f, sb + "BAD" + eb);
        CHECK_FALSE(f.next().has_value());
        CHECK(f.in_frame());
        feed(f, "Q");
        auto event = f.next();
        REQUIRE(event.has_value());
        CHECK(is_error(*event, mllp::framer_errc::missing_end_cr));
        CHECK_FALSE(f.in_frame());
    }
}

TEST_CASE("mllp framer: lenient_end accepts an end block without CR") {
    const mllp::framer_options lenient{.max_frame_bytes = 1024, .lenient_end = true};

    SUBCASE("followed by garbage and a good frame") {
        mllp::framer f{lenient};
        feed(f, sb + "BAD" + eb + "X" + sb + "GOOD" + eb + cr);
        const auto events = drain(f);
        REQUIRE(events.size() == 2);
        CHECK(is_payload(events[0], "BAD"));
        CHECK(is_payload(events[1], "GOOD"));
        CHECK(f.discarded_bytes() == 1);  // only the 'X'
        CHECK(f.frames() == 2);
    }

    SUBCASE("followed directly by the next start block") {
        const auto events = frame_all(sb + "A" + eb + sb + "B" + eb, lenient);
        REQUIRE(events.size() == 2);
        CHECK(is_payload(events[0], "A"));
        CHECK(is_payload(events[1], "B"));
    }

    SUBCASE("frame is delivered before the byte after the end block arrives") {
        mllp::framer f{lenient};
        feed(f, sb + "NOCR" + eb);
        auto event = f.next();
        REQUIRE(event.has_value());
        CHECK(is_payload(*event, "NOCR"));
        CHECK_FALSE(f.in_frame());
        // A late CR still belongs to that frame and is not garbage.
        feed(f, cr);
        CHECK(f.discarded_bytes() == 0);
        CHECK_FALSE(f.next().has_value());
    }
}

TEST_CASE("mllp framer: frame over the limit is frame_too_large, next frame delivered") {
    const mllp::framer_options small{.max_frame_bytes = 5, .lenient_end = false};

    SUBCASE("in one feed") {
        mllp::framer f{small};
        feed(f, sb + "123456" + eb + cr + sb + "OK" + eb + cr);
        const auto events = drain(f);
        REQUIRE(events.size() == 2);
        CHECK(is_error(events[0], mllp::framer_errc::frame_too_large));
        CHECK(is_payload(events[1], "OK"));
        CHECK(f.discarded_bytes() == 9);  // the whole oversized frame, framing included
        CHECK(f.frames() == 1);
    }

    SUBCASE("reported as soon as the limit is crossed, without buffering the rest") {
        mllp::framer f{small};
        feed(f, sb + "12345");
        CHECK_FALSE(f.next().has_value());
        CHECK(f.buffered_bytes() == 5);
        feed(f, "6");
        auto event = f.next();
        REQUIRE(event.has_value());
        CHECK(is_error(*event, mllp::framer_errc::frame_too_large));
        CHECK(f.buffered_bytes() == 0);
        CHECK_FALSE(f.in_frame());

        feed(f, std::string(1000, 'x'));
        CHECK(f.buffered_bytes() == 0);
        CHECK_FALSE(f.next().has_value());
        feed(f, eb + cr + sb + "OK" + eb + cr);
        const auto events = drain(f);
        REQUIRE(events.size() == 1);
        CHECK(is_payload(events[0], "OK"));
        CHECK(f.discarded_bytes() == 1 + 6 + 1000 + 2);
    }

    SUBCASE("byte by byte never buffers past the limit") {
        mllp::framer f{small};
        const std::string wire = sb + std::string(50, 'y') + eb + cr + sb + "OK" + eb + cr;
        std::vector<mllp::framer_event> events;
        for (char c : wire) {
            feed(f, std::string_view{&c, 1});
            CHECK(f.buffered_bytes() <= 5);
            for (auto& e : drain(f)) {
                events.push_back(std::move(e));
            }
        }
        REQUIRE(events.size() == 2);
        CHECK(is_error(events[0], mllp::framer_errc::frame_too_large));
        CHECK(is_payload(events[1], "OK"));
    }
}

TEST_CASE("mllp framer: payload exactly at the limit is accepted") {
    const auto events = frame_all(sb + "12345" + eb + cr, {.max_frame_bytes = 5, .lenient_end = false});
    REQUIRE(events.size() == 1);
    CHECK(is_payload(events[0], "12345"));

    const auto empty_only = frame_all(sb + eb + cr + sb + "x" + eb + cr, {.max_frame_bytes = 0, .lenient_end = false});
    REQUIRE(empty_only.size() == 2);
    CHECK(is_payload(empty_only[0], ""));
    CHECK(is_error(empty_only[1], mllp::framer_errc::frame_too_large));
}

TEST_CASE("mllp framer: partial frame at end of input is not returned") {
    mllp::framer f;
    feed(f, sb + "MSH|partial");
    CHECK_FALSE(f.next().has_value());
    CHECK(f.in_frame());
    CHECK(f.buffered_bytes() == 11);
    CHECK(f.frames() == 0);

    feed(f, eb);  // end block seen, CR still owed
    CHECK_FALSE(f.next().has_value());
    CHECK(f.in_frame());

    feed(f, cr);
    auto event = f.next();
    REQUIRE(event.has_value());
    CHECK(is_payload(*event, "MSH|partial"));
    CHECK_FALSE(f.in_frame());
}

TEST_CASE("mllp framer: abandon_partial drops the frame in progress") {
    mllp::framer f;
    feed(f, sb + "HALF");
    CHECK(f.abandon_partial() == 5);
    CHECK_FALSE(f.in_frame());
    CHECK(f.discarded_bytes() == 5);
    CHECK(f.abandon_partial() == 0);

    feed(f, sb + "AB" + eb);
    CHECK(f.abandon_partial() == 4);
    feed(f, cr + sb + "NEXT" + eb + cr);
    const auto events = drain(f);
    REQUIRE(events.size() == 1);
    CHECK(is_payload(events[0], "NEXT"));
    CHECK(f.discarded_bytes() == 5 + 4 + 1);
}

TEST_CASE("mllp framer: a start block inside a frame restarts the frame") {
    mllp::framer f;
    feed(f, sb + "TRUNC" + sb + "WHOLE" + eb + cr);
    const auto events = drain(f);
    REQUIRE(events.size() == 1);
    CHECK(is_payload(events[0], "WHOLE"));
    CHECK(f.discarded_bytes() == 6);  // 0x0B + "TRUNC"

    // Same across a feed boundary.
    mllp::framer g;
    feed(g, sb + "TRUNC");
    feed(g, sb + "WHOLE" + eb + cr);
    const auto split_events = drain(g);
    REQUIRE(split_events.size() == 1);
    CHECK(is_payload(split_events[0], "WHOLE"));
    CHECK(g.discarded_bytes() == 6);
}

TEST_CASE("mllp framer: wrap round-trips through the framer") {
    CHECK(mllp::wrap("AB") == sb + "AB" + eb + cr);

    mllp::framer f;
    const std::string wire = mllp::wrap(hl7_message) + mllp::wrap("") + mllp::wrap("MSH|x");
    // Uneven chunks that straddle frame boundaries.
    for (std::size_t pos = 0; pos < wire.size(); pos += 7) {
        feed(f, std::string_view{wire}.substr(pos, 7));
    }
    const auto events = drain(f);
    REQUIRE(events.size() == 3);
    CHECK(is_payload(events[0], hl7_message));
    CHECK(is_payload(events[1], ""));
    CHECK(is_payload(events[2], "MSH|x"));
    CHECK(f.discarded_bytes() == 0);
}

TEST_CASE("mllp framer: empty payload frame gives an empty payload") {
    mllp::framer f;
    feed(f, sb + eb + cr);
    auto event = f.next();
    REQUIRE(event.has_value());
    REQUIRE(event->is_frame());
    CHECK(event->payload().empty());
    CHECK(f.frames() == 1);
}

TEST_CASE("mllp framer: error codes have stable names") {
    CHECK(mllp::to_string(mllp::framer_errc::missing_end_cr) == "missing_end_cr");
    CHECK(mllp::to_string(mllp::framer_errc::frame_too_large) == "frame_too_large");
}

TEST_CASE("mllp framer: random streams frame identically however they are chunked") {
    // Mostly delimiters, so every state transition and error path is hit often.
    const char alphabet[] = {mllp::start_block, mllp::end_block, mllp::carriage_return, 'a', 'b'};
    std::mt19937 rng{20240101u};
    std::uniform_int_distribution<std::size_t> pick{0, sizeof alphabet - 1};
    std::uniform_int_distribution<std::size_t> length{0, 400};
    std::uniform_int_distribution<std::size_t> chunk{1, 9};

    for (int round = 0; round < 300; ++round) {
        std::string wire(length(rng), '\0');
        for (char& c : wire) {
            c = alphabet[pick(rng)];
        }
        for (const bool lenient : {false, true}) {
            CAPTURE(round);
            CAPTURE(lenient);
            const mllp::framer_options options{.max_frame_bytes = 6, .lenient_end = lenient};

            mllp::framer whole{options};
            feed(whole, wire);
            const auto expected = drain(whole);

            mllp::framer pieces{options};
            std::vector<mllp::framer_event> got;
            for (std::size_t pos = 0; pos < wire.size();) {
                const std::size_t n = chunk(rng);
                feed(pieces, std::string_view{wire}.substr(pos, n));
                pos += n;
                CHECK(pieces.buffered_bytes() <= options.max_frame_bytes);
                for (auto& e : drain(pieces)) {
                    got.push_back(std::move(e));
                }
            }
            CHECK(got == expected);
            CHECK(pieces.discarded_bytes() == whole.discarded_bytes());
            CHECK(pieces.frames() == whole.frames());
            CHECK(pieces.in_frame() == whole.in_frame());

            if (!lenient) {
                // Every byte is accounted for: delivered frames (3 framing
                // bytes each) plus discarded bytes plus the abandoned tail.
                std::size_t delivered = 0;
                for (const auto& e : expected) {
                    if (e.is_frame()) {
                        delivered += e.payload().size() + 3;
                    }
                }
                whole.abandon_partial();
                CHECK(delivered + whole.discarded_bytes() == wire.size());
            }
        }
    }
}
