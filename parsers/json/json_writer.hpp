// A small streaming JSON writer; RapidJSON stays behind this header.
//
// Calls must nest properly (begin/end object and array, key before each
// object member); strings are UTF-8 and escaped as JSON requires. `pretty`
// indents by two spaces. The result is complete after the outermost end.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace radbridge::json {

class writer {
 public:
  explicit writer(bool pretty = false);
  ~writer();
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  writer& begin_object();
  writer& end_object();
  writer& begin_array();
  writer& end_array();
  writer& key(std::string_view name);
  writer& string(std::string_view value);
  writer& number(std::int64_t value);
  writer& number(double value);
  writer& boolean(bool value);
  writer& null();
  // One complete JSON value written as it is (e.g. a jsonb column's text):
  // the caller vouches that it is valid JSON; it is not checked.
  writer& raw(std::string_view json_text);

  std::string str() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace radbridge::json
