// How the fuzz targets report a broken invariant. FUZZ_CHECK(cond) and
// FUZZ_CHECK_MSG(cond, detail) print "FILE:LINE: invariant violated: COND",
// the detail (evaluated only when the check fails) and the bytes under test,
// then abort, so that libFuzzer keeps the input as a crash artifact.
//
// The bytes under test are those of the innermost live `subject` (none: only
// the detail is printed); a subject's destructor restores the one it
// replaced. Bytes are printed escaped (printable ASCII as is, \\ and \",
// anything else \xNN) and cut after `shown` bytes, so a binary input cannot
// garble the terminal. Not thread-safe: libFuzzer runs one input at a time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace radbridge::fuzz {

inline void print_escaped(const char* label, std::string_view bytes, std::size_t shown = 600) {
  std::fprintf(stderr, "%s (%zu bytes): \"", label, bytes.size());
  shown = std::min(shown, bytes.size());
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\\') {
      std::fputs("\\\\", stderr);
    } else if (c == '"') {
      std::fputs("\\\"", stderr);
    } else if (c >= 0x20 && c < 0x7f) {
      std::fputc(c, stderr);
    } else {
      std::fprintf(stderr, "\\x%02x", c);
    }
  }
  std::fputs(shown < bytes.size() ? "\"...\n" : "\"\n", stderr);
}

// What fail() prints after the detail: set by `subject`.
struct subject_bytes {
  std::string_view bytes;
  const char* label = nullptr;  // nullptr: nothing to print
  std::size_t shown = 0;
};
inline subject_bytes current_subject;

// The bytes an invariant is checked on, for the lifetime of a scope.
class subject {
 public:
  explicit subject(std::string_view bytes, const char* label = "input", std::size_t shown = 600)
      : saved_(current_subject) {
    current_subject = {bytes, label, shown};
  }
  ~subject() { current_subject = saved_; }
  subject(const subject&) = delete;
  subject& operator=(const subject&) = delete;

 private:
  subject_bytes saved_;
};

[[noreturn]] inline void fail(const char* file, int line, const char* what, std::string_view detail) {
  std::fprintf(stderr, "\n%s:%d: invariant violated: %s\n", file, line, what);
  if (!detail.empty()) print_escaped("detail", detail);
  if (current_subject.label != nullptr) print_escaped(current_subject.label, current_subject.bytes, current_subject.shown);
  std::fflush(stderr);
  std::abort();
}

}  // namespace radbridge::fuzz

#define FUZZ_CHECK_MSG(cond, detail)                                           \
  do {                                                                         \
    if (!(cond)) ::radbridge::fuzz::fail(__FILE_NAME__, __LINE__, #cond, (detail)); \
  } while (false)
#define FUZZ_CHECK(cond) FUZZ_CHECK_MSG(cond, std::string_view{})
