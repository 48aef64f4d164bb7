// dicomweb_client against a real Orthanc with its DICOMweb plugin, holding
// synthetic CT studies from models/train/synth_ct.py and copies changed with
// DCMTK's dcmodify, dcmcjpeg and dcmcrle.
#include "fetch/dicomweb_client.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "fetch/fetch_error.hpp"
#include "fetch/series.hpp"
#include "json/json_document.hpp"
#include "support.hpp"
#include "support/orthanc_server.hpp"
#include "support/process.hpp"



using radbridge::test::error_of;

namespace {

namespace fs = std::filesystem;
using radbridge::net::auth_scheme;
using radbridge::fetch::dicomweb_client;
using radbridge::fetch::dicomweb_settings;
using radbridge::fetch::fetch_errc;
using radbridge::fetch::fetch_error;
using radbridge::fetch::series_info;
using radbridge::fetch::series_rule;
using radbridge::fetch::study_summary;
using radbridge::test::orthanc_server;

// Fixed UIDs for the derived series and studies (2.25 = a UUID-derived root).
const std::string thin_series_uid = "2.25.7100000000000000000000000000000000001";
const std::string mr_series_uid = "2.25.7100000000000000000000000000000000002";
const std::string chest_series_uid = "2.25.7100000000000000000000000000000000003";
const std::string jpeg_lossless = "1.2.840.10008.1.2.4.70";
const std::string rle_lossless = "1.2.840.10008.1.2.5";
const std::string explicit_little_endian = "1.2.840.10008.1.2.1";

std::string prior_study_uid(int n) { return "2.25.72000000000000000000000000000000000" + std::to_string(10 + n); }
std::string prior_series_uid(int n) { return "2.25.73000000000000000000000000000000000" + std::to_string(10 + n); }
std::string duplicate_study_uid(int n) { return "2.25.74000000000000000000000000000000000" + std::to_string(10 + n); }

// Runs a tool (a bare name is looked up in /usr/bin) to the end; a failure throws.
void run_tool(std::vector<std::string> args) {
  if (args.front().find('/') == std::string::npos) args.front() = "/usr/bin/" + args.front();
  const auto r = radbridge::test::run_to_end(args, "/dev/null", "/dev/null", std::chrono::minutes(2));
  if (r.exit_code != 0) {
    std::string command;
    for (const auto& a : args) command += a + " ";
    throw std::runtime_error("command failed: " + command);
  }
}

std::vector<fs::path> dicom_files(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.path().extension() == ".dcm") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Copies the first `count` files (0: all) of `from` into `to`.
std::vector<fs::path> copy_files(const fs::path& from, const fs::path& to, std::size_t count = 0) {
  fs::create_directories(to);
  std::vector<fs::path> copies;
  for (const auto& f : dicom_files(from)) {
    if (count != 0 && copies.size() == count) break;
    copies.push_back(to / f.filename());
    fs::copy_file(f, copies.back());
  }
  return copies;
}

// dcmodify -nb -gin (new SOP Instance UIDs) with "-i tag=value" per change.
void modify(const std::vector<fs::path>& files, const std::vector<std::string>& changes) {
  std::vector<std::string> args{"dcmodify", "-nb", "-gin"};
  for (const auto& c : changes) {
    args.push_back("-i");
    args.push_back(c);
  }
  for (const auto& f : files) args.push_back(f.string());
  run_tool(args);
}

// Every file of `from`, converted by `tool` (dcmcjpeg, dcmcrle) into `to`.
void convert(const std::string& tool, const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& f : dicom_files(from)) run_tool({tool, f.string(), (to / f.filename()).string()});
}

std::multiset<std::string> contents(const fs::path& folder) {
  std::multiset<std::string> out;
  for (const auto& f : dicom_files(folder)) out.insert(radbridge::test::read_file(f));
  return out;
}

// (0002,0010) from a Part 10 file's meta header (explicit VR little endian).
std::string transfer_syntax_of(const std::string& file) {
  std::size_t at = 132;
  while (at + 8 <= file.size()) {
    auto u16 = [&](std::size_t i) {
      return static_cast<unsigned>(static_cast<unsigned char>(file[i])) |
             static_cast<unsigned>(static_cast<unsigned char>(file[i + 1])) << 8;
    };
    const unsigned group = u16(at);
    const unsigned element = u16(at + 2);
    if (group != 2) break;
    const std::string vr = file.substr(at + 4, 2);
    std::size_t length = 0;
    std::size_t header = 8;
    if (vr == "OB" || vr == "OW" || vr == "UN" || vr == "SQ" || vr == "UT") {
      length = u16(at + 8) | static_cast<std::size_t>(u16(at + 10)) << 16;
      header = 12;
    } else {
      length = u16(at + 6);
    }
    if (element == 0x0010) {
      std::string uid = file.substr(at + header, length);
      while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' ')) uid.pop_back();
      return uid;
    }
    at += header + length;
  }
  return {};
}

struct synthetic_study {
  std::string folder;
  std::string study_uid;
  std::string series_uid;
  std::string accession;
  std::string patient_id;
};

// The studies, uploaded once to the shared Orthanc.
struct pacs_data {
  radbridge::test::temp_folder temp;  // removed with everything in it, also when build() throws
  fs::path root = temp.path();
  std::vector<synthetic_study> studies;  // truth.json of synth_ct.py --seed 7 --studies 3
  fs::path thin_series, mr_series, chest_series, jpeg_study, rle_study;

  pacs_data() { build(); }
  pacs_data(const pacs_data&) = delete;
  pacs_data& operator=(const pacs_data&) = delete;

  fs::path synth(std::size_t i) const { return root / "synth" / studies.at(i).folder; }

  void build() {
    const fs::path script = radbridge::test::source_dir() / "models/train/synth_ct.py";
    run_tool({"/usr/bin/python3", script.string(), "--seed", "7", "--studies", "3", "--slices", "8", "--size", "64",
              "--out", (root / "synth").string()});
    const auto truth = radbridge::json::parse_document(radbridge::test::read_file(root / "synth" / "truth.json"));
    if (!truth) throw std::runtime_error("truth.json: " + truth.error().reason);
    for (const auto& s : truth.value().elements())
      studies.push_back({s.find("folder")->as_string(), s.find("study_uid")->as_string(),
                         s.find("series_uid")->as_string(), s.find("accession")->as_string(),
                         s.find("patient_id")->as_string()});

    // Study 0 gains three series: thinner slices, an MR localizer, a chest series.
    thin_series = root / "thin";
    modify(copy_files(synth(0), thin_series),
           {"(0020,000E)=" + thin_series_uid, "(0008,103E)=HEAD BONE THIN", "(0020,0011)=3", "(0018,0050)=1.25"});
    mr_series = root / "mr";
    modify(copy_files(synth(0), mr_series, 2),
           {"(0020,000E)=" + mr_series_uid, "(0008,103E)=MR LOCALIZER", "(0020,0011)=4", "(0008,0060)=MR"});
    chest_series = root / "chest";
    modify(copy_files(synth(0), chest_series, 3),
           {"(0020,000E)=" + chest_series_uid, "(0008,103E)=CHEST", "(0020,0011)=5", "(0018,0015)=CHEST"});

    // Studies 1 and 2 are stored compressed only.
    jpeg_study = root / "jpeg";
    convert("dcmcjpeg", synth(1), jpeg_study);
    rle_study = root / "rle";
    convert("dcmcrle", synth(2), rle_study);

    // Studies of study 0's patient: priors (1, 2), a chest CT (3), an MR (4),
    // one dated after the current study (5).
    struct prior {
      int n;
      const char* date;
      const char* modality;
      const char* body_part;
    };
    const prior priors[] = {{1, "20230301", "CT", "HEAD"},
                            {2, "20220101", "CT", "HEAD"},
                            {3, "20230601", "CT", "CHEST"},
                            {4, "20230701", "MR", "HEAD"},
                            {5, "20991231", "CT", "HEAD"}};
    for (const auto& p : priors) {
      modify(copy_files(synth(1), root / ("prior-" + std::to_string(p.n)), 2),
             {"(0010,0020)=" + studies[0].patient_id, "(0010,0010)=SYNTHETIC^CASE0",
              "(0020,000D)=" + prior_study_uid(p.n), "(0020,000E)=" + prior_series_uid(p.n),
              "(0008,0020)=" + std::string(p.date), "(0008,0030)=101500",
              "(0008,0050)=PRIOR-" + std::to_string(p.n), "(0008,1030)=PRIOR STUDY " + std::to_string(p.n),
              "(0008,0060)=" + std::string(p.modality), "(0018,0015)=" + std::string(p.body_part)});
    }
    // Two studies that share one accession number.
    for (int n = 1; n <= 2; ++n)
      modify(copy_files(synth(2), root / ("duplicate-" + std::to_string(n)), 1),
             {"(0020,000D)=" + duplicate_study_uid(n), "(0020,000E)=" + duplicate_study_uid(n) + ".1",
              "(0008,0050)=DUP-1"});

    orthanc_server& pacs = radbridge::test::shared_orthanc();
    for (const auto& folder : {synth(0), thin_series, mr_series, chest_series, jpeg_study, rle_study})
      pacs.upload(folder);
    for (int n = 1; n <= 5; ++n) pacs.upload(root / ("prior-" + std::to_string(n)));
    for (int n = 1; n <= 2; ++n) pacs.upload(root / ("duplicate-" + std::to_string(n)));
  }
};

const pacs_data& data() {
  static const pacs_data d;
  return d;
}

dicomweb_settings settings_for(const orthanc_server& pacs) {
  dicomweb_settings s;
  s.base_url = pacs.dicomweb_url();
  s.connect_timeout = std::chrono::seconds(5);
  s.read_timeout = std::chrono::seconds(60);
  return s;
}

dicomweb_client shared_client() { return dicomweb_client(settings_for(radbridge::test::shared_orthanc())); }


}  // namespace

TEST_CASE("dicomweb: find_study_by_accession") {
  const auto& d = data();
  const auto client = shared_client();
  CHECK(client.find_study_by_accession(d.studies[0].accession) == d.studies[0].study_uid);
  CHECK(client.find_study_by_accession(d.studies[1].accession) == d.studies[1].study_uid);
  CHECK(client.find_study_by_accession("PRIOR-2") == prior_study_uid(2));

  SUBCASE("unknown, empty and wildcard accessions are not_found") {
    for (const char* accession : {"NO-SUCH-ACCESSION", "", "  ", "SYN7N*", "SYN7N?", "*"}) {
      CAPTURE(accession);
      const auto e = error_of([&] { client.find_study_by_accession(accession); });
      CHECK(e.code() == fetch_errc::not_found);
      CHECK_FALSE(e.transient());
    }
    // The accession number by its reference, never itself.
    const auto e = error_of([&] { client.find_study_by_accession("NO-SUCH-ACCESSION"); });
    CHECK(std::string(e.what()) == "DICOMweb GET " + radbridge::test::shared_orthanc().dicomweb_url() +
                                       "/studies?AccessionNumber=" + radbridge::fetch::reference_of("NO-SUCH-ACCESSION") +
                                       ": no study with that accession number");
  }
  SUBCASE("two studies with one accession: bad_response naming the count") {
    const auto e = error_of([&] { client.find_study_by_accession("DUP-1"); });
    CHECK(e.code() == fetch_errc::bad_response);
    CHECK(std::string(e.what()).find("2 studies have that accession number") != std::string::npos);
  }
}

TEST_CASE("dicomweb: list_series gives every series with its identity, sorted by number") {
  const auto& d = data();
  const auto series = shared_client().list_series(d.studies[0].study_uid);
  REQUIRE(series.size() == 4);
  CHECK(series[0].identity.series_uid == d.studies[0].series_uid);
  CHECK(series[1].identity.series_uid == thin_series_uid);
  CHECK(series[2].identity.series_uid == mr_series_uid);
  CHECK(series[3].identity.series_uid == chest_series_uid);

  const series_info& original = series[0];
  CHECK(original.identity.study_uid == d.studies[0].study_uid);
  CHECK(original.identity.accession == d.studies[0].accession);
  CHECK(original.identity.patient_id == d.studies[0].patient_id);
  CHECK(original.identity.modality == "CT");
  CHECK(original.identity.body_part == "HEAD");
  CHECK(original.identity.series_description == "HEAD NON-CONTRAST");
  CHECK(original.series_number == 2);
  CHECK(original.instances == 8);
  REQUIRE(original.slice_thickness.has_value());
  CHECK(*original.slice_thickness == doctest::Approx(18.75));

  CHECK(series[1].identity.series_description == "HEAD BONE THIN");
  CHECK(series[1].series_number == 3);
  CHECK(series[1].instances == 8);
  CHECK(series[1].slice_thickness.value_or(0) == doctest::Approx(1.25));
  CHECK(series[2].identity.modality == "MR");
  CHECK(series[2].instances == 2);
  CHECK(series[3].identity.body_part == "CHEST");
  CHECK(series[3].instances == 3);
  for (const auto& s : series) {
    CHECK(s.identity.accession == d.studies[0].accession);
    CHECK(s.identity.patient_id == d.studies[0].patient_id);
  }
}

TEST_CASE("dicomweb: retrieve by accession, choosing the series with select_series") {
  const auto& d = data();
  const auto client = shared_client();
  const std::string study_uid = client.find_study_by_accession(d.studies[0].accession);
  const auto series = client.list_series(study_uid);

  series_rule head_ct;
  head_ct.modalities = {"CT"};
  head_ct.body_parts = {"HEAD"};
  const auto& thinnest = radbridge::fetch::select_series(series, head_ct);
  CHECK(thinnest.identity.series_uid == thin_series_uid);
  const auto instances = client.retrieve_series(study_uid, thinnest.identity.series_uid);
  CHECK(instances.size() == 8);
  // Byte for byte what was uploaded, in its stored transfer syntax.
  CHECK(std::multiset<std::string>(instances.begin(), instances.end()) == contents(d.thin_series));
  for (const auto& i : instances) CHECK(transfer_syntax_of(i) == explicit_little_endian);

  series_rule by_description = head_ct;
  by_description.description_pattern = "non-contrast";
  CHECK(radbridge::fetch::select_series(series, by_description).identity.series_uid == d.studies[0].series_uid);

  series_rule chest;
  chest.body_parts = {"chest"};
  const auto& chest_series = radbridge::fetch::select_series(series, chest);
  CHECK(chest_series.identity.series_uid == chest_series_uid);
  CHECK(client.retrieve_series(study_uid, chest_series_uid).size() == 3);

  series_rule mr;
  mr.modalities = {"MR"};
  CHECK(radbridge::fetch::select_series(series, mr).identity.series_uid == mr_series_uid);

  series_rule ultrasound;
  ultrasound.modalities = {"US"};
  try {
    radbridge::fetch::select_series(series, ultrasound);
    FAIL("no error for a rule that matches nothing");
  } catch (const fetch_error& e) {
    CHECK(e.code() == fetch_errc::no_matching_series);
  }
}

TEST_CASE("dicomweb: retrieve by study and series UID returns the uploaded files") {
  const auto& d = data();
  const auto instances = shared_client().retrieve_series(d.studies[0].study_uid, d.studies[0].series_uid);
  REQUIRE(instances.size() == 8);
  CHECK(std::multiset<std::string>(instances.begin(), instances.end()) == contents(d.synth(0)));
}

TEST_CASE("dicomweb: compressed series come back in their stored transfer syntax") {
  const auto& d = data();
  const auto client = shared_client();
  SUBCASE("JPEG lossless") {
    const auto series = client.list_series(d.studies[1].study_uid);
    REQUIRE(series.size() == 1);
    const auto instances = client.retrieve_series(d.studies[1].study_uid, series[0].identity.series_uid);
    REQUIRE(instances.size() == 8);
    for (const auto& i : instances) CHECK(transfer_syntax_of(i) == jpeg_lossless);
    CHECK(std::multiset<std::string>(instances.begin(), instances.end()) == contents(d.jpeg_study));
  }
  SUBCASE("RLE lossless") {
    const auto instances = client.retrieve_series(d.studies[2].study_uid, d.studies[2].series_uid);
    REQUIRE(instances.size() == 8);
    for (const auto& i : instances) CHECK(transfer_syntax_of(i) == rle_lossless);
    CHECK(std::multiset<std::string>(instances.begin(), instances.end()) == contents(d.rle_study));
  }
}

TEST_CASE("dicomweb: unknown studies and series are not_found") {
  const auto& d = data();
  const auto client = shared_client();
  auto check_not_found = [](const std::function<void()>& f) {
    const auto e = error_of(f);
    CHECK(e.code() == fetch_errc::not_found);
    CHECK_FALSE(e.transient());
  };
  check_not_found([&] { client.list_series("1.2.3.4.5.6.7.8.9"); });
  check_not_found([&] { client.retrieve_series("1.2.3.4.5.6.7.8.9", "1.2.3.4.5.6.7.8.9.1"); });
  check_not_found([&] { client.retrieve_series(d.studies[0].study_uid, "1.2.3.4.5.6.7.8.9.1"); });
  // Not UIDs: refused before they reach a URL.
  check_not_found([&] { client.list_series("../../instances"); });
  check_not_found([&] { client.list_series(""); });
  check_not_found([&] { client.retrieve_series(d.studies[0].study_uid, "1.2/../3"); });
  check_not_found([&] { client.list_series(std::string(65, '1')); });
}

TEST_CASE("dicomweb: the size caps are enforced while reading (too_large)") {
  const auto& d = data();
  auto settings = settings_for(radbridge::test::shared_orthanc());
  SUBCASE("bytes per series") {
    settings.max_series_bytes = 30'000;  // three of the eight 9.5 kB instances
    const dicomweb_client client(settings);
    const auto e = error_of([&] { client.retrieve_series(d.studies[0].study_uid, d.studies[0].series_uid); });
    CHECK(e.code() == fetch_errc::too_large);
    CHECK_FALSE(e.transient());
    CHECK(std::string(e.what()).find("30000 bytes") != std::string::npos);
    CHECK(client.retrieve_series(d.studies[0].study_uid, mr_series_uid).size() == 2);  // 19 kB fits
  }
  SUBCASE("instances per series") {
    settings.max_instances = 7;
    const dicomweb_client client(settings);
    const auto e = error_of([&] { client.retrieve_series(d.studies[0].study_uid, d.studies[0].series_uid); });
    CHECK(e.code() == fetch_errc::too_large);
    CHECK(std::string(e.what()).find("more than 7 instances") != std::string::npos);
  }
  SUBCASE("bytes per QIDO answer") {
    settings.max_query_bytes = 500;
    const dicomweb_client client(settings);
    CHECK(error_of([&] { client.list_series(d.studies[0].study_uid); }).code() == fetch_errc::too_large);
  }
}

TEST_CASE("dicomweb: basic authentication") {
  radbridge::test::orthanc_server_options options;
  options.authentication = true;
  orthanc_server pacs(options);
  const auto& d = data();
  pacs.upload(d.synth(0));

  auto settings = settings_for(pacs);
  SUBCASE("without credentials: unauthorized") {
    const dicomweb_client client(settings);
    const auto e = error_of([&] { client.find_study_by_accession(d.studies[0].accession); });
    CHECK(e.code() == fetch_errc::unauthorized);
    CHECK_FALSE(e.transient());
    CHECK(std::string(e.what()).find("HTTP 401") != std::string::npos);
    CHECK(error_of([&] { client.retrieve_series(d.studies[0].study_uid, d.studies[0].series_uid); }).code() ==
          fetch_errc::unauthorized);
  }
  SUBCASE("a wrong password: unauthorized") {
    settings.auth.scheme = auth_scheme::basic;
    settings.auth.user = options.user;
    settings.auth.password = "wrong";
    const dicomweb_client client(settings);
    CHECK(error_of([&] { client.list_series(d.studies[0].study_uid); }).code() == fetch_errc::unauthorized);
  }
  SUBCASE("the right credentials") {
    settings.auth.scheme = auth_scheme::basic;
    settings.auth.user = options.user;
    settings.auth.password = options.password;
    const dicomweb_client client(settings);
    CHECK(client.find_study_by_accession(d.studies[0].accession) == d.studies[0].study_uid);
    CHECK(client.list_series(d.studies[0].study_uid).size() == 1);
    CHECK(client.retrieve_series(d.studies[0].study_uid, d.studies[0].series_uid).size() == 8);
  }
}

TEST_CASE("dicomweb: prior studies of the same patient, modality and body part") {
  const auto& d = data();
  const auto client = shared_client();
  const std::string patient = d.studies[0].patient_id;
  const std::string current = d.studies[0].study_uid;
  auto accessions = [](const std::vector<study_summary>& studies) {
    std::vector<std::string> out;
    for (const auto& s : studies) out.push_back(s.accession);
    return out;
  };

  const auto priors = client.prior_studies(patient, "CT", "HEAD", current);
  REQUIRE(priors.size() == 2);
  CHECK(priors[0].study_uid == prior_study_uid(1));
  CHECK(priors[0].study_date == "20230301");
  CHECK(priors[0].study_time == "101500");
  CHECK(priors[0].accession == "PRIOR-1");
  CHECK(priors[0].description == "PRIOR STUDY 1");
  CHECK(priors[1].study_uid == prior_study_uid(2));

  // Body part compared case-insensitively; empty body part or modality: any.
  CHECK(accessions(client.prior_studies(patient, "ct", "head", current)) ==
        std::vector<std::string>{"PRIOR-1", "PRIOR-2"});
  CHECK(accessions(client.prior_studies(patient, "CT", "", current)) ==
        std::vector<std::string>{"PRIOR-3", "PRIOR-1", "PRIOR-2"});
  CHECK(accessions(client.prior_studies(patient, "", "", current)) ==
        std::vector<std::string>{"PRIOR-4", "PRIOR-3", "PRIOR-1", "PRIOR-2"});
  CHECK(accessions(client.prior_studies(patient, "MR", "HEAD", current)) == std::vector<std::string>{"PRIOR-4"});
  // Without a current study nothing bounds the dates, and every study counts.
  CHECK(accessions(client.prior_studies(patient, "CT", "HEAD", "")) ==
        std::vector<std::string>{"PRIOR-5", d.studies[0].accession, "PRIOR-1", "PRIOR-2"});

  CHECK(client.prior_studies(d.studies[1].patient_id, "CT", "HEAD", d.studies[1].study_uid).empty());
  CHECK(client.prior_studies("SYNP-7-*", "CT", "HEAD", current).empty());  // no wildcard matching
  CHECK(error_of([&] { client.prior_studies("", "CT", "HEAD", current); }).code() == fetch_errc::not_found);
}
