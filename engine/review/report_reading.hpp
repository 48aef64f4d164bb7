// A radiologist's final report (an ORU^R01 from the RIS) read by a route's
// "feedback" rules (route/mapping.hpp): which study it is on, whether it is
// final or a correction, and what it says about each of the route's
// findings. No I/O: the router calls it on each stored message and the
// store keeps what it returns (store/feedback_store.hpp, which also tells a
// later final report on the same study, an addendum, from the first).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/work_kinds.hpp"
#include "hl7/message.hpp"
#include "route/mapping.hpp"
#include "store/feedback_store.hpp"

namespace radbridge::review {

// Why a message matching the feedback rules was not read (for the log).
enum class unread { no_study_key, not_final };

// nullopt with no reason when the route has no feedback rules or `m` does
// not match them; with a reason when it matches but has no study key or is
// neither final nor corrected (a preliminary report: its verdicts may change).
// A reading lists the findings the report states, in the rules' order; its
// report_time is OBR-22, else MSH-7, as written.
struct reading_outcome {
  std::optional<store::report_feedback> reading;
  std::optional<unread> reason;
};
reading_outcome read_report(const route::route& r, const hl7::message& m);

}  // namespace radbridge::review
