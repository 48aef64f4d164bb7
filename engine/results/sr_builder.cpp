#include "results/sr_builder.hpp"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmsr/codes/dcm.h>
#include <dcmtk/dcmsr/dsrdoc.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <mutex>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "results/build_error.hpp"
#include "results/output_ids.hpp"

namespace radbridge::results {

namespace {

constexpr std::string_view series_number = "999";
constexpr std::string_view instance_number = "1";
constexpr std::string_view manufacturer = "radbridge";
constexpr std::size_t max_uid_length = 64;
constexpr std::size_t max_ds_length = 16;

// DICOM designators of the code systems a mapping names by FHIR URI.
struct known_system {
  std::string_view uri;
  std::string_view designator;
};
constexpr std::array<known_system, 8> known_systems{{
    {"http://snomed.info/sct", "SCT"},
    {"http://loinc.org", "LN"},
    {"http://dicom.nema.org/resources/ontology/DCM", "DCM"},
    {"http://unitsofmeasure.org", "UCUM"},
    {"http://radelement.org", "RADELEMENT"},
    {"https://radelement.org", "RADELEMENT"},
    {"http://www.radlex.org", "RADLEX"},
    {"http://radlex.org", "RADLEX"},
}};

// DCMTK's own diagnostics would go to stderr unformatted; every DCMTK
// status is checked here and turned into a build_error instead.
void silence_dcmtk() {
  static std::once_flag once;
  std::call_once(once, [] { OFLog::configure(OFLogger::OFF_LOG_LEVEL); });
}

void check(const OFCondition& status, std::string_view what) {
  if (status.bad()) throw build_error(fmt::format("DICOM SR: {}: {}", what, status.text()));
}

bool is_uid(std::string_view s) {
  return !s.empty() && s.size() <= max_uid_length &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

void require_uid(std::string_view value, std::string_view what) {
  if (!is_uid(value)) throw build_error(fmt::format("{}: \"{}\" is not a DICOM UID", what, value));
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

DSRCodedEntryValue coded(const route::coded_concept& c, std::string_view what) {
  std::string_view designator = c.hl7_system;
  for (const auto& k : known_systems)
    if (c.system == k.uri) designator = k.designator;
  if (c.code.empty() || designator.empty() || c.display.empty())
    throw build_error(fmt::format("{}: a code needs a code, a coding system and a display", what));
  DSRCodedEntryValue value;
  check(value.setCode(c.code.c_str(), std::string(designator).c_str(), c.display.c_str()),
        fmt::format("{} ({}, {})", what, c.code, designator));
  return value;
}

DSRCodedEntryValue ucum_unit(const std::string& ucum) {
  // UCUM "1" is unity; DICOM names it "no units".
  DSRCodedEntryValue value;
  check(value.setCode(ucum.c_str(), "UCUM", ucum == "1" ? "no units" : ucum.c_str()), "unit " + ucum);
  return value;
}

// A DS value (at most 16 characters): the shortest text that reads back as
// the same double when it fits, else as many significant digits as fit.
std::string decimal_string(double v) {
  std::array<char, 64> buffer{};
  auto fits = [&](std::to_chars_result r) {
    return r.ec == std::errc{} && static_cast<std::size_t>(r.ptr - buffer.data()) <= max_ds_length;
  };
  char* const first = buffer.data();
  char* const last = buffer.data() + buffer.size();
  if (const auto r = std::to_chars(first, last, v); fits(r)) return std::string(first, r.ptr);
  for (int precision = 15; precision > 0; --precision)
    if (const auto r = std::to_chars(first, last, v, std::chars_format::general, precision); fits(r))
      return std::string(first, r.ptr);
  throw build_error(fmt::format("{} cannot be written as a DICOM decimal string", v));
}

// DICOM DA and TM of a time point, in UTC.
struct utc_date_time {
  std::string date;  // YYYYMMDD
  std::string time;  // HHMMSS
};

utc_date_time utc(std::chrono::system_clock::time_point t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{seconds - days};
  const int year = static_cast<int>(ymd.year());
  if (year < 1 || year > 9999) throw build_error("issued: the time is outside the years 1 to 9999");
  return {fmt::format("{:04}{:02}{:02}", year, static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day())),
          fmt::format("{:02}{:02}{:02}", hms.hours().count(), hms.minutes().count(), hms.seconds().count())};
}

DSRCodedEntryValue procedure_reported(std::string_view modality) {
  // CID 100 (Quantitative Diagnostic Imaging Procedures) by the series'
  // modality; the order's own procedure code is local (OBR-4 "...^L").
  if (modality == "CT") return DSRCodedEntryValue("25045-6", "LN", "CT unspecified body region");
  if (modality == "MR") return DSRCodedEntryValue("25056-3", "LN", "MRI unspecified body region");
  return DSRCodedEntryValue("363679005", "SCT", "Imaging procedure");
}

// Adds content items below a given node: the tree's cursor is moved to the
// parent first, so callers name parents by node ID instead of steering it.
class tree_writer {
 public:
  explicit tree_writer(DSRDocumentTree& tree) : tree_(tree) {}

  size_t root(const DSRCodedEntryValue& title) {
    const size_t id = tree_.addContentItem(DSRTypes::RT_isRoot, DSRTypes::VT_Container);
    if (id == 0) throw build_error("DICOM SR: cannot create the root container");
    check(tree_.getCurrentContentItem().setConceptName(title), "document title");
    return id;
  }

  // A child of `parent`, after its existing children; the cursor stays on it.
  size_t add(size_t parent, DSRTypes::E_RelationshipType relationship, DSRTypes::E_ValueType type,
             const DSRCodedEntryValue& concept_name) {
    if (tree_.gotoNode(parent) != parent) throw build_error("DICOM SR: lost a parent content item");
    const size_t id = tree_.addContentItem(relationship, type, DSRTypes::AM_belowCurrent);
    if (id == 0)
      throw build_error(fmt::format("DICOM SR: an Enhanced SR cannot hold {} {} \"{}\" there",
                                    DSRTypes::relationshipTypeToReadableName(relationship),
                                    DSRTypes::valueTypeToDefinedTerm(type), concept_name.getCodeMeaning().c_str()));
    if (!concept_name.getCodeValue().empty() || !concept_name.getCodeMeaning().empty())
      check(item().setConceptName(concept_name), concept_name.getCodeMeaning().c_str());
    return id;
  }

  size_t container(size_t parent, const DSRCodedEntryValue& name) {
    const size_t id = add(parent, DSRTypes::RT_contains, DSRTypes::VT_Container, name);
    check(item().setContinuityOfContent(DSRTypes::COC_Separate), "continuity of content");
    return id;
  }

  size_t code(size_t parent, DSRTypes::E_RelationshipType relationship, const DSRCodedEntryValue& name,
              const DSRCodedEntryValue& value) {
    const size_t id = add(parent, relationship, DSRTypes::VT_Code, name);
    check(item().setCodeValue(value), name.getCodeMeaning().c_str());
    return id;
  }

  size_t text(size_t parent, DSRTypes::E_RelationshipType relationship, const DSRCodedEntryValue& name,
              const std::string& value) {
    const size_t id = add(parent, relationship, DSRTypes::VT_Text, name);
    check(item().setStringValue(value.c_str()), name.getCodeMeaning().c_str());
    return id;
  }

  size_t uid(size_t parent, DSRTypes::E_RelationshipType relationship, const DSRCodedEntryValue& name,
             const std::string& value) {
    const size_t id = add(parent, relationship, DSRTypes::VT_UIDRef, name);
    check(item().setStringValue(value.c_str()), name.getCodeMeaning().c_str());
    return id;
  }

  size_t number(size_t parent, const DSRCodedEntryValue& name, double value, const DSRCodedEntryValue& unit) {
    const size_t id = add(parent, DSRTypes::RT_contains, DSRTypes::VT_Num, name);
    DSRNumericMeasurementValue measurement;
    check(measurement.setValue(decimal_string(value).c_str(), unit), name.getCodeMeaning().c_str());
    check(measurement.setFloatingPointRepresentation(value), name.getCodeMeaning().c_str());
    check(item().setNumericValue(measurement), name.getCodeMeaning().c_str());
    return id;
  }

  size_t image(size_t parent, const source_instance& instance) {
    const size_t id = add(parent, DSRTypes::RT_contains, DSRTypes::VT_Image, DSRCodedEntryValue());
    check(item().setImageReference(
              DSRImageReferenceValue(instance.sop_class_uid.c_str(), instance.sop_instance_uid.c_str())),
          "image " + instance.sop_instance_uid);
    return id;
  }

  DSRContentItem& item() { return tree_.getCurrentContentItem(); }

 private:
  DSRDocumentTree& tree_;
};

// TID 4019 below an AI-derived item: which model made it.
void algorithm(tree_writer& w, size_t parent, const infer::inference_result& result) {
  w.text(parent, DSRTypes::RT_hasConceptMod, CODE_DCM_AlgorithmName, result.model_id);
  w.text(parent, DSRTypes::RT_hasConceptMod, CODE_DCM_AlgorithmVersion, result.version);
}

void check_finding(const infer::finding& f) {
  if (f.probability && !(*f.probability >= 0.0 && *f.probability <= 1.0))
    throw build_error(fmt::format("finding \"{}\": probability {} is not within 0..1", f.label, *f.probability));
  if (f.value && !std::isfinite(*f.value))
    throw build_error(fmt::format("finding \"{}\": value {} is not a finite number", f.label, *f.value));
}

void measurement_group(tree_writer& w, size_t parent, const result_input& input, const infer::inference_result& result,
                       const infer::finding& f) {
  const route::route& r = *input.route;
  check_finding(f);
  const route::finding_mapping* mapping = r.finding(f.label);
  if (mapping == nullptr)
    throw build_error(fmt::format("finding \"{}\" of model {} is not mapped by route {}", f.label, result.model_id,
                                  r.name));
  const DSRCodedEntryValue observation =
      coded(mapping->observation, fmt::format("finding \"{}\": observation", f.label));

  const size_t group = w.container(parent, CODE_DCM_MeasurementGroup);
  w.text(group, DSRTypes::RT_hasObsContext, CODE_DCM_TrackingIdentifier, f.label);
  w.uid(group, DSRTypes::RT_hasObsContext, CODE_DCM_TrackingUniqueIdentifier,
        derived_uid(input.stable_key(), "sr-tracking/" + f.label));

  if (f.present) {
    const auto& answer = *f.present ? mapping->present : mapping->absent;
    const char* answer_name = *f.present ? "present" : "absent";
    if (!answer)
      throw build_error(fmt::format("finding \"{}\": route {} maps no {} concept", f.label, r.name, answer_name));
    w.code(group, DSRTypes::RT_contains, CODE_DCM_Finding, observation);
    if (f.probability && mapping->probability) {
      const DSRCodedEntryValue probability =
          coded(*mapping->probability, fmt::format("finding \"{}\": probability", f.label));
      const size_t num = w.number(group, probability, *f.probability, ucum_unit("1"));
      algorithm(w, num, result);
    }
    const size_t evaluation = w.code(group, DSRTypes::RT_contains, observation,
                                     coded(*answer, fmt::format("finding \"{}\": {}", f.label, answer_name)));
    algorithm(w, evaluation, result);
  } else if (f.value) {
    if (mapping->ucum.empty())
      throw build_error(fmt::format("finding \"{}\": route {} maps no UCUM unit", f.label, r.name));
    if (!f.unit.empty() && f.unit != mapping->ucum)
      throw build_error(fmt::format("finding \"{}\": the model's unit \"{}\" is not the mapped unit \"{}\"", f.label,
                                    f.unit, mapping->ucum));
    const size_t num = w.number(group, observation, *f.value, ucum_unit(mapping->ucum));
    algorithm(w, num, result);
  } else {
    throw build_error(fmt::format("finding \"{}\" of model {} has neither present nor value", f.label,
                                  result.model_id));
  }
}

void check_input(const result_input& input) {
  if (input.route == nullptr) throw build_error("no route in the result input");
  if (!input.series)
    throw build_error("no source series in the result input: the SR needs the analysed series' DICOM headers");
  const source_series& s = *input.series;
  require_uid(s.study_uid, "source series: StudyInstanceUID");
  require_uid(s.series_uid, "source series: SeriesInstanceUID");
  if (s.instances.empty()) throw build_error("source series: no instances to reference");
  for (const auto& i : s.instances) {
    require_uid(i.sop_class_uid, "source series: SOPClassUID");
    require_uid(i.sop_instance_uid, "source series: SOPInstanceUID");
  }
  if (input.results.empty()) throw build_error("no model results to report");
  for (const auto& result : input.results) {
    if (result.model_id.empty() || result.version.empty())
      throw build_error("a model result has no model id or version");
    if (!result.study_uid.empty() && result.study_uid != s.study_uid)
      throw build_error(fmt::format("model {}: its study {} is not the source series' study {}", result.model_id,
                                    result.study_uid, s.study_uid));
    if (!result.series_uid.empty() && result.series_uid != s.series_uid)
      throw build_error(fmt::format("model {}: its series {} is not the source series {}", result.model_id,
                                    result.series_uid, s.series_uid));
  }
  if (input.job_key.empty()) throw build_error("no job key in the result input");
}

// Whether any text the SR may hold is not ASCII (then it declares ISO_IR 192).
bool needs_utf8(const result_input& input) {
  const source_series& s = *input.series;
  std::vector<std::string_view> texts{s.patient_id, s.patient_name, s.study_id, s.accession, s.referring_physician,
                                      input.engine_version};
  for (const auto& result : input.results) {
    texts.insert(texts.end(), {result.model_id, result.version});
    for (const auto& f : result.findings) texts.push_back(f.label);
  }
  auto add = [&](const route::coded_concept& c) { texts.insert(texts.end(), {c.code, c.hl7_system, c.display}); };
  for (const auto& m : input.route->findings) {
    add(m.observation);
    for (const auto* c : {&m.present, &m.absent, &m.probability})
      if (*c) add(**c);
    texts.push_back(m.ucum);
  }
  return !std::all_of(texts.begin(), texts.end(), is_ascii);
}

bool every_model_reported(const result_input& input) {
  return std::all_of(input.route->models.begin(), input.route->models.end(), [&](const std::string& model) {
    return std::any_of(input.results.begin(), input.results.end(),
                       [&](const infer::inference_result& r) { return r.model_id == model; });
  });
}

void fill_content(DSRDocument& document, const result_input& input) {
  const source_series& s = *input.series;
  tree_writer w(document.getTree());
  const size_t root = w.root(CODE_DCM_ImagingMeasurementReport);
  check(w.item().setTemplateIdentification("1500", "DCMR"), "template identification");
  check(w.item().setContinuityOfContent(DSRTypes::COC_Separate), "continuity of content");

  w.code(root, DSRTypes::RT_hasConceptMod, CODE_DCM_LanguageOfContentItemAndDescendants,
         DSRCodedEntryValue("eng", "RFC5646", "English"));
  w.code(root, DSRTypes::RT_hasObsContext, CODE_DCM_ObserverType, CODE_DCM_Device);
  w.uid(root, DSRTypes::RT_hasObsContext, CODE_DCM_DeviceObserverUID, derived_uid("radbridge", "device-observer"));
  w.text(root, DSRTypes::RT_hasObsContext, CODE_DCM_DeviceObserverName, std::string(manufacturer));
  w.text(root, DSRTypes::RT_hasObsContext, CODE_DCM_DeviceObserverManufacturer, std::string(manufacturer));
  w.text(root, DSRTypes::RT_hasObsContext, CODE_DCM_DeviceObserverModelName, std::string(manufacturer));
  w.code(root, DSRTypes::RT_hasConceptMod, CODE_DCM_ProcedureReported, procedure_reported(s.modality));

  const size_t library = w.container(root, CODE_DCM_ImageLibrary);
  const size_t library_group = w.container(library, CODE_DCM_ImageLibraryGroup);
  for (const auto& instance : s.instances) {
    w.image(library_group, instance);
    check(document.getCurrentRequestedProcedureEvidence().addItem(s.study_uid.c_str(), s.series_uid.c_str(),
                                                                  instance.sop_class_uid.c_str(),
                                                                  instance.sop_instance_uid.c_str()),
          "evidence " + instance.sop_instance_uid);
  }

  const size_t measurements = w.container(root, CODE_DCM_ImagingMeasurements);
  for (const auto& result : input.results)
    for (const auto& f : result.findings) measurement_group(w, measurements, input, result, f);
  if (!document.getTree().isValid()) throw build_error("DICOM SR: DCMTK finds the content tree invalid");
}

void set(DcmItem& dataset, const DcmTagKey& tag, const std::string& value, std::string_view what) {
  check(dataset.putAndInsertString(tag, value.c_str()), what);
}

std::string part10_bytes(DcmFileFormat& file) {
  std::string out;
  std::vector<char> chunk(std::size_t{1} << 16);
  DcmOutputBufferStream stream(chunk.data(), static_cast<offile_off_t>(chunk.size()));
  file.transferInit();
  OFCondition status = EC_StreamNotifyClient;
  while (status == EC_StreamNotifyClient) {
    status = file.write(stream, EXS_LittleEndianExplicit, EET_ExplicitLength, nullptr);
    void* data = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(data, length);
    out.append(static_cast<const char*>(data), static_cast<std::size_t>(length));
  }
  file.transferEnd();
  check(status, "writing the Part 10 file");
  return out;
}

}  // namespace

std::string build_sr(const result_input& input) {
  silence_dcmtk();
  check_input(input);
  const source_series& s = *input.series;
  const utc_date_time issued = utc(input.issued);

  DSRDocument document(DSRTypes::DT_EnhancedSR);
  if (needs_utf8(input)) check(document.setSpecificCharacterSetType(DSRTypes::CS_UTF8), "SpecificCharacterSet");
  check(document.setPatientName(s.patient_name.c_str(), false), "PatientName");
  check(document.setPatientID(s.patient_id.c_str(), false), "PatientID");
  check(document.setPatientBirthDate(s.patient_birth_date.c_str(), false), "PatientBirthDate");
  check(document.setPatientSex(s.patient_sex.c_str(), false), "PatientSex");
  check(document.createNewSeriesInStudy(s.study_uid.c_str()), "StudyInstanceUID");
  check(document.setStudyDate(s.study_date.c_str(), false), "StudyDate");
  check(document.setStudyTime(s.study_time.c_str(), false), "StudyTime");
  check(document.setStudyID(s.study_id.c_str(), false), "StudyID");
  check(document.setAccessionNumber(s.accession.c_str(), false), "AccessionNumber");
  check(document.setReferringPhysicianName(s.referring_physician.c_str(), false), "ReferringPhysicianName");
  check(document.setSeriesNumber(std::string(series_number).c_str()), "SeriesNumber");
  check(document.setInstanceNumber(std::string(instance_number).c_str()), "InstanceNumber");
  check(document.setSeriesDate(issued.date.c_str()), "SeriesDate");
  check(document.setSeriesTime(issued.time.c_str()), "SeriesTime");
  check(document.setContentDate(issued.date.c_str()), "ContentDate");
  check(document.setContentTime(issued.time.c_str()), "ContentTime");
  check(document.setTimezoneOffsetFromUTC("+0000"), "TimezoneOffsetFromUTC");
  check(document.setManufacturer(std::string(manufacturer).c_str()), "Manufacturer");
  if (!input.engine_version.empty())
    check(document.setSoftwareVersions(input.engine_version.c_str()), "SoftwareVersions");
  check(document.setSeriesDescription("AI findings (radbridge)"), "SeriesDescription");
  check(document.setPreliminaryFlag(DSRTypes::PF_Preliminary), "PreliminaryFlag");
  if (every_model_reported(input)) check(document.completeDocument(), "CompletionFlag");

  fill_content(document, input);
  if (!input.predecessor_key.empty()) {
    // The SR this one replaces (a correction for a newer version of the study).
    OFString sop_class;
    check(document.getSOPClassUID(sop_class), "SOPClassUID");
    check(document.getPredecessorDocuments().addItem(input.series->study_uid.c_str(),
                                                     derived_uid(input.predecessor_key, "sr-series").c_str(),
                                                     sop_class, derived_uid(input.predecessor_key, "sr-instance").c_str()),
          "PredecessorDocumentsSequence");
  }

  DcmFileFormat file;
  DcmDataset& dataset = *file.getDataset();
  check(document.write(dataset), "writing the document");
  // DCMTK makes up the identifiers and the creation time of a new
  // document; ours are derived from the job, so a rebuild is the same file.
  set(dataset, DCM_SeriesInstanceUID, derived_uid(input.job_key, "sr-series"), "SeriesInstanceUID");
  set(dataset, DCM_SOPInstanceUID, derived_uid(input.job_key, "sr-instance"), "SOPInstanceUID");
  set(dataset, DCM_InstanceCreationDate, issued.date, "InstanceCreationDate");
  set(dataset, DCM_InstanceCreationTime, issued.time, "InstanceCreationTime");
  return part10_bytes(file);
}

}  // namespace radbridge::results
