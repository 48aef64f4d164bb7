// Where jobs read studies: a PACS over DICOMweb or a folder of DICOM files,
// as the configuration's "pipeline.pacs" says. `fetch` finds the study by
// the job's key, chooses the series by the route's rule, retrieves and
// decodes it (fetch/study_fetch.hpp); errors are fetch_error. Safe to call
// from several job workers at once.
#pragma once

#include <memory>

#include "core/config.hpp"
#include "fetch/study_fetch.hpp"

namespace radbridge::jobs {

class study_source {
 public:
  virtual ~study_source() = default;
  virtual fetch::fetched_series fetch(const fetch::study_key& key, const fetch::series_rule& rule) const = 0;
};

std::unique_ptr<study_source> make_study_source(const config::pacs_settings& settings);

}  // namespace radbridge::jobs
