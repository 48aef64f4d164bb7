// The reading worklist (the admin API): the studies of recent jobs, most
// urgent acuity first, then by arrival of the message that started them,
// the order the ADT^A31 acuity updates ask a reader to follow. Acuity
// levels rank per route (0: the route's most urgent level, as its mapping
// lists them); a job still running, or with a level no rank names, comes
// after every ranked one. Failed, cancelled and withdrawn jobs are not on
// it. Read-only; throws store_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/work_kinds.hpp"
#include "store/database.hpp"

namespace radbridge::store {

struct acuity_rank {
  std::string route;
  std::string level;
  int rank = 0;
};

struct worklist_entry {
  std::int64_t job_id = 0;
  std::string route;
  work::study_key_kind key_kind = work::study_key_kind::accession;
  std::string study_key;
  work::rollout_mode mode = work::rollout_mode::silent;
  work::job_status status = work::job_status::queued;
  std::string acuity;       // empty while the job has none
  int rank = 0;             // the acuity's rank, or `unranked`
  std::string arrived_at;   // the triggering message's receipt, ISO 8601, UTC
  std::string finished_at;  // empty while not finished
};

// Jobs created within the last `hours`, at most `limit`; `unranked` is the
// rank of those `ranks` does not name.
std::vector<worklist_entry> worklist(database& db, const std::vector<acuity_rank>& ranks, int unranked, int hours,
                                     std::size_t limit);

}  // namespace radbridge::store
