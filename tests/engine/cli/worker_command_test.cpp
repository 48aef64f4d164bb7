// `radbridge-worker jobs --supervised`: a worker whose engine is gone by the
// time it follows the engine's lifetime (serve killed while the worker was
// still loading) leaves at once instead of living on as an orphan that
// claims jobs. Run in-process: our parent is not the pid the "engine" gave.
#include <doctest/doctest.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/worker_command.hpp"

TEST_CASE("worker jobs --supervised: an engine that is no longer its parent makes the worker leave") {
  const std::string gone = std::to_string(::getppid() + 1);
  REQUIRE(::setenv("RADBRIDGE_SUPERVISOR_PID", gone.c_str(), 1) == 0);
  const std::vector<std::string_view> args{"--config", "/nonexistent/radbridge.json", "--supervised"};
  std::ostringstream out, err;
  const int code = radbridge::cli::run_jobs(args, out, err);
  ::prctl(PR_SET_PDEATHSIG, 0);  // run_jobs made this test process follow its parent
  ::unsetenv("RADBRIDGE_SUPERVISOR_PID");
  CHECK(code == 1);
  CHECK(err.str() == "radbridge-worker jobs: the engine that started this worker (pid " + gone + ") is gone\n");
  CHECK(out.str().empty());
}
