// `radbridge serve` as the scenarios drive it: started (again) on the pipeline
// fixture's configuration and database, killed with -9, and measured from
// /proc (peak and current resident memory, open descriptors); its
// configuration file edited before a start (rewrite_config).
//
// Guarantees: start_serve returns only once this start has logged
// pipeline_started (the log is appended to across restarts, so only what
// follows the start counts), and fails the test case with the log's tail when
// it does not within the limit. kill_serve returns once serve is reaped; its
// worker process follows it (PR_SET_PDEATHSIG). proc_figures_of reads
// /proc/PID/status and /proc/PID/fd; a process that is gone gives nullopt.
// rewrite_config fails the test case when the text to replace is not there.
#pragma once

#include <doctest/doctest.h>
#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "radbridge_process.hpp"
#include "support.hpp"
#include "support/process.hpp"

namespace radbridge::reliability {

namespace fs = std::filesystem;

inline std::uintmax_t file_size_or_zero(const fs::path& p) {
  std::error_code ignored;
  const auto size = fs::file_size(p, ignored);
  return ignored ? 0 : size;
}

// Starts serve and waits (at most `limit`) until it logs pipeline_started.
inline test::child_process start_serve(const fs::path& config, const std::string& conninfo, const fs::path& log,
                                       std::chrono::seconds limit = std::chrono::seconds(180)) {
  const std::uintmax_t from = file_size_or_zero(log);
  test::child_process serve =
      start_radbridge({"serve", "--config", config.string(), "--db", conninfo}, log, std::chrono::seconds(10));
  const auto give_up = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const std::string text = test::read_file(log);
    if (text.size() > from && text.find("pipeline_started", from) != std::string::npos) return serve;
    const std::string tail = text.substr(text.size() > 4000 ? text.size() - 4000 : 0);
    REQUIRE_MESSAGE(serve.running(), "serve exited while starting:\n" << tail);
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < give_up, "serve did not start in time:\n" << tail);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

inline void kill_serve(test::child_process& serve) {
  serve.signal(SIGKILL);
  const auto code = serve.wait_for(std::chrono::seconds(60));
  REQUIRE_MESSAGE(code == std::optional<int>(128 + SIGKILL),
                  "serve did not die of SIGKILL: "
                      << (code ? "exit status " + std::to_string(*code) : std::string("still running after 60 s")));
}

// Replaces `from` with `to` in serve's configuration file.
inline void rewrite_config(const fs::path& config, const std::string& from, const std::string& to) {
  const std::string text = test::read_file(config);
  REQUIRE_MESSAGE(text.find(from) != std::string::npos, config << " has no " << from << ":\n" << text);
  test::write_file(config, test::replace_all(text, from, to));
}

struct proc_figures {
  long peak_rss_kb = 0;  // VmHWM
  long rss_kb = 0;       // VmRSS
  long fds = 0;          // entries of /proc/PID/fd
};

inline std::optional<proc_figures> proc_figures_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  if (!status) return std::nullopt;
  proc_figures out;
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) out.peak_rss_kb = std::stol(line.substr(6));
    if (line.starts_with("VmRSS:")) out.rss_kb = std::stol(line.substr(6));
  }
  DIR* fds = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (fds == nullptr) return std::nullopt;
  while (const dirent* entry = ::readdir(fds)) out.fds += entry->d_name[0] != '.';
  ::closedir(fds);
  return out;
}

// Processes whose command line holds `argument` (e.g. an engine's config
// path): pid and parent pid, from /proc.
inline std::vector<std::pair<pid_t, pid_t>> processes_with(const std::string& argument) {
  std::vector<std::pair<pid_t, pid_t>> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  while (const dirent* entry = ::readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = test::read_file("/proc/" + name + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(argument) == std::string::npos) continue;
    std::ifstream stat("/proc/" + name + "/stat");
    std::string line;
    std::getline(stat, line);
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(line.substr(close + 2));
    char state = 0;
    pid_t parent = 0;
    fields >> state >> parent;
    if (state != 'Z') out.emplace_back(static_cast<pid_t>(std::stol(name)), parent);
  }
  ::closedir(proc);
  return out;
}

// The pid of serve's job worker (the last worker_started in the log), or 0.
inline pid_t worker_pid_in(const fs::path& log) {
  const std::string text = test::read_file(log);
  const std::size_t at = text.rfind("worker_started pid=");
  return at == std::string::npos ? 0 : static_cast<pid_t>(std::stol(text.substr(at + 19)));
}

}  // namespace radbridge::reliability
