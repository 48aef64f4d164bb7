// deliver/stow_sender against a real Orthanc with its DICOMweb plugin: an SR
// (a Basic Text SR written with pydicom under /usr/bin/python3) is stored
// and read back byte for byte; what Orthanc refuses is rejected with its
// reason; a PACS that is gone is retry.
#include "core/sha256.hpp"
#include "deliver/stow_sender.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "deliver/sender.hpp"
#include "fetch/dicomweb_client.hpp"
#include "support/orthanc_server.hpp"
#include "support/process.hpp"
#include "support/synthetic_studies.hpp"

namespace {

namespace fs = std::filesystem;
namespace test = radbridge::test;
namespace deliver = radbridge::deliver;
namespace fetch = radbridge::fetch;
using deliver::attempt_result;
using deliver::outbound_item;
using namespace std::chrono_literals;

// UIDs no other test of this program uses (2.25.6107...).
struct sr_uids {
  std::string study, series, instance;
};
sr_uids uids(int n) {
  const std::string base = "2.25.6107000000000000000000000000" + std::to_string(100 + n);
  return {base + "1", base + "2", base + "3"};
}

constexpr const char* make_sr_script = R"(import sys
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian
study, series, instance, out = sys.argv[1:5]
basic_text_sr = "1.2.840.10008.5.1.4.1.1.88.11"
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = basic_text_sr
meta.MediaStorageSOPInstanceUID = instance
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = FileDataset(out, {}, file_meta=meta, preamble=b"\0" * 128)
ds.is_little_endian = True
ds.is_implicit_VR = False
ds.SOPClassUID = basic_text_sr
ds.SOPInstanceUID = instance
ds.StudyInstanceUID = study
ds.SeriesInstanceUID = series
ds.Modality = "SR"
ds.PatientName = "TEST^DELIVER"
ds.PatientID = "DELIVER-STOW"
ds.StudyDate = "20250301"
ds.StudyTime = "120000"
ds.AccessionNumber = "ACC-STOW"
ds.SeriesNumber = 999
ds.InstanceNumber = 1
ds.ValueType = "CONTAINER"
ds.ContinuityOfContent = "SEPARATE"
ds.CompletionFlag = "COMPLETE"
ds.VerificationFlag = "UNVERIFIED"
title = Dataset()
title.CodeValue = "126000"
title.CodingSchemeDesignator = "DCM"
title.CodeMeaning = "Imaging Measurement Report"
ds.ConceptNameCodeSequence = [title]
item = Dataset()
item.RelationshipType = "CONTAINS"
item.ValueType = "TEXT"
name = Dataset()
name.CodeValue = "121071"
name.CodingSchemeDesignator = "DCM"
name.CodeMeaning = "Finding"
item.ConceptNameCodeSequence = [name]
item.TextValue = "No intracranial hemorrhage detected"
ds.ContentSequence = [item]
ds.save_as(out, write_like_original=False)
)";

std::string make_sr(const sr_uids& u) {
  test::temp_folder folder("radbridge-deliver-sr");
  const fs::path out = folder.path() / "sr.dcm";
  test::python(make_sr_script, u.study + " " + u.series + " " + u.instance + " " + test::quoted(out));
  std::string bytes = test::read_file(out);
  REQUIRE(bytes.size() > 132);
  REQUIRE(bytes.substr(128, 4) == "DICM");
  return bytes;
}

outbound_item sr_item(const sr_uids& u, std::string payload) {
  outbound_item item;
  item.type = radbridge::work::output_kind::sr;
  item.identity = u.instance;
  item.study_uid = u.study;
  item.payload = std::move(payload);
  return item;
}

deliver::stow_sender sender_for(const test::orthanc_server& pacs) {
  return deliver::stow_sender({pacs.dicomweb_url(), {}, 60s, {}, {}, {}});
}

// A Part 10 preamble and magic followed by bytes no DICOM parser accepts.
std::string unparsable_part10() { return std::string(128, '\0') + "DICM" + std::string(64, '\xff') + "not a data set"; }

}  // namespace

TEST_CASE("stow sender: an SR is stored, read back byte for byte, and a resend is sent again") {
  test::orthanc_server& pacs = test::shared_orthanc();
  auto sender = sender_for(pacs);
  const sr_uids u = uids(1);
  const std::string sr = make_sr(u);

  const auto outcome = sender.send(sr_item(u, sr));
  CHECK(outcome.result == attempt_result::sent);
  // Messages name the study by its reference, never its UID.
  const std::string where = "DICOMweb POST " + pacs.dicomweb_url() + "/studies/" + radbridge::reference_of(u.study);
  CHECK(outcome.detail == where + ": stored SOP instance " + u.instance);
  CHECK(outcome.response ==
        pacs.dicomweb_url() + "/studies/" + u.study + "/series/" + u.series + "/instances/" + u.instance);

  fetch::dicomweb_settings settings;
  settings.base_url = pacs.dicomweb_url();
  const fetch::dicomweb_client client(settings);
  CHECK(client.retrieve_series(u.study, u.series) == std::vector<std::string>{sr});

  const auto again = sender.send(sr_item(u, sr));
  CHECK(again.result == attempt_result::sent);
  CHECK(again.detail == where + ": stored SOP instance " + u.instance);
  CHECK(client.retrieve_series(u.study, u.series).size() == 1);
}

TEST_CASE("stow sender: what Orthanc refuses, or cannot be DICOM, is rejected with the reason") {
  test::orthanc_server& pacs = test::shared_orthanc();
  auto sender = sender_for(pacs);
  const sr_uids u = uids(2);

  SUBCASE("bytes that are not a Part 10 file are refused before any request") {
    const auto outcome = sender.send(sr_item(u, "this is not DICOM"));
    CHECK(outcome.result == attempt_result::rejected);
    CHECK(outcome.detail == "DICOMweb POST " + pacs.dicomweb_url() + "/studies/" + radbridge::reference_of(u.study) +
                                ": DICOMweb store: file 1 is not a DICOM Part 10 file");
    CHECK(outcome.response.empty());
  }
  SUBCASE("a Part 10 file Orthanc cannot parse (400)") {
    auto item = sr_item(u, unparsable_part10());
    item.study_uid.clear();
    const auto outcome = sender.send(item);
    CHECK(outcome.result == attempt_result::rejected);
    CHECK(outcome.detail == "DICOMweb POST " + pacs.base_url() +
                                "/dicom-web/studies: HTTP 400 Bad Request; the server stored 0 of 1 instances, naming no failure");
  }
  SUBCASE("an SR of another study than the item names (409, FailedSOPSequence)") {
    auto item = sr_item(u, make_sr(u));
    item.study_uid = uids(3).study;
    const auto outcome = sender.send(item);
    CHECK(outcome.result == attempt_result::rejected);
    CHECK(outcome.detail == "DICOMweb POST " + pacs.base_url() + "/dicom-web/studies/" +
                                radbridge::reference_of(item.study_uid) + ": HTTP 409 Conflict; instance " +
                                radbridge::reference_of(u.instance) +
                                " (SOP class 1.2.840.10008.5.1.4.1.1.88.11) failed: 0x0110 processing failure");
  }
  SUBCASE("a study UID that is not a UID") {
    auto item = sr_item(u, make_sr(u));
    item.study_uid = "1.2.x";
    const auto outcome = sender.send(item);
    CHECK(outcome.result == attempt_result::rejected);
    CHECK(outcome.detail == "DICOMweb POST " + pacs.base_url() + "/dicom-web/studies/" + radbridge::reference_of("1.2.x") +
                                ": not a DICOM UID");
  }
}

TEST_CASE("stow sender: a PACS that has stopped is retry naming the connect failure") {
  test::orthanc_server pacs;
  auto sender = sender_for(pacs);
  const sr_uids u = uids(4);
  const std::string sr = make_sr(u);
  CHECK(sender.send(sr_item(u, sr)).result == attempt_result::sent);
  pacs.stop();
  const auto outcome = sender.send(sr_item(u, sr));
  CHECK(outcome.result == attempt_result::retry);
  CHECK(outcome.detail == "HTTP POST " + pacs.base_url() + "/dicom-web/studies/" + u.study +
                              ": cannot connect: Connection refused");
  CHECK(outcome.response.empty());
}

TEST_CASE("stow sender (make_sender): a dicomweb destination") {
  test::orthanc_server& pacs = test::shared_orthanc();
  radbridge::route::destination d;
  d.name = "pacs";
  d.type = radbridge::route::destination::kind::dicomweb;
  d.address = pacs.dicomweb_url();
  const auto sender = deliver::make_sender(d, 60s);
  const sr_uids u = uids(5);
  const auto outcome = sender->send(sr_item(u, make_sr(u)));
  CHECK(outcome.result == attempt_result::sent);
  CHECK(outcome.detail ==
        "DICOMweb POST " + pacs.dicomweb_url() + "/studies/" + radbridge::reference_of(u.study) +
            ": stored SOP instance " + u.instance);
}
