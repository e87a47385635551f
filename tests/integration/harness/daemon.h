// The real ocspcache daemon (OCSPCACHE_BINARY), started per test on free
// loopback ports with a config written into the test's TempDir, and stopped
// with SIGTERM when the test ends, expecting a clean drain (exit 0).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/ports.h"
#include "harness/process.h"
#include "harness/temp_dir.h"

namespace ocspcache::it {

struct IssuerEntry {
  std::string name = "test intermediate";
  std::filesystem::path cert{};           // empty: the Pki's intermediate
  std::vector<std::string> responders{};  // tried in order
};

struct DaemonOptions {
  std::vector<IssuerEntry> issuers;
  std::string upstream_timeout = "2s";
  unsigned threads = 2;
  std::string log_level;  // [log] level; empty: the daemon default
  // Lines added verbatim inside [server] and [upstream] (e.g.
  // "read_timeout = \"1s\"\n"): extra_toml cannot reopen those tables.
  std::string server_toml;
  std::string upstream_toml;
  // Appended verbatim: more [sections] for later features (cache, redis, ...).
  std::string extra_toml;
  // "KEY=VALUE" added to the daemon's environment (e.g. NOTIFY_SOCKET).
  std::vector<std::string> env{};
};

class Daemon {
 public:
  // Writes the config and starts the daemon; throws (with its stderr) when it
  // exits or does not listen on both ports within a few seconds.
  explicit Daemon(DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  uint16_t port() const { return port_; }
  uint16_t admin_port() const { return admin_port_; }
  std::string url() const;        // "http://127.0.0.1:PORT" (what openssl ocsp -url takes)
  std::string admin_url() const;  // "http://127.0.0.1:ADMIN_PORT"
  const std::filesystem::path& config_path() const { return config_path_; }
  const TempDir& dir() const { return dir_; }

  bool running();
  int pid() const { return process_->pid(); }
  void signal(int signo);
  // SIGHUP: the daemon re-reads config_path().
  void reload();
  // Replaces the config file (same ports) with one made from OPTIONS, or TEXT.
  void rewrite_config(const DaemonOptions& options);
  void rewrite_config(std::string_view text);
  // Exit status once it has exited on its own (after a signal), nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // Waits until the log holds NEEDLE at least COUNT times.
  bool wait_for_log(std::string_view needle, size_t count = 1,
                    std::chrono::milliseconds timeout = 10s);
  size_t log_count(std::string_view needle) const;
  // SIGTERM and wait up to GRACE; returns the exit status (0 is a clean drain).
  int stop(std::chrono::milliseconds grace = 15s);
  std::string log() const;  // everything it wrote to stderr

  static std::string config_text(const DaemonOptions& options, uint16_t port, uint16_t admin_port);

 private:
  TempDir dir_{"ocspcache-daemon"};
  PortReservation port_reservation_;  // held while the daemon lives (see ports.h)
  PortReservation admin_reservation_;
  uint16_t port_;
  uint16_t admin_port_;
  std::filesystem::path config_path_;
  std::unique_ptr<Process> process_;
};

}  // namespace ocspcache::it
