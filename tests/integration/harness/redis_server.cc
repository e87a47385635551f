#include "harness/redis_server.h"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ocspcache::it {

RedisServer::RedisServer() : port_(reservation_.port()) { start(); }

RedisServer::~RedisServer() {
  if (process_) {
    process_->signal(SIGCONT);
    process_->stop(2s);
  }
}

std::string RedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

void RedisServer::start() {
  if (process_ && process_->running()) return;
  std::vector<std::string> argv = {"redis-server", "--port", std::to_string(port_), "--bind",
                                   "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                                   dir_.path().string(), "--protected-mode", "no"};
  auto process = std::make_unique<Process>(SpawnOptions{argv, {}, {}}, dir_.path(),
                                           "redis-" + std::to_string(++starts_));
  bool up = wait_until(
      [&] { return process_listens(process->pid(), port_) || !process->running(); }, 10s);
  if (!up || !process->running()) {
    std::string err = process->stdout_text() + process->stderr_text();
    process->stop();
    throw std::runtime_error("redis-server did not listen on port " + std::to_string(port_) + ": " + err);
  }
  process_ = std::move(process);
}

void RedisServer::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait_exit(5s);
  process_.reset();
}

void RedisServer::pause() {
  if (process_) process_->signal(SIGSTOP);
}

void RedisServer::resume() {
  if (process_) process_->signal(SIGCONT);
}

std::string RedisServer::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"redis-cli", "-p", std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run_command(argv, 10s);
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

void RedisServer::set_binary(const std::string& key, const std::string& value) const {
  const std::filesystem::path file = dir_.write("value.bin", value);
  CommandResult r = run_command({"sh", "-c",
                                 "redis-cli -p " + std::to_string(port_) + " -x SET '" + key +
                                     "' < '" + file.string() + "'"},
                                10s);
  if (r.exit_code != 0) throw std::runtime_error("redis-cli SET failed: " + r.err);
}

std::string RedisServer::get_binary(const std::string& key) const {
  // --no-raw would quote; -raw prints the bytes and a newline after them.
  CommandResult r = run_command({"redis-cli", "-p", std::to_string(port_), "--raw", "GET", key}, 10s);
  std::string out = r.out;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::vector<std::string> RedisServer::keys(const std::string& pattern) const {
  std::istringstream in(cli({"--scan", "--pattern", pattern}));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace ocspcache::it
