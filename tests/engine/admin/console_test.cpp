// engine/admin's web console in a real browser: Debian's Chromium driven by
// npm's playwright-core (tests/support/console/console_check.mjs) against an
// admin server on a real PostgreSQL. The script's steps are its assertions
// (each prints ok or FAIL with what the page showed); this test checks what
// they changed in the database. The screenshots go to a temporary folder,
// or to $RADBRIDGE_CONSOLE_SHOTS when set (kept there, e.g. for docs/).
#include <cstdlib>
#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include "engine/admin/api_fixture.hpp"
#include "support/process.hpp"

namespace test = radbridge::test;
using namespace std::chrono_literals;

TEST_CASE("admin console: an operator finds a message, follows its study, requeues a dead letter, switches a route") {
  test::api_fixture f;
  test::temp_folder temp("radbridge-console");
  const char* keep = std::getenv("RADBRIDGE_CONSOLE_SHOTS");
  const std::filesystem::path shots = keep != nullptr && *keep != '\0' ? std::filesystem::path(keep) : temp.path();
  const std::string url = "http://127.0.0.1:" + std::to_string(f.server.local_endpoint().port()) + "/";
  const test::captured run =
      test::run_captured({test::node_binary().string(),
                          (test::source_dir() / "tests/support/console/console_check.mjs").string(), url,
                          f.k.operator_, f.k.viewer, shots.string()},
                         {}, "", 120s);
  CHECK_MESSAGE(run.status == 0, (run.out + run.err));
  CHECK(run.out ==
        "ok wrong-token\nok dashboard\nok message-search\nok study-trail\nok worklist\nok dead-letter-requeue\n"
        "ok route-mode\n"
        "ok viewer\n");
  CHECK(f.pg.psql("SELECT status FROM outbound_messages WHERE id = 1") == "pending");
  CHECK(f.pg.psql("SELECT mode || ' ' || changed_by || ' ' || reason FROM route_mode_changes") ==
        "active otto validated on 200 studies");
  for (const char* page : {"dashboard", "message-search", "study-trail", "worklist", "dead-letter-requeue", "route-mode",
                           "viewer"}) {
    CHECK_MESSAGE(std::filesystem::file_size(shots / (std::string(page) + ".png")) > 1000, page);
  }
}
