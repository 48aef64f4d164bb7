#include "fetch/series_headers.hpp"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "fetch/dicom_dataset.hpp"
#include "fetch/fetch_error.hpp"

namespace radbridge::fetch {

namespace {

// One instance's header, before sorting.
struct read_instance {
  instance_header header;
  series_headers attributes;  // patient, study and series attributes; no instances
};

read_instance read_one(DcmDataset& ds, std::size_t input_index) {
  // Names may be in any character set the instance declares; ours are UTF-8.
  if (const OFCondition status = ds.convertToUTF8(); status.bad())
    throw fetch_error(fetch_errc::undecodable,
                      fmt::format("{}: its SpecificCharacterSet \"{}\" cannot be converted to UTF-8 (DCMTK: {})",
                                  detail::instance_label(ds, input_index), detail::text(ds, DCM_SpecificCharacterSet),
                                  status.text()));
  read_instance r;
  r.header.sop_instance_uid = detail::text(ds, DCM_SOPInstanceUID);
  r.header.sop_class_uid = detail::text(ds, DCM_SOPClassUID);
  r.header.instance_number = detail::integer(ds, DCM_InstanceNumber).value_or(0);
  if (r.header.sop_class_uid.empty())
    throw fetch_error(fetch_errc::undecodable, detail::instance_label(ds, input_index) + ": no SOPClassUID");
  series_headers& a = r.attributes;
  a.study_uid = detail::text(ds, DCM_StudyInstanceUID);
  a.series_uid = detail::text(ds, DCM_SeriesInstanceUID);
  a.modality = detail::text(ds, DCM_Modality);
  a.patient_id = detail::text(ds, DCM_PatientID);
  a.patient_id_issuer = detail::text(ds, DCM_IssuerOfPatientID);
  a.patient_name = detail::text(ds, DCM_PatientName);
  a.patient_birth_date = detail::text(ds, DCM_PatientBirthDate);
  a.patient_sex = detail::text(ds, DCM_PatientSex);
  a.study_date = detail::text(ds, DCM_StudyDate);
  a.study_time = detail::text(ds, DCM_StudyTime);
  a.study_id = detail::text(ds, DCM_StudyID);
  a.accession = detail::text(ds, DCM_AccessionNumber);
  a.referring_physician = detail::text(ds, DCM_ReferringPhysicianName);
  if (a.series_uid.empty() || a.study_uid.empty())
    throw fetch_error(fetch_errc::undecodable,
                      detail::instance_label(ds, input_index) + ": no StudyInstanceUID or SeriesInstanceUID");
  return r;
}

void require_same(const read_instance& first, const read_instance& other, std::string_view attribute,
                  const std::string& a, const std::string& b) {
  if (a == b) return;
  throw fetch_error(fetch_errc::inconsistent_series,
                    fmt::format("instance {} has another {} than instance {}",
                                reference_of(other.header.sop_instance_uid), attribute,
                                reference_of(first.header.sop_instance_uid)));
}

}  // namespace

series_headers read_series_headers(const std::vector<std::string>& part10_files) {
  detail::parsed_instances files;
  files.reserve(part10_files.size());
  for (std::size_t i = 0; i < part10_files.size(); ++i) files.push_back(detail::read_dataset(part10_files[i], i + 1));
  return detail::series_headers_of(files);
}

series_headers detail::series_headers_of(const parsed_instances& files) {
  if (files.empty()) throw fetch_error(fetch_errc::not_found, "no instances to read the series headers from");
  std::vector<read_instance> instances;
  instances.reserve(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) instances.push_back(read_one(*files[i]->getDataset(), i + 1));
  std::sort(instances.begin(), instances.end(), [](const read_instance& a, const read_instance& b) {
    return std::tie(a.header.instance_number, a.header.sop_instance_uid) <
           std::tie(b.header.instance_number, b.header.sop_instance_uid);
  });

  const read_instance& first = instances.front();
  for (const auto& other : instances) {
    require_same(first, other, "SeriesInstanceUID", first.attributes.series_uid, other.attributes.series_uid);
    require_same(first, other, "StudyInstanceUID", first.attributes.study_uid, other.attributes.study_uid);
    require_same(first, other, "PatientID", first.attributes.patient_id, other.attributes.patient_id);
  }

  series_headers out = first.attributes;
  std::set<std::string> seen;
  for (auto& i : instances)
    if (seen.insert(i.header.sop_instance_uid).second) out.instances.push_back(std::move(i.header));
  return out;
}

}  // namespace radbridge::fetch
