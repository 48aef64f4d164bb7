#include "fetch/dicom_dataset.hpp"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>

#include "fetch/fetch_error.hpp"

namespace radbridge::fetch::detail {

namespace {

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

}  // namespace

void register_dicom_codecs() {
  // The registrations themselves are not thread-safe and must not run while
  // another thread decodes; once per process, never deregistered.
  static std::once_flag once;
  std::call_once(once, [] {
    // DCMTK would print its own diagnostics (tag numbers, lengths) on
    // stderr for every unreadable file; our errors say what went wrong, in
    // our log format.
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

std::unique_ptr<DcmFileFormat> read_dataset(std::string_view bytes, std::size_t input_index) {
  register_dicom_codecs();
  if (bytes.empty()) {
    throw fetch_error(fetch_errc::undecodable, "input " + std::to_string(input_index) + ": empty, not a DICOM file");
  }
  DcmInputBufferStream in;
  in.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  in.setEos();
  auto file = std::make_unique<DcmFileFormat>();
  file->transferInit();
  const OFCondition status = file->read(in, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
  file->transferEnd();
  DcmDataset& data = *file->getDataset();
  if (status.bad()) {
    // What was read before the failure may still name the instance.
    throw fetch_error(fetch_errc::undecodable, instance_label(data, input_index) +
                                                   ": not a readable DICOM dataset (DCMTK: " + status.text() + ")");
  }
  // A bare dataset is accepted, but bytes that DCMTK read as one must look
  // like an instance: random bytes occasionally parse as a few elements.
  if (data.getOriginalXfer() == EXS_Unknown || !data.tagExists(DCM_SOPInstanceUID)) {
    throw fetch_error(fetch_errc::undecodable,
                      "input " + std::to_string(input_index) + ": not a DICOM instance (no SOPInstanceUID)");
  }
  return file;
}

std::unique_ptr<DcmFileFormat> read_header(const std::filesystem::path& file) noexcept {
  try {
    register_dicom_codecs();
    auto format = std::make_unique<DcmFileFormat>();
    // Values longer than DCM_MaxReadLength (the pixel data) stay on disk until asked for.
    const OFCondition status = format->loadFile(file.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                                ERM_autoDetect);
    if (format->getDataset()->getOriginalXfer() == EXS_Unknown) return nullptr;
    // A Part 10 file that breaks off after its header (a truncated copy)
    // still belongs to its series: keep what was read, so that decoding names
    // the instance as undecodable instead of the series losing a slice.
    if (status.bad() && !format->getMetaInfo()->tagExists(DCM_TransferSyntaxUID)) return nullptr;
    return format;
  } catch (...) {
    return nullptr;
  }
}

std::string text(DcmItem& item, const DcmTagKey& tag, unsigned long index) {
  OFString value;
  if (item.findAndGetOFString(tag, value, index).bad()) return {};
  return trimmed(std::string_view(value.c_str(), value.length()));
}

std::optional<double> number(DcmItem& item, const DcmTagKey& tag, unsigned long index) {
  Float64 value = 0;
  if (item.findAndGetFloat64(tag, value, index).bad() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<long> integer(DcmItem& item, const DcmTagKey& tag) {
  long value = 0;
  if (item.findAndGetLongInt(tag, value).bad()) return std::nullopt;
  return value;
}

std::size_t value_count(DcmItem& item, const DcmTagKey& tag) {
  DcmElement* element = nullptr;
  if (item.findAndGetElement(tag, element).bad() || element == nullptr || element->getLength() == 0) return 0;
  return element->getVM();
}

series_identity read_identity(DcmItem& item) {
  series_identity id;
  id.study_uid = text(item, DCM_StudyInstanceUID);
  id.series_uid = text(item, DCM_SeriesInstanceUID);
  id.accession = text(item, DCM_AccessionNumber);
  id.patient_id = text(item, DCM_PatientID);
  id.modality = text(item, DCM_Modality);
  id.body_part = text(item, DCM_BodyPartExamined);
  std::transform(id.body_part.begin(), id.body_part.end(), id.body_part.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  id.series_description = text(item, DCM_SeriesDescription);
  return id;
}

acquisition read_acquisition(DcmItem& item) {
  acquisition a;
  a.manufacturer = text(item, DCM_Manufacturer);
  a.kvp = number(item, DCM_KVP);
  a.slice_thickness = number(item, DCM_SliceThickness);
  return a;
}

std::string instance_label(DcmItem& item, std::size_t input_index) {
  const std::string number_text = text(item, DCM_InstanceNumber);
  const std::string sop = text(item, DCM_SOPInstanceUID);
  if (!number_text.empty() && !sop.empty()) return "instance " + number_text + " (SOPInstanceUID " + reference_of(sop) + ")";
  if (!sop.empty()) return "instance " + reference_of(sop);
  if (!number_text.empty()) return "instance " + number_text;
  return "input " + std::to_string(input_index);
}

}  // namespace radbridge::fetch::detail
