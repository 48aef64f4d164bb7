#include "results/adt_builder.hpp"

#include <fmt/format.h>

#include "results/build_error.hpp"
#include "results/hl7_outbound.hpp"
#include "route/acuity.hpp"

namespace radbridge::results {

std::optional<std::string> adt_refusal(const result_input& in) {
  if (in.route == nullptr) return "no route";
  const route::route& r = *in.route;
  const route::rollout_mode mode = in.mode.value_or(r.mode);
  if (mode != route::rollout_mode::active) {
    return fmt::format("route \"{}\" is in {} mode (ADT^A31 only in active mode)", r.name, to_string(mode));
  }
  const auto adt = r.outputs.find(route::output_kind::adt);
  if (adt == r.outputs.end() || adt->second.empty()) return fmt::format("route \"{}\" has no adt output", r.name);
  if (!route::at_or_above(r.acuity, in.acuity, r.adt.min_level)) {
    return fmt::format("acuity \"{}\" is below the route's minimum \"{}\"", in.acuity, r.adt.min_level);
  }
  return std::nullopt;
}

std::string build_adt(const result_input& in) {
  if (in.route == nullptr) throw build_error("no route: the ADT's acuity code comes from the route that matched");
  const route::route& r = *in.route;
  const auto code = r.adt.codes.find(in.acuity);
  if (code == r.adt.codes.end()) {
    throw build_error(fmt::format("route \"{}\" has no ADT code for acuity \"{}\"", r.name, in.acuity));
  }
  hl7::message_builder out = start_message(in, "ADT", "A31", "ADT_A05", "adt");
  hl7::segment_builder& evn = out.add("EVN");
  evn.set(1, "A31");
  evn.set(2, hl7_timestamp(in.issued));
  evn.set(4, "AI");
  const auto pid = in.order->find("PID");
  if (!pid) throw build_error("the order has no PID segment");
  copy_segment(out, *pid);
  if (const auto pv1 = in.order->find("PV1")) {
    copy_segment(out, *pv1);
  } else {
    out.add("PV1").set(1, "1").set(2, "N");
  }
  out.set(r.adt.field_text, code->second);
  return out.encode();
}

}  // namespace radbridge::results
