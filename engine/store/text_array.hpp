// A PostgreSQL text[] literal built from values, for array parameters
// (`$1::text[]`): every element quoted, quotes and backslashes escaped.
// Internal to store.
#pragma once

#include <string>
#include <string_view>

namespace radbridge::store {

class text_array {
 public:
  text_array() = default;
  template <class Range>
  explicit text_array(const Range& values) {
    for (const auto& v : values) add(v);
  }

  void add(std::string_view value) {
    out_ += out_.size() == 1 ? "\"" : ",\"";
    for (char c : value) {
      if (c == '"' || c == '\\') out_.push_back('\\');
      out_.push_back(c);
    }
    out_.push_back('"');
  }
  std::string str() const { return out_ + "}"; }

 private:
  std::string out_ = "{";
};

}  // namespace radbridge::store
