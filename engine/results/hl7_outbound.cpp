#include "results/hl7_outbound.hpp"

#include <ctime>

#include <fmt/format.h>

#include "results/build_error.hpp"
#include "results/output_ids.hpp"

namespace radbridge::results {

hl7::message_builder start_message(const result_input& in, std::string_view type, std::string_view trigger,
                                   std::string_view structure, std::string_view what) {
  if (in.order == nullptr) throw build_error("no order: a result message answers the order that started the job");
  const hl7::message& order = *in.order;
  const auto msh = order.find("MSH");
  if (!msh) throw build_error("the order has no MSH segment");
  hl7::message_builder out(order.delimiters());
  hl7::segment_builder& h = out.add("MSH");
  h.set(3, sending_application);
  h.set_raw(4, msh->field(6));
  h.set_raw(5, msh->field(3));
  h.set_raw(6, msh->field(4));
  h.set(7, hl7_timestamp(in.issued));
  h.set_components(9, {type, trigger, structure});
  h.set(10, outbound_control_id(in, what));
  h.set_raw(11, msh->field(11).empty() ? std::string_view("P") : msh->field(11));
  h.set(12, hl7_version);
  if (!msh->field(18).empty()) h.set_raw(18, msh->field(18));
  return out;
}

void copy_segment(hl7::message_builder& out, const hl7::segment_view& segment) {
  hl7::segment_builder& copy = out.add(segment.name());
  for (std::size_t f = 1; f <= segment.field_count(); ++f) {
    if (!segment.field(f).empty()) copy.set_raw(f, segment.field(f));
  }
}

std::string outbound_control_id(const result_input& in, std::string_view what) {
  if (in.revision != work::revision::withdrawal) return message_control_id(in.job_key, what);
  return message_control_id(in.job_key, std::string(what) + "/withdrawal");
}

std::string hl7_timestamp(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}+0000", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec);
}

void set_coded(hl7::segment_builder& segment, std::size_t field, const route::coded_concept& concept_) {
  segment.set_components(field, {concept_.code, concept_.display, concept_.hl7_system});
}

}  // namespace radbridge::results
