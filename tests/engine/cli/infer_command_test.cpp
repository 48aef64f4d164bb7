// `radbridge infer` in-process, with the shipped registry and models, on
// synthetic studies from a folder and from a real Orthanc over DICOMweb.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/cli/run_cli.hpp"
#include "json/json_document.hpp"
#include "support.hpp"
#include "support/orthanc_server.hpp"
#include "support/synthetic_studies.hpp"

namespace test = radbridge::test;
namespace json = radbridge::json;

namespace {

test::cli_outcome infer(std::vector<std::string> args) {
  std::vector<std::string_view> views = {"infer"};
  const std::string registry = (test::source_dir() / "models/registry.json").string();
  bool has_registry = false;
  for (const std::string& a : args) has_registry = has_registry || a == "--registry";
  if (!has_registry) {
    views.push_back("--registry");
    views.push_back(registry);
  }
  for (const std::string& a : args) views.push_back(a);
  return test::run_cli(views);
}

// Two small studies (one with a hemorrhage) in one folder, and one in its own.
struct studies {
  test::temp_folder root;
  test::fs::path both = root.path() / "both";
  test::fs::path single = root.path() / "both" / "study-000";
  studies() { test::shell("/usr/bin/python3 " + test::quoted(test::generator()) + " --seed 31 --studies 2 --out " +
                          test::quoted(both) + " --slices 16 --size 128 --hemorrhage-fraction 0.5"); }
};

}  // namespace

TEST_CASE("cli infer: a folder holding one study, as text and as JSON") {
  const studies s;
  const test::cli_outcome text = infer({"--model", "ich_classifier", "--dir", s.single.string()});
  CHECK(text.code == 0);
  CHECK(text.err.empty());
  CHECK(text.out.starts_with("model    ich_classifier 1.0.0 (sha256 "));
  CHECK(text.out.find("\nfinding  Intracranial hemorrhage: ") != std::string::npos);
  CHECK(text.out.find("\ntimings  find ") != std::string::npos);

  const test::cli_outcome as_json = infer({"--model", "ich_segmentation", "--dir", s.single.string(), "--json"});
  REQUIRE(as_json.code == 0);
  const auto doc = json::parse_document(as_json.out);
  REQUIRE(doc.has_value());
  const json::value& r = doc.value();
  CHECK(r.find("model")->as_string() == "ich_segmentation");
  CHECK(r.find("version")->as_string() == "1.0.0");
  CHECK(r.find("sha256")->as_string().size() == 64);
  CHECK(r.find("study_uid")->as_string().starts_with("2.25."));
  CHECK(r.find("series_uid")->as_string().starts_with("2.25."));
  for (const char* step : {"find", "retrieve", "decode", "preprocess", "inference"}) {
    CHECK(r.find("timings_ms")->find(step) != nullptr);
  }
  const json::value& finding = (*r.find("findings"))[0];
  CHECK(finding.find("label")->as_string() == "hemorrhage_volume");
  CHECK(finding.find("unit")->as_string() == "mL");
  CHECK(finding.find("value")->as_number() >= 0);
}

TEST_CASE("cli infer: a folder with two studies needs a key; an unknown one is not found") {
  const studies s;
  const test::cli_outcome two = infer({"--model", "ich_classifier", "--dir", s.both.string()});
  CHECK(two.code == 1);
  CHECK(two.err == "radbridge infer: " + s.both.string() + " holds 2 studies; say which with --study or --accession\n");
  const test::cli_outcome chosen = infer({"--model", "ich_classifier", "--dir", s.both.string(), "--accession", "SYN31N1"});
  CHECK(chosen.code == 0);
  const test::cli_outcome missing = infer({"--model", "ich_classifier", "--dir", s.both.string(), "--accession", "NOPE"});
  CHECK(missing.code == 1);
  // The key by its reference (sha256: and 12 hex digits of SHA-256("NOPE")), as every fetch error names it.
  CHECK(missing.err == "radbridge infer: not_found: no study with StudyInstanceUID or AccessionNumber sha256:bcc85c758a66 "
                       "in the folder " + s.both.string() + "\n");
}

TEST_CASE("cli infer: from Orthanc over DICOMweb by accession and by study UID") {
  const studies s;
  test::orthanc_server pacs;
  pacs.upload(s.both);
  const test::cli_outcome by_accession =
      infer({"--model", "ich_classifier", "--dicomweb", pacs.dicomweb_url(), "--accession", "SYN31N0", "--json"});
  REQUIRE(by_accession.code == 0);
  const auto doc = json::parse_document(by_accession.out);
  REQUIRE(doc.has_value());
  const std::string study_uid = doc.value().find("study_uid")->as_string();
  const test::cli_outcome by_uid = infer({"--model", "ich_classifier", "--dicomweb", pacs.dicomweb_url(), "--study", study_uid, "--json"});
  REQUIRE(by_uid.code == 0);
  // The same series and the same probability either way.
  const auto again = json::parse_document(by_uid.out);
  REQUIRE(again.has_value());
  CHECK(again.value().find("series_uid")->as_string() == doc.value().find("series_uid")->as_string());
  CHECK((*again.value().find("findings"))[0].find("probability")->as_number() ==
        (*doc.value().find("findings"))[0].find("probability")->as_number());
  const test::cli_outcome absent = infer({"--model", "ich_classifier", "--dicomweb", pacs.dicomweb_url(), "--accession", "NOPE"});
  CHECK(absent.code == 1);
  CHECK(absent.err.starts_with("radbridge infer: not_found: "));
}

TEST_CASE("cli infer: a wrong sha256, a corrupted series and a study without CT each get a clear error") {
  const studies s;
  // A registry whose hash for the classifier is wrong.
  const std::string registry_text = test::read_file(test::source_dir() / "models/registry.json");
  const std::size_t at = registry_text.find("\"sha256\": \"") + 11;
  std::string tampered = registry_text;
  tampered.replace(at, 64, std::string(64, '0'));
  const test::fs::path registry = s.root.path() / "registry.json";
  std::ofstream(registry) << tampered;
  for (const char* model : {"ich_classifier-1.0.0.pt", "ich_segmentation-1.0.0.pt"}) {
    test::fs::copy_file(test::source_dir() / "models" / model, s.root.path() / model);
  }
  const test::cli_outcome wrong_hash = infer({"--registry", registry.string(), "--model", "ich_classifier", "--dir", s.single.string()});
  CHECK(wrong_hash.code == 1);
  CHECK(wrong_hash.err.starts_with("radbridge infer: hash_mismatch: model ich_classifier 1.0.0: "));
  CHECK(wrong_hash.err.find(", the registry says " + std::string(64, '0')) != std::string::npos);

  // A slice cut short.
  const test::fs::path corrupted = s.root.path() / "corrupted";
  test::fs::copy(s.single, corrupted);
  const test::fs::path slice = corrupted / "IM0005.dcm";
  const std::string bytes = test::read_file(slice);
  std::ofstream(slice, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  const test::cli_outcome cut = infer({"--model", "ich_classifier", "--dir", corrupted.string()});
  CHECK(cut.code == 1);
  CHECK(cut.err.starts_with("radbridge infer: undecodable: "));

  // The same study relabelled MR: no series the CT model can take.
  const test::fs::path mr = s.root.path() / "mr";
  test::fs::copy(s.single, mr);
  test::shell("dcmodify -nb -m Modality=MR " + test::quoted(mr) + "/*.dcm");
  const test::cli_outcome wrong_modality = infer({"--model", "ich_classifier", "--dir", mr.string()});
  CHECK(wrong_modality.code == 1);
  CHECK(wrong_modality.err.starts_with("radbridge infer: no_matching_series: "));
  CHECK(wrong_modality.err.find("MR") != std::string::npos);
}

TEST_CASE("cli infer: usage errors") {
  CHECK(infer({"--dir", "x"}).err.starts_with("radbridge infer: --model ID is required\n"));
  CHECK(infer({"--model", "m"}).err.starts_with("radbridge infer: give one of --dir DIR and --dicomweb URL\n"));
  CHECK(infer({"--model", "m", "--dicomweb", "http://127.0.0.1:1/dicom-web"}).err.starts_with(
      "radbridge infer: --dicomweb needs --study UID or --accession ACC\n"));
  CHECK(infer({"--model", "m", "--dir", "x", "--study", "1", "--accession", "2"}).code == 2);
  const test::cli_outcome unknown = infer({"--model", "nope", "--dir", "x"});
  CHECK(unknown.code == 1);
  CHECK(unknown.err.starts_with("radbridge infer: no model \"nope\" in "));
  // Secrets from files: both forms of one is a usage error; a missing file names itself.
  const std::string dw = "http://127.0.0.1:1/dicom-web";
  const test::cli_outcome both = infer({"--model", "m", "--dicomweb", dw, "--study", "1", "--token", "t", "--token-file", "f"});
  CHECK(both.code == 2);
  CHECK(both.err.starts_with("radbridge infer: give --token or --token-file, not both\n"));
  const test::cli_outcome mixed = infer({"--model", "m", "--dicomweb", dw, "--study", "1", "--user", "u", "--token-file", "f"});
  CHECK(mixed.err.starts_with("radbridge infer: give --user/--password or --token, not both\n"));
  const std::string missing = "/nonexistent/radbridge-pacs.token";
  const test::cli_outcome unreadable = infer({"--model", "m", "--dicomweb", dw, "--study", "1", "--token-file", missing});
  CHECK(unreadable.code == 1);
  CHECK(unreadable.err == "radbridge infer: cannot read the secret file " + missing + ": No such file or directory\n");
}
