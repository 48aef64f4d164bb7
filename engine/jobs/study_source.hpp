// Where jobs read studies: a PACS over DICOMweb or a folder of DICOM files,
// as the configuration's "pipeline.pacs" says. `locate` finds the study by
// the job's key and chooses the series by the route's rule, with its
// instance count as of now; `fetch` retrieves and decodes a located series
// (fetch/study_fetch.hpp). Errors are fetch_error. Safe to call from several
// job workers at once.
#pragma once

#include <memory>

#include "core/config.hpp"
#include "fetch/study_fetch.hpp"

namespace radbridge::jobs {

class study_source {
 public:
  virtual ~study_source() = default;
  virtual fetch::located_series locate(const fetch::study_key& key, const fetch::series_rule& rule) const = 0;
  virtual fetch::fetched_series fetch(const fetch::located_series& where) const = 0;
};

std::unique_ptr<study_source> make_study_source(const config::pacs_settings& settings);

}  // namespace radbridge::jobs
