// Child processes of a test: the daemon, openssl responders, one-shot
// clients. A Process owns its child and ends it when destroyed, also when the
// test fails, and the child dies with the test binary (PR_SET_PDEATHSIG) so a
// test killed by a ctest timeout leaves no responder behind. (PDEATHSIG fires
// when the *thread* that started the child exits: start long-lived children
// from the test's main thread, not from a short-lived worker thread.)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ocspcache::it {

using namespace std::chrono_literals;

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::vector<std::string> env;   // "KEY=VALUE" added to (or replacing in) our environment
  std::filesystem::path cwd;      // empty: inherit
};

class Process {
 public:
  // Starts the child with stdout and stderr going to LOG_DIR/NAME.stdout and
  // LOG_DIR/NAME.stderr, stdin from /dev/null. Throws if it cannot start.
  Process(SpawnOptions options, const std::filesystem::path& log_dir, const std::string& name);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int signo);

  // Exit code (128+N when killed by signal N) once the child has exited, or
  // nullopt if it is still running after TIMEOUT.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  // SIGTERM, then SIGKILL after GRACE; returns the exit status.
  int stop(std::chrono::milliseconds grace = 5s);

  std::string stdout_text() const;
  std::string stderr_text() const;
  const std::filesystem::path& stderr_path() const { return stderr_path_; }

 private:
  bool reap(int options);

  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
};

struct CommandResult {
  int exit_code = -1;  // 128+N when killed by signal N
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs ARGV to completion (killed after TIMEOUT) and collects its output.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = 10s);

}  // namespace ocspcache::it
