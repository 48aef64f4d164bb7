#include "cli/worker_command.hpp"

#include <csignal>
#include <cstdlib>
#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <optional>
#include <ostream>
#include <string>

#include "cli/cli.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "infer/model_registry.hpp"
#include "jobs/job_worker.hpp"
#include "jobs/worker_supervisor.hpp"
#include "route/mapping_loader.hpp"

namespace radbridge::cli {

int run_jobs(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  constexpr std::string_view usage = "usage: radbridge-worker jobs --config FILE [--db CONNINFO] [--supervised]\n";
  std::optional<std::string_view> config_path, db_flag;
  bool supervised = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--supervised") {
      supervised = true;
    } else if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i] == "--db" && i + 1 < args.size()) {
      db_flag = args[++i];
    } else if (args[i] == "--help") {
      out << usage;
      return exit_ok;
    } else {
      err << usage;
      return exit_usage;
    }
  }
  if (!config_path) {
    err << usage;
    return exit_usage;
  }
  // Die with the engine that started us (a kill -9 of serve leaves no orphan holding leases). An
  // engine that died before this line (loading libtorch takes a while) did not take us along: then
  // our parent is no longer the pid it gave us, and we leave.
  if (supervised && prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    err << "radbridge-worker jobs: cannot follow the engine's lifetime (prctl)\n";
    return exit_failure;
  }
  if (const char* engine = std::getenv("RADBRIDGE_SUPERVISOR_PID");
      supervised && engine != nullptr && std::to_string(getppid()) != engine) {
    err << "radbridge-worker jobs: the engine that started this worker (pid " << engine << ") is gone\n";
    return exit_failure;
  }

  config::engine_settings settings;
  try {
    settings = config::load_config(std::string(*config_path));
  } catch (const config::config_error& e) {
    err << e.what() << '\n';
    return exit_failure;
  }
  if (!settings.pipeline) {
    err << "radbridge-worker jobs: the configuration has no \"pipeline\" section\n";
    return exit_failure;
  }
  // serve hands its database over in RADBRIDGE_DB (never on the command line).
  const std::string conninfo = database_conninfo({db_flag, std::nullopt}, settings.database);
  if (conninfo.empty()) {
    err << "radbridge-worker jobs: no database: give --db, set RADBRIDGE_DB, or set \"database\" in the config\n";
    return exit_usage;
  }

  // SIGTERM and SIGINT are waited for here, not delivered to the worker threads.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    // serve reads our job events from fd 3 (jobs/job_events.hpp); run by hand, they go nowhere.
    const char* events_fd = std::getenv("RADBRIDGE_EVENTS_FD");
    const int events = supervised && events_fd != nullptr && std::string_view(events_fd) == "3" ? 3 : -1;
    jobs::job_worker worker(conninfo, *settings.pipeline, RADBRIDGE_VERSION, jobs::lease_owner_of(getpid()),
                            jobs::event_sink(events));
    worker.start();
    int signal = 0;
    sigwait(&stop_signals, &signal);
    log::info("job_worker_stopping", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    worker.stop();
    return exit_ok;
  } catch (const route::mapping_error& e) {
    err << "radbridge-worker jobs: the mappings have problems:\n" << e.what() << '\n';
  } catch (const infer::registry_error& e) {
    err << "radbridge-worker jobs: the model registry has problems:\n" << e.what() << '\n';
  } catch (const std::exception& e) {
    err << "radbridge-worker jobs: " << e.what() << '\n';
  }
  return exit_failure;
}

}  // namespace radbridge::cli
