#include "fetch/folder_source.hpp"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <tuple>

#include "fetch/dicom_dataset.hpp"
#include "fetch/fetch_error.hpp"

namespace radbridge::fetch {

namespace {

// One instance as its header describes it, before grouping.
struct scanned {
  std::filesystem::path path;
  series_identity identity;
  std::string sop_instance_uid;
  long instance_number = 0;
  int series_number = 0;
  std::optional<double> slice_thickness;
};

std::optional<scanned> scan_file(const std::filesystem::path& path) {
  const auto file = detail::read_header(path);
  if (!file) return std::nullopt;
  DcmDataset& ds = *file->getDataset();
  scanned s;
  s.path = path;
  s.identity = detail::read_identity(ds);
  s.sop_instance_uid = detail::text(ds, DCM_SOPInstanceUID);
  if (s.identity.study_uid.empty() || s.identity.series_uid.empty() || s.sop_instance_uid.empty()) return std::nullopt;
  s.instance_number = detail::integer(ds, DCM_InstanceNumber).value_or(0);
  s.series_number = static_cast<int>(std::clamp(detail::integer(ds, DCM_SeriesNumber).value_or(0), -2147483647L,
                                                2147483647L));
  s.slice_thickness = detail::number(ds, DCM_SliceThickness);
  return s;
}

std::vector<std::filesystem::path> files_under(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(root, std::filesystem::directory_options::skip_permission_denied, ec);
  if (ec) throw fetch_error(fetch_errc::not_found, "cannot read the folder " + root.string() + ": " + ec.message());
  for (const std::filesystem::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) throw fetch_error(fetch_errc::not_found, "cannot read the folder " + root.string() + ": " + ec.message());
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

folder_source::folder_source(std::filesystem::path root) : root_(std::move(root)) {
  std::error_code ec;
  if (!std::filesystem::is_directory(root_, ec)) {
    throw fetch_error(fetch_errc::not_found, "no such folder: " + root_.string());
  }
  std::map<std::string, std::vector<scanned>> by_series;
  std::set<std::string> seen_instances;
  for (const auto& path : files_under(root_)) {
    auto s = scan_file(path);
    if (!s || !seen_instances.insert(s->sop_instance_uid).second) continue;
    by_series[s->identity.series_uid].push_back(std::move(*s));
  }
  for (auto& [uid, instances] : by_series) {
    std::stable_sort(instances.begin(), instances.end(),
                     [](const scanned& a, const scanned& b) { return a.instance_number < b.instance_number; });
    const scanned& first = instances.front();
    series_entry entry;
    entry.info.identity = first.identity;
    entry.info.series_number = first.series_number;
    entry.info.instances = instances.size();
    entry.info.slice_thickness = first.slice_thickness;
    entry.files.reserve(instances.size());
    for (auto& i : instances) entry.files.push_back({std::move(i.path), i.instance_number, std::move(i.sop_instance_uid)});
    series_.push_back(std::move(entry));
  }
  std::sort(series_.begin(), series_.end(), [](const series_entry& a, const series_entry& b) {
    return std::tie(a.info.series_number, a.info.identity.series_uid) <
           std::tie(b.info.series_number, b.info.identity.series_uid);
  });
}

std::vector<series_info> folder_source::list_series(std::string_view study) const {
  std::vector<series_info> out;
  if (!study.empty()) {
    for (const auto& s : series_) {
      if (s.info.identity.study_uid == study || s.info.identity.accession == study) out.push_back(s.info);
    }
  }
  if (out.empty()) {
    throw fetch_error(fetch_errc::not_found, "no study with StudyInstanceUID or AccessionNumber " +
                                                 reference_of(study) + " in the folder " + root_.string());
  }
  return out;
}

std::vector<std::string> folder_source::study_uids() const {
  std::vector<std::string> out;
  for (const auto& s : series_) out.push_back(s.info.identity.study_uid);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> folder_source::read_series(std::string_view series_uid) const {
  const auto it = std::find_if(series_.begin(), series_.end(),
                               [&](const series_entry& s) { return s.info.identity.series_uid == series_uid; });
  if (it == series_.end()) {
    throw fetch_error(fetch_errc::not_found,
                      "no series " + reference_of(series_uid) + " in the folder " + root_.string());
  }
  std::vector<std::string> out;
  out.reserve(it->files.size());
  for (const auto& f : it->files) {
    std::ifstream in(f.path, std::ios::binary);
    std::ostringstream bytes;
    if (!(in && bytes << in.rdbuf())) {
      throw fetch_error(fetch_errc::not_found, "the file of instance " + reference_of(f.sop_instance_uid) +
                                                   " of series " + reference_of(series_uid) + " can no longer be read");
    }
    out.push_back(std::move(bytes).str());
  }
  return out;
}

}  // namespace radbridge::fetch
