#include "core/work_kinds.hpp"

#include <array>
#include <utility>

namespace radbridge::work {

namespace {

template <class E, std::size_t N>
using names = std::array<std::pair<E, std::string_view>, N>;

constexpr names<rollout_mode, 3> rollout_modes{{
    {rollout_mode::silent, "silent"}, {rollout_mode::assist, "assist"}, {rollout_mode::active, "active"}}};
constexpr names<output_kind, 4> output_kinds{{{output_kind::oru, "oru"},
                                               {output_kind::adt, "adt"},
                                               {output_kind::observation, "observation"},
                                               {output_kind::sr, "sr"}}};
constexpr names<study_key_kind, 2> study_key_kinds{
    {{study_key_kind::accession, "accession"}, {study_key_kind::study_uid, "study_uid"}}};
constexpr names<job_status, 7> job_statuses{{{job_status::queued, "queued"},
                                              {job_status::waiting_for_study, "waiting_for_study"},
                                              {job_status::running, "running"},
                                              {job_status::done, "done"},
                                              {job_status::failed, "failed"},
                                              {job_status::cancelled, "cancelled"},
                                              {job_status::duplicate, "duplicate"}}};
constexpr names<outbound_status, 4> outbound_statuses{{{outbound_status::pending, "pending"},
                                                      {outbound_status::sent, "sent"},
                                                      {outbound_status::dead, "dead"},
                                                      {outbound_status::discarded, "discarded"}}};
constexpr names<inbound_status, 4> inbound_statuses{{{inbound_status::received, "received"},
                                                    {inbound_status::routed, "routed"},
                                                    {inbound_status::filtered, "filtered"},
                                                    {inbound_status::failed, "failed"}}};
constexpr names<revision, 3> revisions{
    {{revision::original, "original"}, {revision::correction, "correction"}, {revision::withdrawal, "withdrawal"}}};
constexpr names<verdict, 3> verdicts{
    {{verdict::positive, "positive"}, {verdict::negative, "negative"}, {verdict::uncertain, "uncertain"}}};
constexpr names<feedback_source, 2> feedback_sources{
    {{feedback_source::report, "report"}, {feedback_source::manual, "manual"}}};
constexpr names<report_status, 3> report_statuses{
    {{report_status::final, "final"}, {report_status::corrected, "corrected"}, {report_status::addendum, "addendum"}}};

template <class E, std::size_t N>
std::string_view name_of(const names<E, N>& table, E value) noexcept {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return table.front().second;  // unreachable for a valid enumerator
}

template <class E, std::size_t N>
std::optional<E> value_of(const names<E, N>& table, std::string_view text) noexcept {
  for (const auto& [v, name] : table) {
    if (name == text) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(rollout_mode v) noexcept { return name_of(rollout_modes, v); }
std::string_view to_string(output_kind v) noexcept { return name_of(output_kinds, v); }
std::string_view to_string(study_key_kind v) noexcept { return name_of(study_key_kinds, v); }
std::string_view to_string(job_status v) noexcept { return name_of(job_statuses, v); }
std::string_view to_string(outbound_status v) noexcept { return name_of(outbound_statuses, v); }
std::string_view to_string(inbound_status v) noexcept { return name_of(inbound_statuses, v); }
std::string_view to_string(revision v) noexcept { return name_of(revisions, v); }
std::string_view to_string(verdict v) noexcept { return name_of(verdicts, v); }
std::string_view to_string(feedback_source v) noexcept { return name_of(feedback_sources, v); }
std::string_view to_string(report_status v) noexcept { return name_of(report_statuses, v); }

std::optional<rollout_mode> parse_rollout_mode(std::string_view t) noexcept { return value_of(rollout_modes, t); }
std::optional<output_kind> parse_output_kind(std::string_view t) noexcept { return value_of(output_kinds, t); }
std::optional<study_key_kind> parse_study_key_kind(std::string_view t) noexcept { return value_of(study_key_kinds, t); }
std::optional<job_status> parse_job_status(std::string_view t) noexcept { return value_of(job_statuses, t); }
std::optional<outbound_status> parse_outbound_status(std::string_view t) noexcept {
  return value_of(outbound_statuses, t);
}
std::optional<revision> parse_revision(std::string_view t) noexcept { return value_of(revisions, t); }
std::optional<verdict> parse_verdict(std::string_view t) noexcept { return value_of(verdicts, t); }
std::optional<feedback_source> parse_feedback_source(std::string_view t) noexcept {
  return value_of(feedback_sources, t);
}
std::optional<report_status> parse_report_status(std::string_view t) noexcept { return value_of(report_statuses, t); }

}  // namespace radbridge::work
