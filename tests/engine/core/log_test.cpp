// engine/core/log: the line format, and the background writer's promises
// (whole lines, in order, none lost when the process exits normally).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "support.hpp"

extern char** environ;

namespace log = radbridge::log;

namespace {

constexpr int writer_threads = 4;
constexpr int lines_per_thread = 20000;

}  // namespace

TEST_CASE("log: one line of key=value pairs, values quoted when needed") {
  CHECK(log::format(log::level::info, "message_received", {{"interface", "ris"}, {"control_id", "C 1"}, {"bytes", 812}}) ==
        "info message_received interface=ris control_id=\"C 1\" bytes=812");
  CHECK(log::format(log::level::warn, "x", {{"error", "a\"b\nc"}, {"empty", ""}}) ==
        "warn x error=\"a\\\"b\\x0ac\" empty=\"\"");
}

// Run by the next test in a child process whose stderr is a file: logs from
// several threads, then exits at once, leaving the pending lines to the
// exit-time flush.
TEST_CASE("log child: lines from several threads, then exit" * doctest::skip()) {
  std::vector<std::thread> threads;
  for (int t = 0; t < writer_threads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < lines_per_thread; ++i) log::info("probe", {{"thread", t}, {"seq", i}});
    });
  }
  for (std::thread& t : threads) t.join();
  log::warn("last_line");
  std::exit(0);
}

TEST_CASE("log: concurrent lines come out whole, in order per thread, and all of them by exit") {
  const std::filesystem::path out = std::filesystem::temp_directory_path() / ("radbridge-log-" + std::to_string(getpid()));
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDERR_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> args = {self, "--test-case=log child*", "--no-skip", "--reporters=console"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, self.c_str(), &files, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&files);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  std::istringstream lines(radbridge::test::read_file(out));
  std::filesystem::remove(out);
  std::map<int, int> next_seq;  // per thread
  int probes = 0;
  bool last_seen = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.ends_with(" warn last_line")) {
      last_seen = true;
      continue;
    }
    const std::size_t at = line.find(" info probe thread=");
    REQUIRE_MESSAGE(at == 24, line);  // 2026-11-23T13:42:18.123Z, then the event
    int thread = -1;
    int seq = -1;
    REQUIRE(std::sscanf(line.c_str() + at, " info probe thread=%d seq=%d", &thread, &seq) == 2);
    REQUIRE(line == line.substr(0, at) + " info probe thread=" + std::to_string(thread) + " seq=" + std::to_string(seq));
    REQUIRE(seq == next_seq[thread]);
    ++next_seq[thread];
    ++probes;
  }
  CHECK(probes == writer_threads * lines_per_thread);
  CHECK(next_seq.size() == writer_threads);
  CHECK(last_seen);
}
