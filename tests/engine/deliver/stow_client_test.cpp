// stow_client::store (STOW-RS) against a real Orthanc with its DICOMweb
// plugin: what it stores can be found (QIDO-RS) and retrieved (WADO-RS, with
// fetch's dicomweb_client) byte for byte; what it refuses comes back as
// stow_error(rejected) with the server's reason. Studies come from models/train/synth_ct.py (seed 4107,
// so no other test of this program shares their UIDs or patients).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/sha256.hpp"
#include "core/secret_file.hpp"
#include "deliver/sender.hpp"
#include "deliver/stow_client.hpp"
#include "fetch/dicomweb_client.hpp"
#include "fetch/fetch_error.hpp"
#include "fetch/series_headers.hpp"
#include "net/http_auth.hpp"
#include "support.hpp"
#include "support/orthanc_server.hpp"
#include "support/process.hpp"
#include "support/synthetic_studies.hpp"

namespace {

namespace fs = std::filesystem;
namespace test = radbridge::test;
using radbridge::deliver::store_result;
using radbridge::deliver::stow_client;
using radbridge::deliver::stow_errc;
using radbridge::deliver::stow_error;
using radbridge::deliver::stow_settings;
using radbridge::fetch::dicomweb_client;
using radbridge::fetch::dicomweb_settings;
using radbridge::fetch::read_series_headers;
using radbridge::net::auth_scheme;

constexpr const char* ct_image_storage = "1.2.840.10008.5.1.4.1.1.2";

// Three generated studies (4 slices each), read into memory.
struct store_data {
  test::temp_folder temp{"radbridge-stow"};
  std::vector<std::vector<std::string>> studies;  // the Part 10 files of each study's one series

  store_data() {
    test::generate(temp.path(), 4107, 3, 4, 32);
    for (const char* folder : {"study-000", "study-001", "study-002"})
      studies.push_back(test::read_all(test::files_in(temp.path() / folder)));
  }
};

const store_data& data() {
  static const store_data d;
  return d;
}

stow_settings settings_for(const test::orthanc_server& pacs) {
  stow_settings s;
  s.base_url = pacs.dicomweb_url();
  s.connect_timeout = std::chrono::seconds(5);
  s.read_timeout = std::chrono::seconds(60);
  return s;
}

// QIDO-RS and WADO-RS, to check what was stored.
dicomweb_client reader_for(const test::orthanc_server& pacs, const stow_settings& s = {}) {
  dicomweb_settings d;
  d.base_url = pacs.dicomweb_url();
  d.auth = s.auth;
  return dicomweb_client(d);
}

// The stow_error a call throws (a failed check when it throws none).
stow_error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const stow_error& e) {
    return e;
  }
  FAIL("no stow_error thrown");
  return stow_error(stow_errc::bad_response, "unreachable");
}


bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A Part 10 preamble and magic followed by bytes no DICOM parser accepts.
std::string broken_part10() {
  return std::string(128, '\0') + "DICM" + std::string(64, '\xff') + "not a data set";
}

}  // namespace

TEST_CASE("stow client: a series is stored, then found by QIDO-RS and retrieved byte for byte by WADO-RS") {
  const auto& files = data().studies[0];
  const auto headers = read_series_headers(files);
  test::orthanc_server& pacs = test::shared_orthanc();
  const stow_client client(settings_for(pacs));
  const dicomweb_client reader = reader_for(pacs);

  const store_result stored = client.store(files);
  CHECK(ends_with(stored.retrieve_url, "/dicom-web/studies/" + headers.study_uid));
  REQUIRE(stored.stored.size() == files.size());
  std::set<std::string> stored_uids;
  for (const auto& s : stored.stored) {
    CHECK(s.sop_class_uid == ct_image_storage);
    CHECK(ends_with(s.retrieve_url, "/studies/" + headers.study_uid + "/series/" + headers.series_uid +
                                        "/instances/" + s.sop_instance_uid));
    CHECK_FALSE(s.warning_reason.has_value());
    stored_uids.insert(s.sop_instance_uid);
  }
  std::set<std::string> sent_uids;
  for (const auto& i : headers.instances) sent_uids.insert(i.sop_instance_uid);
  CHECK(stored_uids == sent_uids);

  const auto series = reader.list_series(headers.study_uid);
  REQUIRE(series.size() == 1);
  CHECK(series[0].identity.series_uid == headers.series_uid);
  CHECK(series[0].instances == files.size());
  const auto retrieved = reader.retrieve_series(headers.study_uid, headers.series_uid);
  CHECK(std::multiset<std::string>(retrieved.begin(), retrieved.end()) ==
        std::multiset<std::string>(files.begin(), files.end()));

  SUBCASE("storing the same instances again succeeds and changes nothing (a resend is harmless)") {
    CHECK(client.store(files).stored.size() == files.size());
    CHECK(reader.retrieve_series(headers.study_uid, headers.series_uid).size() == files.size());
  }
}

TEST_CASE("stow client: into a named study, the server refuses another study's instance (409, rejected)") {
  const auto& files = data().studies[1];
  const auto headers = read_series_headers({files[0]});
  test::orthanc_server& pacs = test::shared_orthanc();
  const stow_client client(settings_for(pacs));
  const dicomweb_client reader = reader_for(pacs);
  const std::string other_study = "2.25.41070000000000000000000000000000000001";

  const auto e = error_of([&] { client.store({files[0]}, other_study); });
  CHECK(e.code() == stow_errc::rejected);
  CHECK_FALSE(e.transient());
  CHECK(std::string(e.what()) == "DICOMweb POST " + pacs.base_url() + "/dicom-web/studies/" +
                                     radbridge::reference_of(other_study) + ": HTTP 409 Conflict; instance " +
                                     radbridge::reference_of(headers.instances[0].sop_instance_uid) +
                                     " (SOP class " + ct_image_storage + ") failed: 0x0110 processing failure");
  try {
    (void)reader.list_series(headers.study_uid);
    FAIL("the refused instance's study exists");
  } catch (const radbridge::fetch::fetch_error& not_stored) {
    CHECK(not_stored.code() == radbridge::fetch::fetch_errc::not_found);
  }

  // Into its own study it is accepted.
  CHECK(client.store({files[0]}, headers.study_uid).stored.size() == 1);
  CHECK(reader.list_series(headers.study_uid).size() == 1);
}

TEST_CASE("stow client: a body the server cannot read is rejected with the exact reason (400)") {
  test::orthanc_server& pacs = test::shared_orthanc();
  const stow_client client(settings_for(pacs));
  const dicomweb_client reader = reader_for(pacs);
  const std::string url = "DICOMweb POST " + pacs.base_url() + "/dicom-web/studies";

  SUBCASE("one unreadable file") {
    const auto e = error_of([&] { client.store({broken_part10()}); });
    CHECK(e.code() == stow_errc::rejected);
    CHECK_FALSE(e.transient());
    CHECK(std::string(e.what()) == url + ": HTTP 400 Bad Request; the server stored 0 of 1 instances, naming no failure");
  }
  SUBCASE("a good file and an unreadable one: the good one is stored, the call still fails") {
    const auto& files = data().studies[2];
    const auto headers = read_series_headers({files[0]});
    const auto e = error_of([&] { client.store({files[0], broken_part10()}); });
    CHECK(e.code() == stow_errc::rejected);
    CHECK(std::string(e.what()) == url + ": HTTP 400 Bad Request; the server stored 1 of 2 instances, naming no failure");
    CHECK(reader.retrieve_series(headers.study_uid, headers.series_uid) == std::vector<std::string>{files[0]});
  }
}

TEST_CASE("stow client: what cannot be sent is refused before any request") {
  const stow_client client(settings_for(test::shared_orthanc()));
  CHECK_THROWS_WITH_AS(client.store({}), "DICOMweb store: no instances to store", std::invalid_argument);
  CHECK_THROWS_WITH_AS(client.store({data().studies[0][0], "not a DICOM file"}),
                       "DICOMweb store: file 2 is not a DICOM Part 10 file", std::invalid_argument);
  const auto e = error_of([&] { client.store({data().studies[0][0]}, "1.2.x"); });
  CHECK(e.code() == stow_errc::not_found);
  CHECK(std::string(e.what()).find("not a DICOM UID") != std::string::npos);
}

TEST_CASE("stow client: basic authentication is sent; without it the server's 401 is unauthorized") {
  test::orthanc_server_options options;
  options.authentication = true;
  test::orthanc_server pacs(options);
  const auto& files = data().studies[0];
  const auto headers = read_series_headers(files);

  auto settings = settings_for(pacs);
  const auto e = error_of([&] { stow_client(settings).store(files); });
  CHECK(e.code() == stow_errc::unauthorized);
  CHECK(std::string(e.what()) == "DICOMweb POST " + pacs.base_url() + "/dicom-web/studies: HTTP 401 Unauthorized");

  settings.auth.scheme = auth_scheme::basic;
  settings.auth.user = options.user;
  settings.auth.password = options.password;
  const stow_client client(settings);
  const dicomweb_client reader = reader_for(pacs, settings);
  CHECK(client.store(files).stored.size() == files.size());
  CHECK(reader.retrieve_series(headers.study_uid, headers.series_uid).size() == files.size());

  // The same through make_sender, as serve builds it from a dicomweb
  // destination whose password is in a file; a wrong one is rejected.
  const test::temp_folder dir("radbridge-stow-auth");
  test::write_file(dir.path() / "pacs.pw", options.password + "\n");
  radbridge::route::destination d;
  d.name = "pacs";
  d.type = radbridge::route::destination::kind::dicomweb;
  d.address = pacs.dicomweb_url();
  d.auth.how = radbridge::route::destination_auth::scheme::basic;
  d.auth.user = options.user;
  d.auth.password = radbridge::secrets::read_secret_file((dir.path() / "pacs.pw").string());
  radbridge::deliver::outbound_item item;
  item.type = radbridge::work::output_kind::sr;
  item.identity = headers.instances.at(0).sop_instance_uid;
  item.study_uid = headers.study_uid;
  item.payload = files.at(0);
  const auto sent = radbridge::deliver::make_sender(d, std::chrono::seconds(60))->send(item);
  CHECK_MESSAGE(sent.result == radbridge::deliver::attempt_result::sent, sent.detail);
  d.auth.password = "not-the-password";
  const auto refused = radbridge::deliver::make_sender(d, std::chrono::seconds(60))->send(item);
  CHECK(refused.result == radbridge::deliver::attempt_result::rejected);
  CHECK(refused.detail == "DICOMweb POST " + pacs.dicomweb_url() + "/studies/" + radbridge::reference_of(headers.study_uid) + ": HTTP 401 Unauthorized");
}
