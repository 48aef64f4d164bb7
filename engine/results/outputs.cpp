#include "results/outputs.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "results/adt_builder.hpp"
#include "results/observation_builder.hpp"
#include "results/hl7_outbound.hpp"
#include "results/oru_builder.hpp"
#include "results/output_ids.hpp"
#include "results/sr_builder.hpp"

namespace radbridge::results {

namespace {

std::vector<std::string> destinations_of(const route::route& r, route::output_kind k) {
  const auto it = r.outputs.find(k);
  return it == r.outputs.end() ? std::vector<std::string>{} : it->second;
}

// The SR's WADO-RS URL at the first DICOMweb destination it goes to.
std::string sr_pointer(const result_input& in, const route::mapping_set& mappings) {
  if (!in.series) return "";
  for (const std::string& name : destinations_of(*in.route, route::output_kind::sr)) {
    const route::destination* d = mappings.find_destination(name);
    if (d != nullptr && d->type == route::destination::kind::dicomweb) {
      return fmt::format("{}/studies/{}/series/{}/instances/{}", d->address, in.series->study_uid,
                         derived_uid(in.job_key, "sr-series"), derived_uid(in.job_key, "sr-instance"));
    }
  }
  return "";
}

}  // namespace

job_outputs build_outputs(const result_input& in, const route::mapping_set& mappings) {
  job_outputs out;
  const route::route& r = *in.route;
  auto add = [&](route::output_kind k, std::string name, std::string identity, std::string payload,
                 std::string study_uid = {}) {
    out.built.push_back({k, std::move(name), std::move(identity), std::move(study_uid), std::move(payload),
                         destinations_of(r, k)});
  };
  if (!destinations_of(r, route::output_kind::oru).empty()) {
    add(route::output_kind::oru, "oru", outbound_control_id(in, "oru"),
        build_oru(in, {sr_pointer(in, mappings)}));
  }
  // A withdrawal retracts the ORU and the Observations; the acuity update and the SR stay as sent.
  const bool withdrawal = in.revision == work::revision::withdrawal;
  constexpr std::string_view not_withdrawn = "a withdrawal retracts the ORU and the Observations only";
  if (!destinations_of(r, route::output_kind::adt).empty()) {
    if (withdrawal) {
      out.skipped.push_back({route::output_kind::adt, std::string(not_withdrawn)});
    } else if (auto refusal = adt_refusal(in)) {
      out.skipped.push_back({route::output_kind::adt, *refusal});
    } else {
      add(route::output_kind::adt, "adt", outbound_control_id(in, "adt"), build_adt(in));
    }
  }
  if (!destinations_of(r, route::output_kind::observation).empty()) {
    for (observation_document& o : build_observations(in)) {
      std::string name = "observation." + o.what;
      std::replace(name.begin(), name.end(), '/', '-');
      add(route::output_kind::observation, std::move(name), std::move(o.identifier), std::move(o.json));
    }
  }
  if (!destinations_of(r, route::output_kind::sr).empty()) {
    if (withdrawal) {
      out.skipped.push_back({route::output_kind::sr, std::string(not_withdrawn)});
    } else if (!in.series) {
      out.skipped.push_back({route::output_kind::sr, "the SR references the study's images, which were not read"});
    } else {
      add(route::output_kind::sr, "sr", derived_uid(in.job_key, "sr-instance"), build_sr(in), in.series->study_uid);
    }
  }
  return out;
}

std::string job_key_for(std::string_view route, std::string_view study_key,
                        const std::vector<infer::inference_result>& results) {
  std::string key = fmt::format("{}|{}", route, study_key);
  for (const infer::inference_result& r : results) key += fmt::format("|{} {}", r.model_id, r.version);
  return key;
}

}  // namespace radbridge::results
