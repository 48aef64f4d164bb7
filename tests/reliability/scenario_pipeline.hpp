// A scenario's whole pipeline on real components: `count` synthetic studies
// (study_set, generated from `seed`) and a real Orthanc to upload them to,
// python-hl7 RIS and pager, the FHIR test server, and `radbridge serve`
// configured on them (pipeline_fixture's engine, with `job_settings` and
// lenient_readiness) and started by the constructor (start_serve). Its log
// is kept as SCENARIO-engine.log (kept_log).
//
// lanes() compares each receiver's lane with what the receiver got so far
// (check_lanes). Not provided: uploads (the scenario decides when, with
// studies.upload or upload_all), replays, a receiver that can stop and come
// back on its port (the receivers scenario has its own).
#pragma once

#include <string>
#include <vector>

#include "deliveries.hpp"
#include "reliability.hpp"
#include "serve_process.hpp"
#include "studies.hpp"
#include "support/delivery_peers.hpp"
#include "support/orthanc_server.hpp"
#include "support/pipeline_fixture.hpp"

namespace {

// Jobs that outlast kills and outages: many attempts half a second apart, and
// 5 s leases, so that work a killed engine held is taken up within seconds.
const std::string retrying_jobs = R"("job_attempts": 100, "job_backoff_ms": 500, "job_lease_ms": 5000)";

struct scenario_pipeline {
  study_set studies;
  test::orthanc_server orthanc;
  test::deliver::hl7_receiver ris, pager;
  test::deliver::fhir_server fhir;
  engine e;
  fs::path config = e.dir.path() / "radbridge.json";
  fs::path log = e.dir.path() / "engine.log";
  radbridge::reliability::kept_log kept_engine_log;

  scenario_pipeline(const std::string& scenario, int seed, int count, const std::string& job_settings)
      : studies(seed, count), kept_engine_log(scenario, log) {
    e.configure(ris.address(), pager.address(), fhir.base_url(), orthanc.dicomweb_url(), job_settings,
                radbridge::reliability::lenient_readiness);
    e.process.emplace(radbridge::reliability::start_serve(config, e.pg.conninfo(), log));
  }

  std::vector<radbridge::reliability::lane_report> lanes() const {
    return radbridge::reliability::check_lanes(e.pg, ris.records(), pager.records(),
                                               {fhir.control("GET", "/control/state")});
  }
};

}  // namespace
