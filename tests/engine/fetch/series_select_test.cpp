// engine/fetch/series_select: which series of a study a rule picks, the
// tie-breaks that make the choice stable, and the reason when none matches.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "fetch/fetch_error.hpp"
#include "fetch/series.hpp"

namespace fetch = radbridge::fetch;

namespace {

fetch::series_info series(std::string uid, std::string modality, std::string body_part, std::string description,
                          int number, std::size_t instances, std::optional<double> thickness) {
  fetch::series_info s;
  s.identity.study_uid = "1.2.3";
  s.identity.series_uid = std::move(uid);
  s.identity.modality = std::move(modality);
  s.identity.body_part = std::move(body_part);
  s.identity.series_description = std::move(description);
  s.identity.patient_id = "PATIENT-7";
  s.series_number = number;
  s.instances = instances;
  s.slice_thickness = thickness;
  return s;
}

// A head CT study as scanners send it: a scout, thick and thin axials, bone
// kernel, a sagittal reformat and a dose report.
const std::vector<fetch::series_info> study = {
    series("1.2.3.1", "CT", "HEAD", "Topogram 0.6 T20s", 1, 2, 0.6),
    series("1.2.3.2", "CT", "HEAD", "Head 5.0 H30s AXIAL", 2, 32, 5.0),
    series("1.2.3.3", "CT", "HEAD", "Head 0.75 H30s axial", 3, 200, 0.75),
    series("1.2.3.4", "CT", "HEAD", "Head 0.75 H60s bone AXIAL", 4, 200, 0.75),
    series("1.2.3.5", "CT", "head", "Sagittal MPR 2mm", 5, 90, 2.0),
    series("1.2.3.6", "SR", "", "Dose Report", 99, 1, std::nullopt),
};

fetch::series_rule rule(std::vector<std::string> modalities, std::vector<std::string> body_parts, std::string pattern,
                        fetch::prefer preference = fetch::prefer::thinnest_slices) {
  return {std::move(modalities), std::move(body_parts), std::move(pattern), preference};
}

std::string no_match(const std::vector<fetch::series_info>& candidates, const fetch::series_rule& r) {
  try {
    const auto& picked = fetch::select_series(candidates, r);
    FAIL("picked " << picked.identity.series_uid);
  } catch (const fetch::fetch_error& e) {
    CHECK(e.code() == fetch::fetch_errc::no_matching_series);
    CHECK_FALSE(e.transient());
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("select_series: modality, body part and description filter; thinnest slices win") {
  CHECK(fetch::select_series(study, rule({"CT"}, {"HEAD"}, "axial")).identity.series_uid == "1.2.3.3");
  // case-insensitive body part and modality; a description searched, not matched whole
  CHECK(fetch::select_series(study, rule({"ct"}, {"Brain", "hEaD"}, "SAGITTAL")).identity.series_uid == "1.2.3.5");
  CHECK(fetch::select_series(study, rule({"CT"}, {}, "^head 5")).identity.series_uid == "1.2.3.2");
  CHECK(fetch::select_series(study, rule({}, {}, "dose")).identity.series_uid == "1.2.3.6");
  CHECK(fetch::select_series(study, rule({"SR"}, {}, "")).identity.series_uid == "1.2.3.6");
  // an empty rule takes everything: the thinnest is the scout
  CHECK(fetch::select_series(study, rule({}, {}, "")).identity.series_uid == "1.2.3.1");
  // regular expressions are ECMAScript
  CHECK(fetch::select_series(study, rule({"CT"}, {"HEAD"}, "h[36]0s\\s+(bone)")).identity.series_uid == "1.2.3.4");
  CHECK(fetch::select_series(study, rule({"CT"}, {"HEAD"}, "axial$")).identity.series_uid == "1.2.3.3");
}

TEST_CASE("select_series: most instances") {
  const auto most = fetch::prefer::most_instances;
  CHECK(fetch::select_series(study, rule({"CT"}, {"HEAD"}, "", most)).identity.series_uid == "1.2.3.3");
  CHECK(fetch::select_series(study, rule({"CT"}, {"HEAD"}, "5\\.0|mpr", most)).identity.series_uid == "1.2.3.5");
}

TEST_CASE("select_series: ties go to the lowest SeriesNumber, then the lowest series UID") {
  // 1.2.3.3 and 1.2.3.4 tie on thickness and on instances: SeriesNumber 3 wins, in either order
  auto reversed = study;
  std::swap(reversed[2], reversed[3]);
  CHECK(fetch::select_series(reversed, rule({"CT"}, {"HEAD"}, "0\\.75")).identity.series_uid == "1.2.3.3");
  CHECK(fetch::select_series(reversed, rule({"CT"}, {"HEAD"}, "0\\.75", fetch::prefer::most_instances))
            .identity.series_uid == "1.2.3.3");

  // the same SeriesNumber: the lower UID (as text)
  std::vector<fetch::series_info> same = {series("1.2.3.20", "CT", "HEAD", "a", 2, 10, 1.0),
                                          series("1.2.3.100", "CT", "HEAD", "b", 2, 10, 1.0)};
  CHECK(fetch::select_series(same, rule({}, {}, "")).identity.series_uid == "1.2.3.100");
  std::swap(same[0], same[1]);
  CHECK(fetch::select_series(same, rule({}, {}, "")).identity.series_uid == "1.2.3.100");

  // an unknown thickness sorts after every known one, however many instances
  const std::vector<fetch::series_info> unknown = {series("1.9.1", "CT", "HEAD", "", 1, 500, std::nullopt),
                                                   series("1.9.2", "CT", "HEAD", "", 2, 10, 10.0)};
  CHECK(fetch::select_series(unknown, rule({}, {}, "")).identity.series_uid == "1.9.2");
  CHECK(fetch::select_series(unknown, rule({}, {}, "", fetch::prefer::most_instances)).identity.series_uid == "1.9.1");
  // two unknown thicknesses: SeriesNumber decides
  const std::vector<fetch::series_info> both = {series("1.9.3", "CT", "HEAD", "", 7, 5, std::nullopt),
                                                series("1.9.4", "CT", "HEAD", "", 6, 5, std::nullopt)};
  CHECK(fetch::select_series(both, rule({}, {}, "")).identity.series_uid == "1.9.4");
}

TEST_CASE("select_series: no match is no_matching_series, naming the rule and the candidates") {
  // The candidates without their descriptions (free text that may name the patient).
  const std::string why = no_match(study, rule({"MR", "CT"}, {"CHEST"}, "lung|mpr"));
  CHECK(why ==
        "no series matches the rule (modality MR|CT, body part CHEST, description /lung|mpr/i); 6 candidates: "
        "[series 1 CT HEAD, 2 instances, description does not match] "
        "[series 2 CT HEAD, 32 instances, description does not match] "
        "[series 3 CT HEAD, 200 instances, description does not match] "
        "[series 4 CT HEAD, 200 instances, description does not match] "
        "[series 5 CT head, 90 instances, description matches] "
        "[series 99 SR ?, 1 instance, description does not match]");
  CHECK(no_match(study, rule({"MR"}, {}, "")) ==
        "no series matches the rule (modality MR, body part any, description any); 6 candidates: "
        "[series 1 CT HEAD, 2 instances] [series 2 CT HEAD, 32 instances] [series 3 CT HEAD, 200 instances] "
        "[series 4 CT HEAD, 200 instances] [series 5 CT head, 90 instances] [series 99 SR ?, 1 instance]");

  // a body part must be there to match one
  CHECK(no_match(study, rule({"SR"}, {"HEAD"}, "")).find("6 candidates") != std::string::npos);

  const std::string empty = no_match({}, rule({"CT"}, {}, ""));
  CHECK(empty.find("modality CT, body part any, description any") != std::string::npos);
  CHECK(empty.find("the study has no series") != std::string::npos);

  const std::string bad = no_match(study, rule({"CT"}, {}, "head ("));
  CHECK(bad.find("the description pattern /head (/ is invalid") != std::string::npos);
}

TEST_CASE("select_series: a description is searched in its first 64 characters only (LO), whatever its length") {
  // 1 MB from a PACS: std::regex_search on all of it with ".*" recursed once per character and
  // overflowed the stack.
  const std::string megabyte(std::size_t{1} << 20, 'x');
  const std::vector<fetch::series_info> huge = {
      series("1.5.1", "CT", "HEAD", "Head 5.0 axial " + megabyte, 1, 10, 5.0),  // matches within its first 64
      series("1.5.2", "CT", "HEAD", "Head 0.5 " + megabyte + " axial", 2, 10, 0.5)};  // "axial" past 64: not seen
  CHECK(fetch::select_series(huge, rule({"CT"}, {}, "head.*axial")).identity.series_uid == "1.5.1");
  CHECK(fetch::select_series(huge, rule({"CT"}, {}, "^head.*x$")).identity.series_uid == "1.5.2");
  CHECK(no_match({huge[1]}, rule({"CT"}, {}, "head.*axial")) ==
        "no series matches the rule (modality CT, body part any, description /head.*axial/i); 1 candidate: "
        "[series 2 CT HEAD, 10 instances, description does not match]");

  // Characters, not bytes: 60 two-byte characters and "axial" are 65 characters, of which "axia" is searched.
  std::string accented;
  for (int i = 0; i < 60; ++i) accented += "\xc3\xa9";  // U+00E9
  const std::vector<fetch::series_info> utf8 = {series("1.6.1", "CT", "HEAD", accented + "axial", 1, 10, 1.0)};
  CHECK(fetch::select_series(utf8, rule({}, {}, "axia$")).identity.series_uid == "1.6.1");
  CHECK(no_match(utf8, rule({}, {}, "axial")).ends_with("description does not match]"));
  // A lead byte followed by a run of continuation bytes counts as one character of at most 4 bytes.
  const std::vector<fetch::series_info> broken = {
      series("1.7.1", "CT", "HEAD", "\xc3" + std::string(100000, '\x80') + "axial", 1, 10, 1.0)};
  CHECK(no_match(broken, rule({}, {}, "axial")).ends_with("description does not match]"));
}
