#include "fetch/study_fetch.hpp"

#include <chrono>

#include "fetch/series_headers.hpp"

namespace radbridge::fetch {

namespace {

using clock_type = std::chrono::steady_clock;

double millis_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// The steps after the series list, shared by both sources.
template <class Retrieve>
fetched_series choose_and_decode(const std::vector<series_info>& series, const series_rule& rule,
                                 const decode_limits& limits, Retrieve&& retrieve, fetched_series out) {
  out.chosen = select_series(series, rule);
  auto start = clock_type::now();
  const std::vector<std::string> instances = retrieve(out.chosen);
  out.retrieve_ms = millis_since(start);
  for (const std::string& i : instances) out.bytes += i.size();
  start = clock_type::now();
  out.image = decode_series(instances, limits);
  out.headers = read_series_headers(instances);
  out.decode_ms = millis_since(start);
  return out;
}

}  // namespace

fetched_series fetch_series(const dicomweb_client& pacs, const study_key& study, const series_rule& rule,
                            const decode_limits& limits) {
  fetched_series out;
  const auto start = clock_type::now();
  const std::string study_uid =
      study.by == study_key::kind::accession ? pacs.find_study_by_accession(study.value) : study.value;
  const std::vector<series_info> series = pacs.list_series(study_uid);
  out.find_ms = millis_since(start);
  return choose_and_decode(
      series, rule, limits, [&](const series_info& s) { return pacs.retrieve_series(study_uid, s.identity.series_uid); },
      std::move(out));
}

fetched_series fetch_series(const folder_source& folder, const study_key& study, const series_rule& rule,
                            const decode_limits& limits) {
  fetched_series out;
  const auto start = clock_type::now();
  const std::vector<series_info> series = folder.list_series(study.value);
  out.find_ms = millis_since(start);
  return choose_and_decode(
      series, rule, limits, [&](const series_info& s) { return folder.read_series(s.identity.series_uid); },
      std::move(out));
}

}  // namespace radbridge::fetch
