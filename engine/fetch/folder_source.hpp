// Studies from a local folder instead of a PACS: sample studies, the demo, an
// export on a mounted share.
//
// The constructor scans the folder recursively once and reads every file's
// header with DCMTK (stopping before PixelData). Files that are not DICOM
// instances with Study, Series and SOP Instance UIDs (truth.json, DICOMDIR,
// notes) are skipped; a Part 10 file cut short after its header is kept, so
// that decoding reports it as undecodable rather than the series losing a
// slice; a second file with an already seen SOPInstanceUID is ignored (the
// first in path order wins). What the folder holds is that snapshot: files
// added later need a new folder_source. A study is asked for by
// StudyInstanceUID or AccessionNumber; the key must match, also when the
// folder holds a single study. Errors are fetch_error(not_found) naming the
// folder and the key, series or instance by its reference_of (fetch_error.hpp),
// never by the value itself or patient data. Const member
// functions may be called from several threads at once.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fetch/series.hpp"

namespace radbridge::fetch {

class folder_source {
 public:
  // Throws fetch_error(not_found) when `root` is not a folder that can be read.
  explicit folder_source(std::filesystem::path root);

  // The series of every study whose StudyInstanceUID or AccessionNumber is
  // `study`, ordered by SeriesNumber then series UID; instances counted,
  // slice_thickness from the series' first instance (lowest InstanceNumber).
  // Throws not_found when no study matches.
  std::vector<series_info> list_series(std::string_view study) const;

  // The StudyInstanceUIDs the folder holds, sorted.
  std::vector<std::string> study_uids() const;

  // The bytes of each file of the series, by InstanceNumber then path, ready
  // for decode_series. Throws not_found for an unknown series or a file that
  // has gone since the scan.
  std::vector<std::string> read_series(std::string_view series_uid) const;

  const std::filesystem::path& root() const noexcept { return root_; }

 private:
  struct instance_file {
    std::filesystem::path path;
    long instance_number = 0;
    std::string sop_instance_uid;
  };
  struct series_entry {
    series_info info;
    std::vector<instance_file> files;
  };

  std::filesystem::path root_;
  std::vector<series_entry> series_;  // by SeriesNumber, then series UID
};

}  // namespace radbridge::fetch
