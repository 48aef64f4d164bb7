#include "hl7/builder.hpp"

#include <algorithm>
#include <stdexcept>

#include "hl7/escape.hpp"
#include "hl7/path.hpp"

namespace radbridge::hl7 {

namespace {

bool is_header(std::string_view name) { return name == "MSH" || name == "FHS" || name == "BHS"; }

void check_position(std::size_t value, const char* what) {
  if (value == 0) throw std::invalid_argument(std::string("HL7 builder: ") + what + " numbers start at 1");
}

}  // namespace

segment_builder::segment_builder(std::string_view name, const hl7::delimiters& d) : name_(name), delims_(d) {
  const bool valid = name.size() == 3 && name[0] >= 'A' && name[0] <= 'Z' &&
                     ((name[1] >= 'A' && name[1] <= 'Z') || (name[1] >= '0' && name[1] <= '9')) &&
                     ((name[2] >= 'A' && name[2] <= 'Z') || (name[2] >= '0' && name[2] <= '9'));
  if (!valid) throw std::invalid_argument("HL7 builder: invalid segment name '" + std::string(name) + "'");
}

std::string& segment_builder::field_at(std::size_t field) {
  check_position(field, "field");
  if (is_header(name_) && field <= 2) {
    throw std::invalid_argument("HL7 builder: " + name_ + "-1 and -2 come from the delimiters");
  }
  if (fields_.size() < field) fields_.resize(field);
  return fields_[field - 1];
}

std::pair<std::size_t, std::size_t> segment_builder::leaf(std::size_t field, std::size_t repetition_number,
                                                          std::size_t component_number,
                                                          std::size_t subcomponent_number) {
  check_position(repetition_number, "repetition");
  check_position(component_number, "component");
  check_position(subcomponent_number, "subcomponent");
  std::string& f = field_at(field);
  // An encoded field holds no delimiter but as a separator (values are
  // escaped), so each level is found by counting separators; a missing
  // one is inserted where its enclosing part ends.
  std::size_t start = 0;
  std::size_t end = f.size();
  auto descend = [&](std::size_t number, char separator, std::initializer_list<char> enclosing) {
    auto part_end = [&](std::size_t from) {
      std::size_t stop = end;
      for (std::size_t i = from; i < end; ++i) {
        if (f[i] == separator || std::find(enclosing.begin(), enclosing.end(), f[i]) != enclosing.end()) {
          stop = i;
          break;
        }
      }
      return stop;
    };
    for (std::size_t n = 1; n < number; ++n) {
      const std::size_t stop = part_end(start);
      if (stop == end || f[stop] != separator) {
        f.insert(stop, 1, separator);
        ++end;
      }
      start = stop + 1;
    }
    end = part_end(start);
  };
  descend(repetition_number, delims_.repetition, {});
  descend(component_number, delims_.component, {delims_.repetition});
  descend(subcomponent_number, delims_.subcomponent, {delims_.repetition, delims_.component});
  return {start, end};
}

segment_builder& segment_builder::set(std::size_t field, std::string_view text) {
  return set(field, 1, 1, 1, text);
}

segment_builder& segment_builder::set(std::size_t field, std::size_t repetition_number,
                                      std::size_t component_number, std::size_t subcomponent_number,
                                      std::string_view text) {
  const auto [start, end] = leaf(field, repetition_number, component_number, subcomponent_number);
  std::string escaped;
  escape_into(escaped, text, delims_);
  fields_[field - 1].replace(start, end - start, escaped);
  return *this;
}

segment_builder& segment_builder::set_components(std::size_t field,
                                                 std::initializer_list<std::string_view> components) {
  std::size_t n = 1;
  for (std::string_view c : components) set(field, 1, n++, 1, c);
  return *this;
}

segment_builder& segment_builder::set_null(std::size_t field) { return set_raw(field, "\"\""); }

segment_builder& segment_builder::set_raw(std::size_t field, std::string_view raw) {
  field_at(field).assign(raw);
  return *this;
}

void segment_builder::encode_into(std::string& out) const {
  out.append(name_);
  std::size_t first = 1;
  if (is_header(name_)) {
    out.push_back(delims_.field);
    out.push_back(delims_.component);
    out.push_back(delims_.repetition);
    out.push_back(delims_.escape);
    out.push_back(delims_.subcomponent);
    if (delims_.truncation != '\0') out.push_back(delims_.truncation);
    first = 3;
  }
  for (std::size_t i = first; i <= fields_.size(); ++i) {
    out.push_back(delims_.field);
    out.append(fields_[i - 1]);
  }
}

message_builder::message_builder(hl7::delimiters d) : delims_(d) {}

segment_builder& message_builder::add(std::string_view name) { return segments_.emplace_back(name, delims_); }

segment_builder* message_builder::find(std::string_view name, int occurrence) noexcept {
  int seen = 0;
  for (segment_builder& s : segments_) {
    if (s.name() == name && ++seen == occurrence) return &s;
  }
  return nullptr;
}

message_builder& message_builder::set(std::string_view path_expression, std::string_view text) {
  const auto p = parse_path(path_expression);
  if (!p) throw std::invalid_argument("HL7 builder: bad path '" + std::string(path_expression) + "'");
  segment_builder* seg = find(p->segment_name(), p->occurrence);
  if (seg == nullptr) {
    if (find(p->segment_name(), p->occurrence - 1) == nullptr && p->occurrence > 1) {
      throw std::invalid_argument("HL7 builder: no segment before " + std::string(path_expression));
    }
    seg = &add(p->segment_name());
  }
  seg->set(static_cast<std::size_t>(p->field), static_cast<std::size_t>(p->repetition),
           static_cast<std::size_t>(std::max(p->component, 1)), static_cast<std::size_t>(std::max(p->subcomponent, 1)),
           text);
  return *this;
}

std::string message_builder::encode() const {
  std::string out;
  for (const segment_builder& s : segments_) {
    s.encode_into(out);
    out.push_back('\r');
  }
  return out;
}

}  // namespace radbridge::hl7
