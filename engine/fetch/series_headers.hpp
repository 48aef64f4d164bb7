// The DICOM headers of one series, as the results stage needs them to write
// a DICOM SR about it: the patient and study attributes the SR copies, and
// every instance (SOP class and instance UID) it references.
//
// `read_series_headers` reads them from the series' Part 10 files as
// folder_source::read_series or dicomweb_client::retrieve_series return
// them (fetch_series does it while decoding).
// Instances are ordered by InstanceNumber, then SOPInstanceUID, each listed
// once (a repeated SOPInstanceUID is kept once). Patient and study
// attributes come from the first instance in that order; values are trimmed
// UTF-8 text (converted from the instance's SpecificCharacterSet; PatientName
// in DICOM PN form, dates DA, times TM), empty when absent.
//
// Errors are fetch_error: not_found for no instances; undecodable for bytes that are not a DICOM instance,
// an instance without SOPClassUID, or one whose character set cannot be
// converted; inconsistent_series when the instances belong to more than one
// series, study or patient ID. Messages name instances by number and the
// reference_of their UID (fetch_error.hpp), never by the UID or patient data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace radbridge::fetch {

struct instance_header {
  std::string sop_class_uid;
  std::string sop_instance_uid;
  long instance_number = 0;  // 0 when absent
};

struct series_headers {
  std::string study_uid;
  std::string series_uid;
  std::string modality;
  std::vector<instance_header> instances;
  std::string patient_id;
  std::string patient_id_issuer;   // IssuerOfPatientID (0010,0021), empty when absent
  std::string patient_name;        // PN, e.g. TESTPATIENT^ALPHA
  std::string patient_birth_date;  // DA or empty
  std::string patient_sex;
  std::string study_date;  // DA or empty
  std::string study_time;  // TM or empty
  std::string study_id;
  std::string accession;
  std::string referring_physician;  // PN or empty
};

series_headers read_series_headers(const std::vector<std::string>& part10_files);

}  // namespace radbridge::fetch
