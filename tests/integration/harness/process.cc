#include "harness/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "harness/ports.h"
#include "harness/temp_dir.h"

extern char** environ;

namespace ocspcache::it {

namespace {

// Everything the child needs, prepared before fork: between fork and exec
// only async-signal-safe calls are allowed (the test binary has threads).
struct Prepared {
  std::string program;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

std::string resolve(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw std::runtime_error("not found in PATH: " + name);
}

Prepared prepare(const SpawnOptions& options) {
  if (options.argv.empty()) throw std::invalid_argument("empty argv");
  Prepared p;
  p.program = resolve(options.argv[0]);
  p.args = options.argv;
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    env[kv.substr(0, kv.find('='))] = kv;
  }
  for (const auto& kv : options.env) env[kv.substr(0, kv.find('='))] = kv;
  for (auto& [key, kv] : env) p.env.push_back(kv);
  for (auto& a : p.args) p.argv.push_back(a.data());
  p.argv.push_back(nullptr);
  for (auto& e : p.env) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  return p;
}

// Forks and execs; IN/OUT/ERR become the child's fds 0/1/2.
pid_t spawn(Prepared& p, int in, int out, int err, const std::filesystem::path& cwd) {
  std::string dir = cwd.string();
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    // Own process group so stop() reaches anything the child forks itself.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the test died before prctl
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (!dir.empty() && chdir(dir.c_str()) != 0) _exit(127);
    execve(p.program.c_str(), p.argv.data(), p.envp.data());
    static const char msg[] = "harness: execve failed\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  setpgid(pid, pid);  // also from the parent, so a signal right away finds the group
  return pid;
}

int open_or_throw(const std::filesystem::path& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  return fd;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Process::Process(SpawnOptions options, const std::filesystem::path& log_dir,
                 const std::string& name)
    : stdout_path_(log_dir / (name + ".stdout")), stderr_path_(log_dir / (name + ".stderr")) {
  Prepared p = prepare(options);
  int in = open_or_throw("/dev/null", O_RDONLY);
  int out = open_or_throw(stdout_path_, O_WRONLY | O_CREAT | O_TRUNC);
  int err = open_or_throw(stderr_path_, O_WRONLY | O_CREAT | O_TRUNC);
  try {
    pid_ = spawn(p, in, out, err, options.cwd);
  } catch (...) {
    close(in), close(out), close(err);
    throw;
  }
  close(in), close(out), close(err);
}

Process::~Process() {
  if (pid_ > 0 && !exit_status_) stop();
}

bool Process::reap(int options) {
  if (exit_status_) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, options);
  if (r == pid_) {
    exit_status_ = decode_status(status);
    return true;
  }
  if (r < 0 && errno == ECHILD) {
    exit_status_ = -1;
    return true;
  }
  return false;
}

bool Process::running() {
  return !reap(WNOHANG);
}

void Process::signal(int signo) {
  if (!exit_status_) kill(pid_, signo);
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
  if (wait_until([this] { return reap(WNOHANG); }, timeout, 2ms)) return exit_status_;
  return std::nullopt;
}

int Process::stop(std::chrono::milliseconds grace) {
  if (exit_status_) return *exit_status_;
  kill(pid_, SIGTERM);
  if (auto status = wait_exit(grace)) {
    kill(-pid_, SIGKILL);  // leftovers in its group, if any
    return *status;
  }
  kill(-pid_, SIGKILL);
  reap(0);
  return *exit_status_;
}

std::string Process::stdout_text() const {
  return read_file(stdout_path_);
}
std::string Process::stderr_text() const {
  return read_file(stderr_path_);
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  Prepared p = prepare(SpawnOptions{argv, {}, {}});
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category());
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]), close(out_pipe[1]);
    throw std::system_error(errno, std::generic_category());
  }
  int in = open_or_throw("/dev/null", O_RDONLY);
  pid_t pid;
  try {
    pid = spawn(p, in, out_pipe[1], err_pipe[1], {});
  } catch (...) {
    close(in), close(out_pipe[0]), close(out_pipe[1]), close(err_pipe[0]), close(err_pipe[1]);
    throw;
  }
  close(in), close(out_pipe[1]), close(err_pipe[1]);

  CommandResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    int n = poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = decode_status(status);
  return result;
}

}  // namespace ocspcache::it
