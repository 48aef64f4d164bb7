// The kinds that cross the store boundary: rollout modes, output kinds,
// study keys, the states of jobs and outbound messages, and feedback's verdicts. Each has one
// spelling, used in mapping files, in SQL (CHECK constraints in sql/) and in
// logs; `to_string` gives it and `parse_*` reads it back (nullopt for any
// other text). Nothing else converts these to or from text.
#pragma once

#include <optional>
#include <string_view>

namespace radbridge::work {

enum class rollout_mode { silent, assist, active };
enum class output_kind { oru, adt, observation, sr };
enum class study_key_kind { accession, study_uid };
// queued -> (waiting_for_study <-> ) running -> done | failed | duplicate (the study version was
// done before); cancelled from any state before done.
enum class job_status { queued, waiting_for_study, running, done, failed, cancelled, duplicate };
// What an outbound result is to its receiver: the first for its study, a
// correction of an earlier version, or the withdrawal of what was sent.
enum class revision { original, correction, withdrawal };
enum class outbound_status { pending, sent, dead, discarded };
enum class inbound_status { received, routed, filtered, failed };
// A radiologist's verdict on a finding; where it came from; which report said it.
enum class verdict { positive, negative, uncertain };
enum class feedback_source { report, manual };
enum class report_status { final, corrected, addendum };

std::string_view to_string(rollout_mode v) noexcept;
std::string_view to_string(output_kind v) noexcept;
std::string_view to_string(study_key_kind v) noexcept;
std::string_view to_string(job_status v) noexcept;
std::string_view to_string(outbound_status v) noexcept;
std::string_view to_string(inbound_status v) noexcept;
std::string_view to_string(revision v) noexcept;
std::string_view to_string(verdict v) noexcept;
std::string_view to_string(feedback_source v) noexcept;
std::string_view to_string(report_status v) noexcept;

std::optional<rollout_mode> parse_rollout_mode(std::string_view text) noexcept;
std::optional<output_kind> parse_output_kind(std::string_view text) noexcept;
std::optional<study_key_kind> parse_study_key_kind(std::string_view text) noexcept;
std::optional<job_status> parse_job_status(std::string_view text) noexcept;
std::optional<outbound_status> parse_outbound_status(std::string_view text) noexcept;
std::optional<revision> parse_revision(std::string_view text) noexcept;
std::optional<verdict> parse_verdict(std::string_view text) noexcept;
std::optional<feedback_source> parse_feedback_source(std::string_view text) noexcept;
std::optional<report_status> parse_report_status(std::string_view text) noexcept;

}  // namespace radbridge::work
