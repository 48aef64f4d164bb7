#include "json/json_writer.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace radbridge::json {

// Exactly one of the two writers exists; both write into `buffer`.
struct writer::impl {
  rapidjson::StringBuffer buffer;
  std::unique_ptr<rapidjson::Writer<rapidjson::StringBuffer>> compact;
  std::unique_ptr<rapidjson::PrettyWriter<rapidjson::StringBuffer>> pretty;

  explicit impl(bool indent) {
    if (indent) {
      pretty = std::make_unique<rapidjson::PrettyWriter<rapidjson::StringBuffer>>(buffer);
      pretty->SetIndent(' ', 2);
    } else {
      compact = std::make_unique<rapidjson::Writer<rapidjson::StringBuffer>>(buffer);
    }
  }

  template <class F>
  void with(F&& f) {
    if (pretty) {
      f(*pretty);
    } else {
      f(*compact);
    }
  }
};

writer::writer(bool pretty) : impl_(std::make_unique<impl>(pretty)) {}
writer::~writer() = default;

writer& writer::begin_object() {
  impl_->with([](auto& w) { w.StartObject(); });
  return *this;
}
writer& writer::end_object() {
  impl_->with([](auto& w) { w.EndObject(); });
  return *this;
}
writer& writer::begin_array() {
  impl_->with([](auto& w) { w.StartArray(); });
  return *this;
}
writer& writer::end_array() {
  impl_->with([](auto& w) { w.EndArray(); });
  return *this;
}
writer& writer::key(std::string_view name) {
  impl_->with([&](auto& w) { w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()), true); });
  return *this;
}
writer& writer::string(std::string_view value) {
  impl_->with([&](auto& w) { w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()), true); });
  return *this;
}
writer& writer::number(std::int64_t value) {
  impl_->with([&](auto& w) { w.Int64(value); });
  return *this;
}
writer& writer::number(double value) {
  impl_->with([&](auto& w) { w.Double(value); });
  return *this;
}
writer& writer::boolean(bool value) {
  impl_->with([&](auto& w) { w.Bool(value); });
  return *this;
}
writer& writer::null() {
  impl_->with([](auto& w) { w.Null(); });
  return *this;
}
writer& writer::raw(std::string_view json_text) {
  impl_->with([&](auto& w) {
    w.RawValue(json_text.data(), json_text.size(), rapidjson::kObjectType);
  });
  return *this;
}

std::string writer::str() const { return {impl_->buffer.GetString(), impl_->buffer.GetSize()}; }

}  // namespace radbridge::json
