#include "fetch/study_fetch.hpp"

#include <chrono>

#include "fetch/dicom_decode.hpp"
#include "fetch/series_headers.hpp"

namespace radbridge::fetch {

namespace {

using clock_type = std::chrono::steady_clock;

double millis_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// Retrieving and decoding the located series, shared by both sources.
template <class Retrieve>
fetched_series decode_located(const located_series& where, const decode_limits& limits, Retrieve&& retrieve) {
  fetched_series out;
  out.chosen = where.chosen;
  out.find_ms = where.find_ms;
  auto start = clock_type::now();
  const std::vector<std::string> instances = retrieve();
  out.retrieve_ms = millis_since(start);
  for (const std::string& i : instances) out.bytes += i.size();
  start = clock_type::now();
  decoded_series decoded = decode_series_with_headers(instances, limits);
  out.image = std::move(decoded.image);
  out.headers = std::move(decoded.headers);
  out.decode_ms = millis_since(start);
  return out;
}

}  // namespace

located_series locate_series(const dicomweb_client& pacs, const study_key& study, const series_rule& rule) {
  const auto start = clock_type::now();
  located_series out;
  out.study_uid = study.by == study_key::kind::accession ? pacs.find_study_by_accession(study.value) : study.value;
  out.chosen = select_series(pacs.list_series(out.study_uid), rule);
  out.find_ms = millis_since(start);
  return out;
}

located_series locate_series(const folder_source& folder, const study_key& study, const series_rule& rule) {
  const auto start = clock_type::now();
  located_series out;
  out.chosen = select_series(folder.list_series(study.value), rule);
  out.study_uid = out.chosen.identity.study_uid;
  out.find_ms = millis_since(start);
  return out;
}

fetched_series fetch_located(const dicomweb_client& pacs, const located_series& where, const decode_limits& limits) {
  return decode_located(where, limits,
                        [&] { return pacs.retrieve_series(where.study_uid, where.chosen.identity.series_uid); });
}

fetched_series fetch_located(const folder_source& folder, const located_series& where, const decode_limits& limits) {
  return decode_located(where, limits, [&] { return folder.read_series(where.chosen.identity.series_uid); });
}

fetched_series fetch_series(const dicomweb_client& pacs, const study_key& study, const series_rule& rule,
                            const decode_limits& limits) {
  return fetch_located(pacs, locate_series(pacs, study, rule), limits);
}

fetched_series fetch_series(const folder_source& folder, const study_key& study, const series_rule& rule,
                            const decode_limits& limits) {
  return fetch_located(folder, locate_series(folder, study, rule), limits);
}

}  // namespace radbridge::fetch
