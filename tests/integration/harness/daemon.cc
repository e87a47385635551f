#include "harness/daemon.h"

#include <signal.h>

#include <cstdio>
#include <stdexcept>

#include "harness/pki.h"
#include "harness/ports.h"

namespace ocspcache::it {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string Daemon::config_text(const DaemonOptions& options, uint16_t port, uint16_t admin_port) {
  std::string t;
  t += "[server]\n";
  t += "listen = [\"127.0.0.1:" + std::to_string(port) + "\"]\n";
  t += "threads = " + std::to_string(options.threads) + "\n";
  t += options.server_toml;
  t += "\n[admin]\nlisten = \"127.0.0.1:" + std::to_string(admin_port) + "\"\n";
  t += "\n[upstream]\ntimeout = " + quoted(options.upstream_timeout) + "\n";
  t += options.upstream_toml;
  if (!options.log_level.empty()) t += "\n[log]\nlevel = " + quoted(options.log_level) + "\n";
  for (const auto& issuer : options.issuers) {
    std::filesystem::path cert = issuer.cert.empty() ? Pki::get().intermediate() : issuer.cert;
    t += "\n[[issuer]]\n";
    t += "name = " + quoted(issuer.name) + "\n";
    t += "cert = " + quoted(cert.string()) + "\n";
    t += "responders = [";
    for (size_t i = 0; i < issuer.responders.size(); ++i) {
      t += (i ? ", " : "") + quoted(issuer.responders[i]);
    }
    t += "]\n";
  }
  if (!options.extra_toml.empty()) t += "\n" + options.extra_toml + "\n";
  return t;
}

Daemon::Daemon(DaemonOptions options)
    : port_(port_reservation_.port()), admin_port_(admin_reservation_.port()) {
  config_path_ = dir_.write("ocspcache.toml", config_text(options, port_, admin_port_));
  process_ = std::make_unique<Process>(
      SpawnOptions{{OCSPCACHE_BINARY, "--config", config_path_.string()}, options.env, dir_.path()},
      dir_.path(), "ocspcache");
  bool up = wait_until(
      [&] {
        return !process_->running() || (process_listens(process_->pid(), port_) &&
                                        process_listens(process_->pid(), admin_port_));
      },
      10s);
  if (!up || !process_->running()) {
    int status = process_->stop();
    throw std::runtime_error("ocspcache did not start (status " + std::to_string(status) +
                             ", config " + config_path_.string() + "):\n" + log());
  }
}

Daemon::~Daemon() {
  if (process_ && process_->running()) {
    int status = stop();
    if (status != 0) {
      std::fprintf(stderr, "[harness] ocspcache exited with status %d on SIGTERM; log:\n%s\n",
                   status, log().c_str());
    }
  }
}

std::string Daemon::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}
std::string Daemon::admin_url() const {
  return "http://127.0.0.1:" + std::to_string(admin_port_);
}

bool Daemon::running() {
  return process_->running();
}

int Daemon::stop(std::chrono::milliseconds grace) {
  return process_->stop(grace);
}

void Daemon::signal(int signo) {
  process_->signal(signo);
}

void Daemon::reload() {
  process_->signal(SIGHUP);
}

void Daemon::rewrite_config(const DaemonOptions& options) {
  rewrite_config(config_text(options, port_, admin_port_));
}

void Daemon::rewrite_config(std::string_view text) {
  // Whole file then rename, so a reload never reads half of it.
  auto tmp = dir_.write("ocspcache.toml.tmp", text);
  std::filesystem::rename(tmp, config_path_);
}

std::optional<int> Daemon::wait_exit(std::chrono::milliseconds timeout) {
  return process_->wait_exit(timeout);
}

size_t Daemon::log_count(std::string_view needle) const {
  std::string text = log();
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

bool Daemon::wait_for_log(std::string_view needle, size_t count,
                          std::chrono::milliseconds timeout) {
  return wait_until([&] { return log_count(needle) >= count; }, timeout, 10ms);
}

std::string Daemon::log() const {
  return process_->stderr_text();
}

}  // namespace ocspcache::it
