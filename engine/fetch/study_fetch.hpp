// One study's chosen series, from a PACS (DICOMweb) or a folder, decoded:
// find the study by accession number or Study Instance UID, list its series,
// choose one by the rule (`locate_series`: no pixel data moves, so a job can
// watch a series grow until it settles), retrieve it and decode it into a
// volume (`fetch_located`; `fetch_series` does both). The time
// each step took comes back with it (for the audit trail and benchmarks),
// and the series' headers (read while decoding; counted in decode_ms).
// Errors are fetch_error from the step that failed.
#pragma once

#include <string>

#include "core/work_kinds.hpp"
#include "fetch/dicom_decode.hpp"
#include "fetch/dicomweb_client.hpp"
#include "fetch/folder_source.hpp"
#include "fetch/series.hpp"
#include "fetch/series_headers.hpp"
#include "fetch/volume.hpp"

namespace radbridge::fetch {

struct study_key {
  using kind = work::study_key_kind;
  kind by = kind::study_uid;
  std::string value;
};

struct located_series {
  std::string study_uid;
  series_info chosen;  // chosen.instances: as the PACS (or the folder) counts them now
  double find_ms = 0;  // finding the study and listing its series
};

struct fetched_series {
  volume image;
  series_info chosen;
  series_headers headers;  // the instances' identities and the patient/study attributes (for the SR)
  std::size_t bytes = 0;  // of the instances as retrieved
  double find_ms = 0;     // finding the study and listing its series
  double retrieve_ms = 0;
  double decode_ms = 0;
};

located_series locate_series(const dicomweb_client& pacs, const study_key& study, const series_rule& rule);
located_series locate_series(const folder_source& folder, const study_key& study, const series_rule& rule);

fetched_series fetch_located(const dicomweb_client& pacs, const located_series& where, const decode_limits& limits = {});
fetched_series fetch_located(const folder_source& folder, const located_series& where,
                             const decode_limits& limits = {});

fetched_series fetch_series(const dicomweb_client& pacs, const study_key& study, const series_rule& rule,
                            const decode_limits& limits = {});

// A folder source is asked for the study by either key (folder_source.hpp).
fetched_series fetch_series(const folder_source& folder, const study_key& study, const series_rule& rule,
                            const decode_limits& limits = {});

}  // namespace radbridge::fetch
