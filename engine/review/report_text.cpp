#include "review/report_text.hpp"

#include <algorithm>
#include <array>

namespace radbridge::review {

namespace {

using words = std::vector<std::string>;

bool word_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '\'' || u >= 0x80;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

words split_words(std::string_view text) {
  words out;
  std::string current;
  for (char c : text) {
    c = lower(c);
    if (word_byte(c)) {
      current += c;
    } else if (!current.empty()) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

struct clause {
  words text;
  bool question = false;  // ended with "?"
};

bool is_scope_break(const std::string& w) {
  static constexpr std::array<std::string_view, 6> breaks{"but", "however", "although", "though", "except", "whereas"};
  return std::find(breaks.begin(), breaks.end(), w) != breaks.end();
}

// Clauses end at . ; : ! ? and line breaks (a '.' between digits is a decimal point), and at scope breaks.
std::vector<clause> split_clauses(std::string_view text) {
  std::vector<clause> out;
  std::size_t start = 0;
  auto close = [&](std::size_t end, bool question) {
    clause c;
    c.question = question;
    for (std::string& w : split_words(text.substr(start, end - start))) {
      if (is_scope_break(w)) {
        if (!c.text.empty()) out.push_back(std::exchange(c, clause{}));
        c.question = question;
        continue;
      }
      c.text.push_back(std::move(w));
    }
    if (!c.text.empty()) out.push_back(std::move(c));
    start = end + 1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool decimal = c == '.' && i > 0 && i + 1 < text.size() && text[i - 1] >= '0' && text[i - 1] <= '9' &&
                         text[i + 1] >= '0' && text[i + 1] <= '9';
    if ((c == '.' && !decimal) || c == ';' || c == ':' || c == '!' || c == '?' || c == '\n' || c == '\r') {
      close(i, c == '?');
    }
  }
  close(text.size(), false);
  return out;
}

std::vector<words> phrases(std::initializer_list<std::string_view> list) {
  std::vector<words> out;
  for (std::string_view p : list) out.push_back(split_words(p));
  return out;
}

const std::vector<words>& uncertain_before() {
  static const std::vector<words> p = phrases({"possible", "possibly", "probable", "questionable", "question of", "suspicious for", "suspected",
                  "suspect", "may represent", "may be", "could represent", "could be", "cannot exclude",
                  "can not exclude", "cannot rule out", "can not rule out", "rule out", "r/o", "equivocal",
                  "concern for", "concerning for", "versus", "vs"});
  return p;
}

const std::vector<words>& uncertain_after() {
  static const std::vector<words> p = phrases({"not excluded", "cannot be excluded", "can not be excluded", "not ruled out", "cannot be ruled out",
                  "not entirely excluded", "is possible", "is suspected", "is questioned", "versus", "vs"});
  return p;
}

const std::vector<words>& negated_before() {
  static const std::vector<words> p = phrases({"no", "not", "without", "negative for", "absence of", "absent", "free of", "nor", "resolution of"});
  return p;
}

const std::vector<words>& negated_after() {
  static const std::vector<words> p = phrases({"absent", "not seen", "not identified", "not present", "not demonstrated", "not visualized",
                  "not visualised", "excluded", "ruled out", "resolved"});
  return p;
}

bool phrase_at(const words& w, std::size_t at, const words& phrase) {
  if (at + phrase.size() > w.size()) return false;
  return std::equal(phrase.begin(), phrase.end(), w.begin() + static_cast<std::ptrdiff_t>(at));
}

// Whether a phrase starts at a word in [from, to) and ends by word `limit`.
bool any_phrase_in(const words& w, std::size_t from, std::size_t to, std::size_t limit,
                   const std::vector<words>& list) {
  for (std::size_t i = from; i < to; ++i) {
    for (const words& phrase : list) {
      if (i + phrase.size() <= limit && phrase_at(w, i, phrase)) return true;
    }
  }
  return false;
}

// The word matches the term's word, or (for the term's last word) its plural.
bool word_matches(const std::string& word, const std::string& term_word, bool last) {
  if (word == term_word) return true;
  if (!last || word.size() <= term_word.size() || word.compare(0, term_word.size(), term_word) != 0) return false;
  const std::string_view rest = std::string_view(word).substr(term_word.size());
  return rest == "s" || rest == "es";
}

constexpr std::size_t words_before = 6;
constexpr std::size_t words_after = 4;

}  // namespace

std::optional<work::verdict> text_verdict(std::string_view text, const std::vector<std::string>& terms) {
  std::vector<words> term_words;
  for (const std::string& t : terms) {
    words w = split_words(t);
    if (!w.empty()) term_words.push_back(std::move(w));
  }
  bool positive = false, uncertain = false, negative = false;
  for (const clause& c : split_clauses(text)) {
    const words& w = c.text;
    for (std::size_t i = 0; i < w.size(); ++i) {
      for (const words& term : term_words) {
        if (i + term.size() > w.size()) continue;
        bool found = true;
        for (std::size_t k = 0; k < term.size() && found; ++k) found = word_matches(w[i + k], term[k], k + 1 == term.size());
        if (!found) continue;
        const std::size_t end = i + term.size();
        const std::size_t before = i > words_before ? i - words_before : 0;
        const std::size_t after = std::min(w.size(), end + words_after);
        if (c.question || any_phrase_in(w, before, i, i, uncertain_before()) ||
            any_phrase_in(w, end, after, w.size(), uncertain_after())) {
          uncertain = true;
        } else if (any_phrase_in(w, before, i, i, negated_before()) ||
                   any_phrase_in(w, end, after, w.size(), negated_after())) {
          negative = true;
        } else {
          positive = true;
        }
      }
    }
  }
  if (positive) return work::verdict::positive;
  if (uncertain) return work::verdict::uncertain;
  if (negative) return work::verdict::negative;
  return std::nullopt;
}

}  // namespace radbridge::review
